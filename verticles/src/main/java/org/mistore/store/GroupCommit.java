package org.mistore.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.mapdb.DB;

/**
 * Batches writes to one MapDB file: every write queued while a commit is under way goes into the next
 * commit, and each write's Future completes only after the commit that made it durable. One writer
 * thread per file; callers on event loops never wait.
 *
 * <p>A write must check everything before it changes anything: a write that throws fails alone, but
 * what it had already put is committed with its batch.
 */
final class GroupCommit {
  private record Pending<T>(Function<DB, T> op, Promise<T> promise, Context context) {
    void apply(DB db, List<Runnable> completions) {
      try {
        T value = op.apply(db);
        completions.add(() -> context.runOnContext(v -> promise.complete(value)));
      } catch (RuntimeException e) {
        completions.add(() -> context.runOnContext(v -> promise.fail(e)));
      }
    }
  }

  private final Vertx vertx;
  private final DB db;
  private final WorkerExecutor writer;
  private final Queue<Pending<?>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();

  GroupCommit(Vertx vertx, DB db, String name) {
    this.vertx = vertx;
    this.db = db;
    this.writer = vertx.createSharedWorkerExecutor("mistore-commit-" + name, 1);
  }

  <T> Future<T> write(Function<DB, T> op) {
    Promise<T> promise = Promise.promise();
    queue.add(new Pending<>(op, promise, vertx.getOrCreateContext()));
    drain();
    return promise.future();
  }

  private void drain() {
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    writer.executeBlocking(() -> {
      List<Runnable> completions = new ArrayList<>();
      Pending<?> next;
      while ((next = queue.poll()) != null) {
        next.apply(db, completions);
      }
      if (!completions.isEmpty()) {
        db.commit();
        commits.incrementAndGet();
      }
      return completions;
    }, true).onComplete(done -> {
      draining.set(false);
      if (done.succeeded()) {
        done.result().forEach(Runnable::run);
      } else {
        System.getLogger(GroupCommit.class.getName()).log(System.Logger.Level.ERROR, "commit failed", done.cause());
      }
      if (!queue.isEmpty()) {
        drain();
      }
    });
  }

  long commits() {
    return commits.get();
  }

  Future<Void> close() {
    return writer.close();
  }
}
