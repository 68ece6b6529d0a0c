package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.LockGrant;
import org.mistore.codecs.LockRequest;
import org.mistore.codecs.LockType;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.hg.Gateway;
import org.mistore.lock.LockTable;
import org.mistore.node.Limits;

/** {@code /v1/objects}: create, write, read (four consistency modes), list versions, delete. */
final class ObjectRoutes {
  static final String VERSION = "Mistore-Version";
  static final String SOURCE = "Mistore-Source";
  static final String LOCK = "Mistore-Lock";
  private static final Set<String> CONSISTENCIES = Set.of("atomic", "rw-exclusive", "monotonic");
  private static final String TOMBSTONE_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private final Gateways gateways;
  private final Limits limits;

  ObjectRoutes(Gateways gateways, Limits limits) {
    this.gateways = gateways;
    this.limits = limits;
  }

  void mount(Router router) {
    router.post("/v1/objects").handler(this::create);
    router.get("/v1/objects/:id/versions").handler(this::versions);
    router.put("/v1/objects/:id").handler(this::put);
    router.delete("/v1/objects/:id").handler(this::delete);
    router.get("/v1/objects/:id").handler(this::read);
    router.head("/v1/objects/:id").handler(this::read);
  }

  private void checkDeclaredLength(RoutingContext rc) {
    String declared = rc.request().getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limits.maxObjectBytes()) {
          throw new HttpProblem(413, "Content Too Large", "body of " + declared + " bytes exceeds the maximum object size of "
              + limits.maxObjectBytes() + " bytes");
        }
      } catch (NumberFormatException e) {
        throw HttpProblem.badRequest("malformed Content-Length");
      }
    }
  }

  private static String contentType(RoutingContext rc) {
    String ct = rc.request().getHeader("Content-Type");
    return ct == null || ct.isBlank() ? "application/octet-stream" : ct.trim();
  }

  /** Holds the body back while the lock or id is fetched (an HTTP/2 request may already be complete). */
  private static void hold(RoutingContext rc) {
    if (!rc.request().isEnded()) {
      rc.request().pause();
    }
  }

  private void create(RoutingContext rc) {
    hold(rc);
    checkDeclaredLength(rc);
    RequestParams.bounded("Mistore-Stripes", rc.request().getHeader("Mistore-Stripes"), 1, 32, 0);
    Gateway gateway = gateways.pick(rc);
    gateway.create()
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
        .compose(id -> upload(rc, gateway, new VersionRef(id, 1), Map.of()))
        .onSuccess(meta -> {
          versionHeaders(rc.response(), meta.ref().id(), 1);
          rc.response().putHeader("Location", "/v1/objects/" + meta.ref().id().render());
          ApiVerticle.json(rc, 201, result(meta));
        })
        .onFailure(rc::fail);
  }

  private static JsonObject result(VersionMeta meta) {
    return new JsonObject().put("id", meta.ref().id().render()).put("version", meta.ref().version())
        .put("size", meta.size()).put("sha256", meta.sha256());
  }

  static void versionHeaders(HttpServerResponse response, ObjectId id, long version) {
    response.putHeader(VERSION, Long.toString(version)).putHeader("ETag", RequestParams.etag(id, version));
  }

  /** Streams the body into blocks, then commits the version at the primary (and backup); aborts on failure. */
  private Future<VersionMeta> upload(RoutingContext rc, Gateway gateway, VersionRef ref, Map<String, String> commitHeaders) {
    Upload upload = new Upload(rc.request(), gateway, ref, limits.blockSize(), limits.blocksInFlight(),
        limits.maxObjectBytes());
    return upload.run()
        .compose(r -> commit(gateway, new VersionMeta(ref, r.size(), contentType(rc), r.sha256(), limits.blockSize(),
            r.blockSha256(), System.currentTimeMillis(), gateway.hgId(), false), commitHeaders))
        .onFailure(e -> gateway.owner(ref.id(), Addresses.OWNER_ABORT,
            new JsonObject().put("id", ref.id().render()).put("version", ref.version())));
  }

  private static Future<VersionMeta> commit(Gateway gateway, VersionMeta meta, Map<String, String> headers) {
    return gateway.<VersionMeta>owner(meta.ref().id(), Addresses.OWNER_COMMIT, meta, headers, 30_000)
        .map(Message::body)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }

  /** A held write lock: its fence, the object's head version, and whether the gateway must release it. */
  private record WriteLock(String token, long fence, long head, boolean ours, long keepAlive) {
  }

  private Future<WriteLock> writeLock(RoutingContext rc, Gateway gateway, ObjectId id) {
    String token = rc.request().getHeader(LOCK);
    if (token != null) {
      if (!LockTable.objectOf(token.trim()).map(id::equals).orElse(false)) {
        return Future.failedFuture(new HttpProblem(409, "Conflict", "Mistore-Lock is not a lock on this object"));
      }
      return gateway.<JsonObject>owner(id, Addresses.OWNER_RENEW, new JsonObject().put("token", token.trim()))
          .recover(e -> Future.failedFuture(BusErrors.toHttp(e) instanceof HttpProblem p && p.status() == 410
              ? new HttpProblem(409, "Conflict", "Mistore-Lock is not a live lock") : BusErrors.toHttp(e)))
          .compose(m -> "write".equals(m.body().getString("type"))
              ? head(gateway, id).map(h -> new WriteLock(token.trim(), m.body().getLong("fence"), h, false, -1))
              : Future.failedFuture(new HttpProblem(409, "Conflict", "Mistore-Lock is a read lock, not a write lock")));
    }
    long wait = RequestParams.bounded("Mistore-Lock-Wait", rc.request().getHeader("Mistore-Lock-Wait"), 0,
        limits.lockMaxWaitMs(), limits.lockWaitDefaultMs());
    long ttl = limits.lockDefaultTtlMs();
    return LockRoutes.acquire(gateway, new LockRequest(id, LockType.WRITE, ttl, wait, gateway.hgId()))
        .map(g -> new WriteLock(g.token(), g.fence(), g.version(), true,
            gateway.vertx().setPeriodic(Math.max(100, ttl / 3), t -> gateway.owner(id, Addresses.OWNER_RENEW,
                new JsonObject().put("token", g.token())))));
  }

  private static Future<Long> head(Gateway gateway, ObjectId id) {
    return gateway.<VersionMeta>owner(id, Addresses.OWNER_META, new JsonObject().put("id", id.render()))
        .map(m -> m.body().ref().version())
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }

  private static void releaseIfOurs(Gateway gateway, WriteLock lock) {
    if (lock.ours()) {
      gateway.vertx().cancelTimer(lock.keepAlive());
      LockRoutes.release(gateway, lock.token());
    }
  }

  private void put(RoutingContext rc) {
    hold(rc);
    write(rc, false);
  }

  private void delete(RoutingContext rc) {
    write(rc, true);
  }

  /** PUT (a new version from the body) or DELETE (a tombstone version), under the write lock. */
  private void write(RoutingContext rc, boolean tombstone) {
    ObjectId id = RequestParams.objectId(rc);
    Long ifMatch = RequestParams.ifMatch(rc, id);
    if (!tombstone) {
      checkDeclaredLength(rc);
    }
    Gateway gateway = gateways.pick(rc);
    writeLock(rc, gateway, id).compose(lock -> {
      if (ifMatch != null && ifMatch != lock.head()) {
        releaseIfOurs(gateway, lock);
        return Future.failedFuture(new HttpProblem(412, "Precondition Failed", "If-Match names version " + ifMatch
            + ", current is " + lock.head()));
      }
      Map<String, String> headers = new HashMap<>(Map.of("lock", lock.token(), "fence", Long.toString(lock.fence())));
      if (ifMatch != null) {
        headers.put("if-match", Long.toString(ifMatch));
      }
      VersionRef ref = new VersionRef(id, lock.head() + 1);
      Future<VersionMeta> written = tombstone
          ? commit(gateway, new VersionMeta(ref, 0, "", TOMBSTONE_SHA, limits.blockSize(), List.of(),
              System.currentTimeMillis(), gateway.hgId(), true), headers)
          : upload(rc, gateway, ref, headers);
      return written.eventually(() -> {
        releaseIfOurs(gateway, lock);
        return Future.succeededFuture();
      });
    }).onSuccess(meta -> {
      versionHeaders(rc.response(), id, meta.ref().version());
      ApiVerticle.json(rc, 200, tombstone
          ? new JsonObject().put("id", id.render()).put("version", meta.ref().version()) : result(meta));
    }).onFailure(rc::fail);
  }

  private void versions(RoutingContext rc) {
    ObjectId id = RequestParams.objectId(rc);
    gateways.pick(rc).<JsonArray>owner(id, Addresses.OWNER_VERSIONS, new JsonObject().put("id", id.render()))
        .onSuccess(m -> rc.response().setStatusCode(200).putHeader("Content-Type", "application/json")
            .end(m.body().toBuffer()))
        .onFailure(e -> rc.fail(BusErrors.toHttp(e)));
  }

  private void read(RoutingContext rc) {
    ObjectId id = RequestParams.objectId(rc);
    String consistency = RequestParams.query(rc, "consistency");
    if (consistency != null && !CONSISTENCIES.contains(consistency)) {
      throw HttpProblem.badRequest("consistency must be atomic, rw-exclusive or monotonic, not '" + consistency + "'");
    }
    long version = RequestParams.positive("version", RequestParams.query(rc, "version"), 0);
    long minVersion = RequestParams.positive("Mistore-Min-Version", rc.request().getHeader("Mistore-Min-Version"), 0);
    ByteRange.parseHeader(rc.request().getHeader("Range"));
    Gateway gateway = gateways.pick(rc);
    String readToken = rc.request().getHeader(LOCK);
    boolean exclusive = "rw-exclusive".equals(consistency) && version == 0;
    Future<String> lock = !exclusive || readToken != null ? Future.succeededFuture(readToken == null ? null : readToken.trim())
        : LockRoutes.acquire(gateway, new LockRequest(id, LockType.READ, limits.lockDefaultTtlMs(),
            limits.lockWaitDefaultMs(), gateway.hgId())).map(LockGrant::token);
    lock.compose(token -> {
      Map<String, String> headers = exclusive && token != null ? Map.of("lock", token) : Map.of();
      return gateway.<VersionMeta>owner(id, Addresses.OWNER_META,
              new JsonObject().put("id", id.render()).put("version", version), headers, 30_000)
          .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
          .compose(m -> serve(rc, gateway, m.body(), m.headers().get("source"), minVersion, version > 0))
          .eventually(() -> exclusive && readToken == null && token != null
              ? LockRoutes.release(gateway, token).recover(x -> Future.succeededFuture())
              : Future.succeededFuture());
    }).onFailure(rc::fail);
  }

  private Future<Void> serve(RoutingContext rc, Gateway gateway, VersionMeta meta, String source, long minVersion,
      boolean exact) {
    HttpServerResponse response = rc.response();
    ObjectId id = meta.ref().id();
    long version = meta.ref().version();
    if (version < minVersion) {
      return Future.failedFuture(HttpProblem.unavailable("no reachable copy has version " + minVersion
          + " or later (newest is " + version + ")"));
    }
    versionHeaders(response, id, version);
    response.putHeader(SOURCE, source == null ? "primary" : source);
    if (meta.deleted()) {
      return Future.failedFuture(HttpProblem.notFound(exact ? "version " + version + " of " + id + " is a deletion"
          : "object " + id + " was deleted at version " + version));
    }
    ByteRange range = ByteRange.parseHeader(rc.request().getHeader("Range"));
    long from = 0;
    long to = meta.size() - 1;
    response.putHeader("Accept-Ranges", "bytes").putHeader("Content-Type", meta.contentType());
    if (range != null) {
      if (!range.satisfiable(meta.size())) {
        response.putHeader("Content-Range", "bytes */" + meta.size());
        return Future.failedFuture(new HttpProblem(416, "Range Not Satisfiable", "range outside 0.." + meta.size()));
      }
      from = range.first(meta.size());
      to = range.last(meta.size());
      response.setStatusCode(206).putHeader("Content-Range", "bytes " + from + "-" + to + "/" + meta.size());
    } else {
      response.setStatusCode(200);
    }
    response.putHeader("Content-Length", Long.toString(to - from + 1));
    if (rc.request().method() == HttpMethod.HEAD) {
      return response.end();
    }
    return new Download(response, gateway, meta, from, to, limits.blocksInFlight()).run();
  }
}
