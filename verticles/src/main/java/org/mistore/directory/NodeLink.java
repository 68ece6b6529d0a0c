package org.mistore.directory;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Requests in flight to one node (a gateway's POP, a primary's copy-holder), and whether it is known down. When
 * the node is seen going down, those requests fail at once (each on its caller's context) instead of
 * waiting for their event-bus timeout (30 s and more for a gateway's commit, 11 s by default for a mirrored one).
 */
public final class NodeLink {
  private record InFlight(Context context, Promise<?> promise, Supplier<Throwable> lost) {
  }

  private final Vertx vertx;
  private final BooleanSupplier down;
  private final Supplier<Throwable> lost;
  private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();

  /**
   * {@code down}: whether the directory knows the node down now; {@code lost}: the failure a request
   * in flight gets when the node goes down.
   */
  public NodeLink(Vertx vertx, BooleanSupplier down, Supplier<Throwable> lost) {
    this.vertx = vertx;
    this.down = down;
    this.lost = lost;
  }

  public boolean isDown() {
    return down.getAsBoolean();
  }

  /**
   * The outcome of {@code request} (already sent to the node), or the link's {@code lost} failure as
   * soon as the node is seen down while it is in flight. Call on the caller's context.
   */
  public <T> Future<T> guard(Future<T> request) {
    return guard(request, lost);
  }

  /** As {@link #guard(Future)}, failing with {@code lost} (rather than the link's) when the node goes down. */
  public <T> Future<T> guard(Future<T> request, Supplier<Throwable> lost) {
    Promise<T> result = Promise.promise();
    InFlight entry = new InFlight(vertx.getOrCreateContext(), result, lost);
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

  /** The node went down: fails every request in flight to it (any thread). */
  public void wentDown() {
    for (InFlight entry : inFlight) {
      if (inFlight.remove(entry)) {
        entry.context().runOnContext(v -> entry.promise().tryFail(entry.lost().get()));
      }
    }
  }
}
