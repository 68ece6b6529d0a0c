package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.hg.Gateway;
import org.mistore.node.Limits;

/** {@code /v1/objects}: create, write, read (four consistency modes), list versions, delete. */
final class ObjectRoutes {
  static final String VERSION = "Mistore-Version";
  static final String SOURCE = "Mistore-Source";
  static final String LOCK = "Mistore-Lock";
  /** A client's id for a write: a retry with the same id answers the first attempt's result. */
  static final String REQUEST_ID = "Mistore-Request-Id";
  private final Gateways gateways;
  private final Limits limits;
  private final ObjectService service;

  ObjectRoutes(Gateways gateways, ObjectService service) {
    this.gateways = gateways;
    this.service = service;
    this.limits = service.limits();
  }

  void mount(Router router) {
    router.post("/v1/objects").handler(this::create);
    router.get("/v1/objects/:id/versions").handler(this::versions);
    router.head("/v1/objects/:id/versions").handler(this::versions);
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
    long stripes = RequestParams.bounded("Mistore-Stripes", RequestParams.header(rc, "Mistore-Stripes"), 1,
        VersionMeta.MAX_STRIPES, 0);
    String requestId = RequestParams.requestId(RequestParams.header(rc, REQUEST_ID));
    service.create(gateways.pick(rc), ObjectService.Body.streamed(rc.request(), contentType(rc)), requestId,
        (int) stripes)
        .onSuccess(written -> {
          rc.response().putHeader("Location", "/v1/objects/" + written.id().render());
          answer(rc, 201, written, result(written));
        })
        .onFailure(rc::fail);
  }

  static JsonObject result(ObjectService.Written written) {
    return new JsonObject().put("id", written.id().render()).put("version", written.version())
        .put("size", written.size()).put("sha256", written.sha256());
  }

  /**
   * A write's answer, with its source when it did not come from the primary: then it was answered
   * without the request's body, which may still be on its way.
   */
  private static void answer(RoutingContext rc, int status, ObjectService.Written written, JsonObject body) {
    versionHeaders(rc.response(), written.id(), written.version());
    if (written.source() == null) {
      ApiVerticle.json(rc, status, body);
      return;
    }
    rc.response().setStatusCode(status).putHeader(SOURCE, written.source())
        .putHeader("Content-Type", "application/json");
    Problems.endBeforeBody(rc, body.toBuffer());
  }

  static void versionHeaders(HttpServerResponse response, ObjectId id, long version) {
    response.putHeader(VERSION, Long.toString(version)).putHeader("ETag", RequestParams.etag(id, version));
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
    if (!tombstone) {
      try {
        checkDeclaredLength(rc);
      } catch (HttpProblem p) {
        // An answer about an existing object names its version.
        ObjectService.withHead(gateways.pick(rc), id, p).onFailure(rc::fail);
        return;
      }
    }
    long wait = lockWait(rc);
    String requestId = RequestParams.requestId(RequestParams.header(rc, REQUEST_ID));
    Gateway gateway = gateways.pick(rc);
    service.withIfMatch(gateway, id, () -> RequestParams.ifMatch(rc, id), ifMatch -> service.write(gateway, id,
            ifMatch, RequestParams.header(rc, LOCK), wait,
            tombstone ? null : ObjectService.Body.streamed(rc.request(), contentType(rc)), requestId))
        .onSuccess(written -> answer(rc, 200, written, tombstone
            ? new JsonObject().put("id", id.render()).put("version", written.version()) : result(written)))
        .onFailure(e -> ObjectService.withHead(gateway, id, e).onFailure(rc::fail));
  }

  /** {@code Mistore-Lock-Wait}: how long to wait for a lock the gateway takes (0..lock-max-wait-ms). */
  private long lockWait(RoutingContext rc) {
    return RequestParams.bounded("Mistore-Lock-Wait", RequestParams.header(rc, "Mistore-Lock-Wait"), 0,
        limits.lockMaxWaitMs(), limits.lockWaitDefaultMs());
  }

  private void versions(RoutingContext rc) {
    ObjectId id = RequestParams.objectId(rc);
    service.versions(gateways.pick(rc), id)
        .onSuccess(list -> {
          if (!list.isEmpty()) {
            // Like every object response: the newest version (the head, a tombstone included).
            versionHeaders(rc.response(), id, list.getJsonObject(list.size() - 1).getLong("version"));
          }
          ApiVerticle.json(rc, 200, list.toBuffer());
        })
        .onFailure(rc::fail);
  }

  private void read(RoutingContext rc) {
    ObjectId id = RequestParams.objectId(rc);
    String consistency = RequestParams.query(rc, "consistency");
    if (consistency != null && !ObjectService.CONSISTENCIES.contains(consistency)) {
      throw HttpProblem.badRequest("consistency must be atomic, rw-exclusive or monotonic, not '" + consistency + "'");
    }
    long version = RequestParams.positive("version", RequestParams.query(rc, "version"), 0);
    long minVersion = RequestParams.positive("Mistore-Min-Version", RequestParams.header(rc, "Mistore-Min-Version"), 0);
    Gateway gateway = gateways.pick(rc);
    service.read(gateway, id, consistency, version, minVersion, RequestParams.header(rc, LOCK), lockWait(rc))
        .compose(plan -> serve(rc, gateway, plan.meta(), plan.source(), version > 0).eventually(() -> {
          plan.release().run();
          return Future.succeededFuture();
        }))
        .onFailure(e -> ObjectService.withHead(gateway, id, e).onFailure(rc::fail));
  }

  private Future<Void> serve(RoutingContext rc, Gateway gateway, VersionMeta meta, String source, boolean exact) {
    HttpServerResponse response = rc.response();
    ObjectId id = meta.ref().id();
    long version = meta.ref().version();
    versionHeaders(response, id, version);
    response.putHeader(SOURCE, source == null ? "primary" : source);
    if (meta.deleted()) {
      return Future.failedFuture(HttpProblem.notFound(exact ? "version " + version + " of " + id + " is a deletion"
          : "object " + id + " was deleted at version " + version));
    }
    // Two Range headers ask for several ranges, which are ignored like a list in one header (whole body).
    java.util.List<String> ranges = rc.request().headers().getAll("Range");
    ByteRange range = ranges.size() == 1 ? ByteRange.parseHeader(ranges.get(0)) : null;
    String ifRange = RequestParams.header(rc, "If-Range");
    if (range != null && (ifRange != null && !ifRange.trim().equals(RequestParams.etag(id, version))
        || meta.size() == 0 && range.suffix() > 0)) {
      // If-Range names another version (or a date: no Last-Modified is sent, so none matches): the
      // client's earlier bytes are of another version, so the whole of this one comes back (RFC 9110
      // 13.1.5). The last n bytes of an empty object are all of it: nothing to cut (RFC 9110 14.1.1).
      range = null;
    }
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
    // Read-ahead also bounded by the heap: each block in flight costs a few copies of itself on the way in.
    int ahead = (int) Math.max(1, Math.min(limits.blocksInFlight(),
        Runtime.getRuntime().maxMemory() / (32L * meta.blockSize())));
    // Headers leave with the first bytes: blocks that came from HG copies still name their source.
    java.util.function.Consumer<String> blockSource = from1 -> {
      if (!response.headWritten() && "hg-blocks".equals(from1)) {
        response.putHeader(SOURCE, from1);
      }
    };
    return new Download(response, i -> service.block(gateway, meta, i, blockSource), meta, from, to, ahead,
        MemoryBudget.DOWNLOADS, limits.downloadStallMs()).run();
  }
}
