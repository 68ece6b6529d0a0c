package org.mistore.placement;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.IntFunction;

/** Runs {@code n} indexed jobs with at most {@code width} at once; the result counts the jobs that failed. */
final class Windowed {
  private final int n;
  private final int width;
  private final IntFunction<Future<Boolean>> job;
  private final Promise<Integer> done = Promise.promise();
  private int next;
  private int running;
  private int failed;

  private Windowed(int n, int width, IntFunction<Future<Boolean>> job) {
    this.n = n;
    this.width = width;
    this.job = job;
  }

  static Future<Integer> run(int n, int width, IntFunction<Future<Boolean>> job) {
    Windowed w = new Windowed(n, width, job);
    w.pump();
    return w.done.future();
  }

  private void pump() {
    if (next == n && running == 0) {
      done.tryComplete(failed);
      return;
    }
    while (running < width && next < n) {
      int i = next++;
      running++;
      job.apply(i).onComplete(r -> {
        running--;
        if (r.failed() || !r.result()) {
          failed++;
        }
        pump();
      });
    }
  }
}
