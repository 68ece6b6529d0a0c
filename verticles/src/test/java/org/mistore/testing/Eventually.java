package org.mistore.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds or a deadline passes; the deadline is a failure, not a pass. */
public final class Eventually {
  private Eventually() {
  }

  /** Returns the milliseconds it took for {@code condition} to hold; fails after {@code within}. */
  public static long await(String what, Duration within, BooleanSupplier condition) {
    long start = System.nanoTime();
    long deadline = start + within.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return (System.nanoTime() - start) / 1_000_000;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not true within " + within.toMillis() + " ms: " + what);
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /** Polls {@code supplier} until {@code accept} holds for its value, then returns that value. */
  public static <T> T value(String what, Duration within, java.util.function.Supplier<T> supplier,
      java.util.function.Predicate<T> accept) {
    Object[] last = new Object[1];
    await(what, within, () -> {
      T v = supplier.get();
      last[0] = v;
      return accept.test(v);
    });
    @SuppressWarnings("unchecked")
    T v = (T) last[0];
    return v;
  }
}
