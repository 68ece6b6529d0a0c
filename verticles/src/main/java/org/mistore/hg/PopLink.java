package org.mistore.hg;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A gateway's link to its POP: whether the POP is known down, and the requests in flight to it. When
 * the POP is seen going down, those requests fail at once (each on its caller's context) instead of
 * waiting for their event-bus timeout, which for a commit is 30 s and more.
 */
public final class PopLink {
  private record InFlight(Context context, Promise<?> promise) {
  }

  private final Vertx vertx;
  private final BooleanSupplier down;
  private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();

  /** {@code down}: whether the directory knows the POP down now. */
  public PopLink(Vertx vertx, BooleanSupplier down) {
    this.vertx = vertx;
    this.down = down;
  }

  public boolean isDown() {
    return down.getAsBoolean();
  }

  /**
   * The outcome of {@code request} (already sent to the POP), or {@code lost}'s failure as soon as
   * the POP is seen down while it is in flight. Call on the caller's context.
   */
  public <T> Future<T> guard(Future<T> request, Supplier<Throwable> lost) {
    Promise<T> result = Promise.promise();
    InFlight entry = new InFlight(vertx.getOrCreateContext(), result);
    inFlight.add(entry);
    request.onComplete(r -> {
      inFlight.remove(entry);
      if (r.succeeded()) {
        result.tryComplete(r.result());
      } else {
        result.tryFail(r.cause());
      }
    });
    if (isDown() && inFlight.remove(entry)) {
      result.tryFail(lost.get()); // went down between the caller's check and now
    }
    return result.future();
  }

  /** The POP went down: fails every request in flight to it with {@code cause} (any thread). */
  public void wentDown(Supplier<Throwable> cause) {
    for (InFlight entry : inFlight) {
      if (inFlight.remove(entry)) {
        entry.context().runOnContext(v -> entry.promise().tryFail(cause.get()));
      }
    }
  }
}
