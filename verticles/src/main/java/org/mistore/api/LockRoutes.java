package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Optional;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.LockGrant;
import org.mistore.codecs.LockRequest;
import org.mistore.codecs.LockType;
import org.mistore.codecs.ObjectId;
import org.mistore.hg.Gateway;
import org.mistore.lock.LockTable;
import org.mistore.node.Limits;

/** {@code /v1/objects/{id}/locks} and {@code /v1/locks/{token}}: non-blocking leased locks. */
final class LockRoutes {
  private final Gateways gateways;
  private final Limits limits;

  /** The largest lock request body taken, in bytes (its three fields need well under a hundred). */
  static final int BODY_LIMIT = 4096;

  LockRoutes(Gateways gateways, Limits limits) {
    this.gateways = gateways;
    this.limits = limits;
  }

  void mount(Router router) {
    router.post("/v1/objects/:id/locks").handler(new SmallBody(BODY_LIMIT, limits.uploadStallMs())).handler(this::acquire);
    router.post("/v1/locks/:token/renew").handler(this::renew);
    router.delete("/v1/locks/:token").handler(this::release);
  }

  static JsonObject json(LockGrant g) {
    return new JsonObject().put("token", g.token()).put("type", g.type().wireName())
        .put("objectId", g.id().render()).put("fence", g.fence()).put("version", g.version())
        .put("expiresAt", g.expiresAt());
  }

  /** A lock request from {@code {"type","ttlMs","waitMs"}} (HTTP body or WebSocket frame); 400 on bad fields. */
  static LockRequest request(JsonObject body, ObjectId id, Gateway gateway, Limits limits) {
    LockType type;
    try {
      type = LockType.parse(String.valueOf(body.getValue("type")));
    } catch (IllegalArgumentException e) {
      throw HttpProblem.badRequest(e.getMessage());
    }
    long ttl = RequestParams.jsonNumber(body, "ttlMs", 1, limits.lockMaxTtlMs(), limits.lockDefaultTtlMs());
    long wait = RequestParams.jsonNumber(body, "waitMs", 0, limits.lockMaxWaitMs(), 0);
    return new LockRequest(id, type, ttl, wait, gateway.hgId());
  }

  /** Takes a lock through the gateway; also used by writes and rw-exclusive reads. */
  static Future<LockGrant> acquire(Gateway gateway, LockRequest request) {
    return acquire(gateway, request, Map.of());
  }

  private static Future<LockGrant> acquire(Gateway gateway, LockRequest request, Map<String, String> headers) {
    return gateway.<LockGrant>owner(request.id(), Addresses.OWNER_LOCK, request, headers, request.waitMs() + 10_000)
        .map(Message::body)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }

  /**
   * Renews the lease {@code token} the gateway took, of {@code ttlMs}, every third of it until the
   * returned timer is cancelled: the lock is held for as long as the gateway's request needs it.
   */
  static long keepAlive(Gateway gateway, ObjectId id, String token, long ttlMs) {
    return gateway.vertx().setPeriodic(Math.max(100, ttlMs / 3), t -> gateway.owner(id, Addresses.OWNER_RENEW,
        new JsonObject().put("token", token)));
  }

  /**
   * As {@link #acquire(Gateway, LockRequest)}, for a client that may leave while its request waits
   * in the queue: {@code onClientGone} is given what to run when it leaves (and answers how to
   * forget it once the request is answered); that takes a waiting request out of the primary's
   * queue. A lock granted once {@code clientGone} says so is released at once (nobody could use or
   * release it, and it would keep every other client out until its lease ends), and the request
   * fails with {@code 410}.
   */
  static Future<LockGrant> acquire(Gateway gateway, LockRequest request, java.util.function.BooleanSupplier clientGone,
      java.util.function.Function<Runnable, Runnable> onClientGone) {
    Future<LockGrant> asked;
    if (request.waitMs() == 0) {
      asked = acquire(gateway, request);
    } else {
      // A request that may wait is named, so that the primary can take it out of its queue if the
      // client leaves meanwhile: it would otherwise hold up the requests behind it until its wait ends.
      java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
      String key = gateway.hgId() + "-" + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
      asked = acquire(gateway, request, Map.of(Addresses.HEADER_WAIT_KEY, key));
      Future<LockGrant> waiting = asked;
      Runnable forget = onClientGone.apply(() -> {
        if (!waiting.isComplete()) {
          gateway.owner(request.id(), Addresses.OWNER_UNWAIT, new JsonObject().put("key", key));
        }
      });
      asked.onComplete(x -> forget.run());
    }
    return asked.compose(g -> {
      if (!clientGone.getAsBoolean()) {
        return Future.succeededFuture(g);
      }
      releaseTaken(gateway, g.token(), request.ttlMs());
      return Future.failedFuture(new HttpProblem(410, "Gone", "the client left before the lock was granted"));
    });
  }

  /** Releases a lock; done too when no lock can have the token (malformed, or naming POPs that do not exist). */
  static Future<Void> release(Gateway gateway, String token) {
    Optional<ObjectId> id = LockTable.objectOf(token);
    if (id.isEmpty()) {
      return Future.succeededFuture();
    }
    return unlock(gateway, id.get(), token, DeliveryOptions.DEFAULT_TIMEOUT)
        .recover(e -> BusErrors.toHttp(e) instanceof HttpProblem p && p.status() == 404 ? Future.succeededFuture()
            : Future.failedFuture(e));
  }

  private static Future<Void> unlock(Gateway gateway, ObjectId id, String token, long timeoutMs) {
    return gateway.owner(id, Addresses.OWNER_UNLOCK, new JsonObject().put("token", token), Map.of(), timeoutMs)
        .mapEmpty();
  }

  /** How long one try to release a lock the gateway took waits for its answer. */
  private static final long RELEASE_TIMEOUT_MS = 2000;
  /** The wait before the second try; it doubles up to {@link #RELEASE_RETRY_MAX_MS}. */
  private static final long RELEASE_RETRY_FIRST_MS = 200;
  private static final long RELEASE_RETRY_MAX_MS = 2000;
  /** Tries go on for the lock's lease and this much more (a failover's detection and takeover). */
  private static final long RELEASE_RETRY_BEYOND_LEASE_MS = 30_000;

  /**
   * Releases a lock the gateway took for one request (a write, an rw-exclusive read), trying again
   * while a try gets no answer or fails: the lock would otherwise stay until its lease ends, and a
   * primary that died with it held leaves it to the backup, which takes it over with a fresh lease.
   * Tries stop once released, or once the lease (counted from now) and a failover have passed.
   */
  static void releaseTaken(Gateway gateway, String token, long leaseMs) {
    Optional<ObjectId> id = LockTable.objectOf(token);
    if (id.isPresent()) {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(leaseMs
          + RELEASE_RETRY_BEYOND_LEASE_MS);
      releaseTaken(gateway, id.get(), token, deadline, RELEASE_RETRY_FIRST_MS);
    }
  }

  private static void releaseTaken(Gateway gateway, ObjectId id, String token, long deadline, long nextWaitMs) {
    unlock(gateway, id, token, RELEASE_TIMEOUT_MS)
        .onFailure(e -> {
          if (System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(nextWaitMs) > deadline) {
            System.getLogger(LockRoutes.class.getName()).log(System.Logger.Level.WARNING, "gave up releasing lock "
                + token + " (" + e.getMessage() + "): it ends with its lease");
            return;
          }
          gateway.vertx().setTimer(nextWaitMs, t -> releaseTaken(gateway, id, token, deadline,
              Math.min(2 * nextWaitMs, RELEASE_RETRY_MAX_MS)));
        });
  }

  private void acquire(RoutingContext rc) {
    ObjectId id = RequestParams.objectId(rc);
    io.vertx.core.buffer.Buffer raw = SmallBody.of(rc);
    Object decoded;
    try {
      decoded = raw.length() == 0 ? new JsonObject() : io.vertx.core.json.Json.decodeValue(raw);
    } catch (DecodeException e) {
      decoded = null;
    }
    if (!(decoded instanceof JsonObject body)) {
      throw HttpProblem.badRequest("lock request body must be a JSON object");
    }
    Gateway gateway = gateways.pick(rc);
    acquire(gateway, request(body, id, gateway, limits), () -> rc.response().closed(),
        gone -> {
          rc.response().closeHandler(v -> gone.run());
          return () -> { };
        })
        .onSuccess(g -> {
          if (g.version() > 0) {
            ObjectRoutes.versionHeaders(rc.response(), id, g.version());
          }
          ApiVerticle.json(rc, 201, json(g));
        })
        .onFailure(rc::fail);
  }


  private void renew(RoutingContext rc) {
    String token = rc.pathParam("token");
    renew(gateways.pick(rc), token)
        .onSuccess(body -> ApiVerticle.json(rc, 200, body))
        .onFailure(rc::fail);
  }

  /**
   * Renews a lease: its {@code {"token","expiresAt",...}}; {@code 410} once expired or released, and
   * for a token no lock can have (malformed, or naming POPs that do not exist).
   */
  static Future<JsonObject> renew(Gateway gateway, String token) {
    Optional<ObjectId> id = LockTable.objectOf(token);
    if (id.isEmpty()) {
      return Future.failedFuture(new HttpProblem(410, "Gone", "no such lock"));
    }
    return gateway.<JsonObject>owner(id.get(), Addresses.OWNER_RENEW, new JsonObject().put("token", token))
        .map(Message::body)
        .recover(e -> {
          Throwable answer = BusErrors.toHttp(e);
          return Future.failedFuture(answer instanceof HttpProblem p && p.status() == 404
              ? new HttpProblem(410, "Gone", "no such lock") : answer);
        });
  }

  private void release(RoutingContext rc) {
    release(gateways.pick(rc), rc.pathParam("token"))
        .onSuccess(v -> rc.response().setStatusCode(204).end())
        .onFailure(e -> rc.fail(BusErrors.toHttp(e)));
  }
}
