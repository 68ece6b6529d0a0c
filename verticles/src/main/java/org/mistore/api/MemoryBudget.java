package org.mistore.api;

import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes of blocks that transfers hold in this process, shared by all of them. {@link #DOWNLOADS}:
 * blocks downloads fetched ahead, or handed to a socket that has not taken them yet; however many
 * clients read slowly, together they hold at most the budget, plus one block each for those that
 * would otherwise hold none, so every download keeps moving. Uploads have their own (see {@link
 * Upload}): blocks being filled from request bodies or on their way to the POPs. Thread-safe:
 * transfers run on several event loops.
 */
final class MemoryBudget {
  /** The process's download budget: an eighth of the heap (8 MiB with -Xmx64m), never under 4 MiB. */
  static final MemoryBudget DOWNLOADS = new MemoryBudget(Math.max(4L << 20, Runtime.getRuntime().maxMemory() / 8));

  private final long capacity;
  private long used;
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(Context context, Runnable retry) {
  }

  MemoryBudget(long capacity) {
    this.capacity = capacity;
  }

  /** Takes {@code bytes} if they fit, or whatever the budget says when the caller holds nothing (so it never stalls). */
  synchronized boolean tryTake(long bytes, boolean holdsNone) {
    if (used + bytes <= capacity || holdsNone) {
      used += bytes;
      return true;
    }
    return false;
  }

  /** Runs {@code retry} once, on {@code context}, after the next release. */
  synchronized void whenReleased(Context context, Runnable retry) {
    waiters.add(new Waiter(context, retry));
  }

  void release(long bytes) {
    List<Waiter> wake;
    synchronized (this) {
      used -= bytes;
      if (waiters.isEmpty()) {
        return;
      }
      wake = new ArrayList<>(waiters);
      waiters.clear();
    }
    wake.forEach(w -> w.context().runOnContext(v -> w.retry().run()));
  }

  synchronized long used() {
    return used;
  }
}
