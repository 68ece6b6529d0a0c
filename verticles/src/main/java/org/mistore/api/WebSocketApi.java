package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.hg.Gateway;
import org.mistore.node.Limits;

/**
 * {@code /v1/ws}: the same operations as HTTP over text frames of JSON. Each request carries a
 * client {@code rid} that its reply echoes with the HTTP status the same call would get; payloads
 * travel base64 in {@code data}. {@code watch} pushes {@code {"event":"version","id","version"}} for
 * every version committed anywhere in the cluster. A malformed frame gets a 400 reply; the connection
 * stays open. The gateway is chosen at the upgrade ({@code Mistore-Gateway} header or {@code ?gateway=}).
 */
final class WebSocketApi {
  private final Gateways gateways;
  private final ObjectService objects;
  private final Limits limits;

  WebSocketApi(Gateways gateways, ObjectService objects, io.micrometer.core.instrument.MeterRegistry registry) {
    this.gateways = gateways;
    this.objects = objects;
    this.limits = objects.limits();
    registry.gauge("mistore.websocket.held.bytes", WebSocketFlow.HELD);
    registry.gauge("mistore.read.budget.used.bytes", MemoryBudget.DOWNLOADS, MemoryBudget::used);
  }

  void mount(Router router) {
    router.get("/v1/ws").handler(this::upgrade);
  }

  private void upgrade(RoutingContext rc) {
    String upgrade = rc.request().getHeader("Upgrade");
    if (upgrade == null || !upgrade.trim().equalsIgnoreCase("websocket")) {
      throw HttpProblem.badRequest("/v1/ws is a WebSocket endpoint: send an upgrade request "
          + "(Connection: Upgrade, Upgrade: websocket)");
    }
    // What the handshake would refuse with a plain-text answer, refused here as a problem document.
    String connectionHeader = rc.request().getHeader("Connection");
    if (connectionHeader == null || !connectionHeader.toLowerCase(java.util.Locale.ROOT).contains("upgrade")) {
      throw HttpProblem.badRequest("a WebSocket upgrade needs Connection: Upgrade");
    }
    String key = rc.request().getHeader("Sec-WebSocket-Key");
    if (key == null || key.isBlank()) {
      throw HttpProblem.badRequest("a WebSocket upgrade needs a Sec-WebSocket-Key header");
    }
    String version = rc.request().getHeader("Sec-WebSocket-Version");
    if (version == null || !version.trim().equals("13")) {
      rc.response().putHeader("Sec-WebSocket-Version", "13");
      throw new HttpProblem(426, "Upgrade Required", "only WebSocket version 13 is spoken (Sec-WebSocket-Version: 13), not '"
          + version + "'");
    }
    String asked = RequestParams.query(rc, "gateway");
    if (asked != null && rc.request().getHeader(Gateways.HEADER) == null) {
      rc.request().headers().set(Gateways.HEADER, asked);
    }
    Gateway gateway = gateways.pick(rc);
    io.vertx.core.http.HttpConnection connection = rc.request().connection();
    rc.request().toWebSocket()
        .onSuccess(ws -> new Session(ws, connection, gateway))
        .onFailure(e -> rc.fail(HttpProblem.badRequest("WebSocket upgrade failed: " + e.getMessage())));
  }

  /** One connection; what it holds is bounded by its {@link WebSocketFlow}. */
  private final class Session {
    private final ServerWebSocket ws;
    private final Gateway gateway;
    private final WebSocketFlow flow;
    /** What to run when the connection closes: withdrawing lock requests still waiting. */
    private final java.util.Set<Runnable> onClose = new java.util.LinkedHashSet<>();
    private final Set<String> watched = new HashSet<>();
    /**
     * Versions announced for an object whose {@code watch} reply is not sent yet: they go out after
     * the reply, those newer than the version it names, so a watcher never hears of a version before
     * its watch is answered, nor twice of the one the answer names.
     */
    private final java.util.Map<String, java.util.List<Long>> held = new java.util.HashMap<>();
    private MessageConsumer<JsonObject> events;

    Session(ServerWebSocket ws, io.vertx.core.http.HttpConnection connection, Gateway gateway) {
      this.ws = ws;
      this.gateway = gateway;
      this.flow = new WebSocketFlow(ws, connection, gateway.vertx().getOrCreateContext(), MemoryBudget.DOWNLOADS,
          limits.webSocketMaxInFlight(), limits.webSocketMaxBytes());
      ws.textMessageHandler(this::frame);
      ws.binaryMessageHandler(b -> {
        if (!flow.closing()) {
          reply(ridOf(b), HttpProblem.badRequest("binary frames are not supported: send JSON text"), flow.admit(b.length()));
        }
      });
      // A frame the decoder refuses (past the size allowance, or broken) ends the connection: with
      // a close frame saying why (1009 for too big), not a bare TCP close.
      ws.exceptionHandler(e -> {
        if (!ws.isClosed()) {
          short status = closeStatus(e);
          // A close reason is at most 123 bytes: a fixed one, not the exception's text.
          flow.close(status, status == 1009 ? "message over the websocket-max-bytes allowance: use HTTP"
              : status == 1011 ? "server error" : "frame refused");
        }
      });
      ws.closeHandler(v -> {
        flow.closed();
        java.util.List<Runnable> pending = new java.util.ArrayList<>(onClose);
        onClose.clear();
        pending.forEach(Runnable::run);
        if (events != null) {
          events.unregister();
        }
      });
    }

    /**
     * The close status for a failure of the connection: the decoder's for a refused frame (1009 when
     * too big), 1009 for a message whose frames add up past the allowance (Vert.x says so only in
     * words), else 1011.
     */
    private static short closeStatus(Throwable e) {
      if (e instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException c) {
        return (short) c.closeStatus().code();
      }
      return e.getMessage() != null && e.getMessage().contains("max message size") ? (short) 1009 : (short) 1011;
    }

    /** The rid of a binary message holding a JSON request, so that its refusal can name it; else null. */
    private static Object ridOf(io.vertx.core.buffer.Buffer b) {
      try {
        Object rid = new JsonObject(b).getValue("rid");
        return rid instanceof Number n && !(n instanceof Double d && !Double.isFinite(d)) ? rid : null;
      } catch (RuntimeException e) {
        return null;
      }
    }

    private void frame(String text) {
      if (flow.closing()) {
        return; // after its close frame an endpoint sends no data (RFC 6455 5.5.1): nor does it answer
      }
      if (text.indexOf('\uFFFD') >= 0) {
        // Vert.x decodes a text message with replacement characters for bytes that are not UTF-8;
        // no field of a request has a use for U+FFFD, so it stands for such bytes: RFC 6455 closes
        // the connection then (1007), rather than answering a request whose text was altered.
        flow.close((short) 1007, "text message is not valid UTF-8");
        return;
      }
      WebSocketFlow.Pending pending = flow.admit(text.length());
      JsonObject request;
      try {
        request = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        reply(null, HttpProblem.badRequest("a frame must be a JSON object"), pending);
        return;
      }
      Object rid = request.getValue("rid");
      if (!(rid instanceof Number) || rid instanceof Double d && !Double.isFinite(d)) {
        // Without a number to echo the client cannot tell which request a reply answers, so nothing
        // is done. (1e400 parses as infinity, which JSON cannot say: echoed, the reply would be unreadable.)
        reply(null, HttpProblem.badRequest(rid == null ? "rid is missing: every request carries a number its reply echoes"
            : "rid must be a finite number"), pending);
        return;
      }
      Future<JsonObject> answer;
      try {
        answer = handle(request, pending);
      } catch (HttpProblem p) {
        answer = Future.failedFuture(p);
      } catch (RuntimeException e) {
        answer = Future.failedFuture(HttpProblem.badRequest("malformed request: " + e.getMessage()));
      }
      ObjectId about = objectOf(request);
      boolean watch = "watch".equals(request.getValue("op"));
      answer.onSuccess(body -> {
        send(body.put("rid", rid), pending);
        if (watch && about != null) {
          answered(about.render(), body.getLong("version", 0L));
        }
      })
          .onFailure(e -> {
            if (watch && about != null) {
              held.remove(about.render());
            }
          })
          // A 409 or 423 refusal names the object's current version, as over HTTP.
          .onFailure(e -> (about == null ? Future.<Void>failedFuture(BusErrors.toHttp(e))
              : ObjectService.withHead(gateway, about, BusErrors.toHttp(e)))
              .onFailure(f -> reply(rid, f, pending)));
    }

    /** Sends a request's reply; one that cannot be encoded ends the request without one. */
    private void send(JsonObject body, WebSocketFlow.Pending pending) {
      String text;
      try {
        text = body.encode();
      } catch (RuntimeException e) {
        flow.done(pending);
        return;
      }
      flow.reply(text, pending);
    }

    private void reply(Object rid, Throwable e, WebSocketFlow.Pending pending) {
      HttpProblem p = e instanceof HttpProblem h ? h : new HttpProblem(500, "Internal Server Error", "internal error");
      // A frame without a usable rid gets a reply without one (not "rid": null).
      JsonObject body = (rid == null ? new JsonObject() : new JsonObject().put("rid", rid))
          .put("status", p.status()).put("type", "about:blank")
          .put("title", p.title())
          .put("detail", p.getMessage());
      if (p.retryAfterSeconds() > 0) {
        body.put("retryAfter", p.retryAfterSeconds());
      }
      if (p.currentVersion() > 0) {
        body.put("version", p.currentVersion());
      }
      send(body, pending);
    }

    /** The object a request names, or null (none, or malformed). */
    private static ObjectId objectOf(JsonObject r) {
      try {
        return r.getValue("id") instanceof String s ? ObjectId.parse(s) : null;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }

    private Future<JsonObject> handle(JsonObject r, WebSocketFlow.Pending pending) {
      String op = r.getValue("op") instanceof String s ? s : null;
      if (op == null) {
        throw HttpProblem.badRequest(r.getValue("op") == null ? "op is missing" : "op must be a string");
      }
      return switch (op) {
        case "create" -> objects.create(gateway, ObjectService.Body.whole(data(r), contentType(r)), requestId(r))
            .map(w -> withSource(ObjectRoutes.result(w).put("status", 201), w));
        case "put" -> objects.withIfMatch(gateway, id(r), () -> ifMatch(r), m -> objects.write(gateway, id(r), m,
                string(r, "lock"), lockWait(r), ObjectService.Body.whole(data(r), contentType(r)), requestId(r)))
            .map(w -> withSource(ObjectRoutes.result(w).put("status", 200), w));
        case "delete" -> objects.withIfMatch(gateway, id(r), () -> ifMatch(r), m -> objects.write(gateway, id(r), m,
                string(r, "lock"), lockWait(r), null, requestId(r)))
            .map(w -> withSource(new JsonObject().put("status", 200).put("id", w.id().render())
                .put("version", w.version()), w));
        case "get" -> get(r, pending);
        case "versions" -> objects.versions(gateway, id(r))
            .map(list -> new JsonObject().put("status", 200).put("id", id(r).render()).put("versions", list));
        case "lock" -> lock(r);
        case "renew" -> renew(r);
        case "unlock" -> LockRoutes.release(gateway, requiredString(r, "token"))
            .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
            .map(v -> new JsonObject().put("status", 204));
        case "watch" -> watch(id(r));
        case "unwatch" -> {
          watched.remove(id(r).render());
          yield Future.succeededFuture(new JsonObject().put("status", 200).put("id", id(r).render()));
        }
        default -> throw HttpProblem.badRequest("unknown op '" + op + "'");
      };
    }

    private Future<JsonObject> get(JsonObject r, WebSocketFlow.Pending pending) {
      ObjectId id = id(r);
      String consistency = string(r, "consistency");
      if (consistency != null && !ObjectService.CONSISTENCIES.contains(consistency)) {
        throw HttpProblem.badRequest("consistency must be atomic, rw-exclusive or monotonic");
      }
      long version = positive(r, "version");
      return objects.read(gateway, id, consistency, version, positive(r, "minVersion"), string(r, "lock"), lockWait(r))
          .compose(plan -> {
            VersionMeta meta = plan.meta();
            JsonObject head = new JsonObject().put("id", id.render()).put("version", meta.ref().version())
                .put("source", plan.source());
            Future<JsonObject> body;
            if (meta.deleted()) {
              body = Future.succeededFuture(head.put("status", 404).put("type", "about:blank").put("title", "Not Found")
                  .put("detail", "version " + meta.ref().version() + " is a deletion"));
            } else if (meta.size() > limits.webSocketMaxBytes()) {
              body = Future.failedFuture(new HttpProblem(413, "Content Too Large", "object of " + meta.size()
                  + " bytes is too large for a WebSocket reply; use HTTP GET"));
            } else {
              body = flow.budget(pending, WebSocketFlow.replyCost(meta.size())).compose(v -> objects.readAll(gateway, meta))
                  .map(bytes -> head.put("status", 200)
                  .put("size", meta.size()).put("sha256", meta.sha256()).put("contentType", meta.contentType())
                  .put("data", Base64.getEncoder().encodeToString(bytes.getBytes())));
            }
            return body.eventually(() -> {
              plan.release().run();
              return Future.succeededFuture();
            });
          });
    }

    private Future<JsonObject> lock(JsonObject r) {
      return LockRoutes.acquire(gateway, LockRoutes.request(r, id(r), gateway, limits), ws::isClosed, gone -> {
        onClose.add(gone);
        return () -> onClose.remove(gone);
      })
          .map(g -> LockRoutes.json(g).put("status", 201));
    }

    private Future<JsonObject> renew(JsonObject r) {
      String token = requiredString(r, "token");
      return LockRoutes.renew(gateway, token)
          .map(body -> new JsonObject().put("status", 200).put("token", token)
              .put("expiresAt", body.getLong("expiresAt")));
    }

    private Future<JsonObject> watch(ObjectId id) {
      watched.add(id.render());
      held.putIfAbsent(id.render(), new java.util.ArrayList<>());
      Future<Void> ready = Future.succeededFuture();
      if (events == null) {
        events = gateway.vertx().eventBus().consumer(Addresses.VERSION_EVENTS, m -> {
          String about = m.body().getString("id");
          long version = m.body().getLong("version");
          java.util.List<Long> waiting = held.get(about);
          if (waiting != null) {
            waiting.add(version);
          } else if (watched.contains(about)) {
            announce(about, version);
          }
        });
        ready = events.completion();
      }
      // Subscribed before the head is asked, so no version committed meanwhile goes unannounced; an
      // id that names no object is a 404, as any call on it, and is not watched.
      return ready.compose(v -> gateway.<VersionMeta>owner(id, Addresses.OWNER_META,
              new JsonObject().put("id", id.render())))
          .recover(e -> {
            watched.remove(id.render());
            return Future.failedFuture(BusErrors.toHttp(e));
          })
          .map(head -> new JsonObject().put("status", 200).put("id", id.render())
              .put("version", head.body().ref().version()));
    }

    private void announce(String id, long version) {
      flow.event(new JsonObject().put("event", "version").put("id", id).put("version", version).encode());
    }

    /** A watch was answered with {@code version}: the versions held meanwhile that are newer go out now. */
    private void answered(String id, long version) {
      java.util.List<Long> waiting = held.remove(id);
      if (waiting != null && watched.contains(id)) {
        waiting.stream().filter(v -> v > version).sorted().distinct().forEach(v -> announce(id, v));
      }
    }
  }

  private static ObjectId id(JsonObject r) {
    try {
      return ObjectId.parse(requiredString(r, "id"));
    } catch (IllegalArgumentException e) {
      throw HttpProblem.badRequest("malformed object id: " + e.getMessage());
    }
  }

  private static String requestId(JsonObject r) {
    return RequestParams.requestId(string(r, "requestId"));
  }

  /** A write's reply names its source (as HTTP's {@code Mistore-Source}) when it did not come from the primary. */
  private static JsonObject withSource(JsonObject reply, ObjectService.Written written) {
    return written.source() == null ? reply : reply.put("source", written.source());
  }

  private static String string(JsonObject r, String key) {
    Object v = r.getValue(key);
    if (v != null && !(v instanceof String)) {
      throw HttpProblem.badRequest(key + " must be a string");
    }
    return (String) v;
  }

  private static String requiredString(JsonObject r, String key) {
    String v = string(r, key);
    if (v == null) {
      throw HttpProblem.badRequest(key + " is missing");
    }
    return v;
  }


  private static long positive(JsonObject r, String key) {
    return RequestParams.jsonNumber(r, key, 1, Long.MAX_VALUE, 0);
  }

  private long lockWait(JsonObject r) {
    return RequestParams.jsonNumber(r, "lockWait", 0, limits.lockMaxWaitMs(), limits.lockWaitDefaultMs());
  }

  private static Long ifMatch(JsonObject r) {
    Object v = r.getValue("ifMatch");
    return v == null ? null : RequestParams.ifMatch(String.valueOf(v), id(r));
  }

  private static String contentType(JsonObject r) {
    String ct = string(r, "contentType");
    return ct == null || ct.isBlank() ? "application/octet-stream" : ct;
  }

  private Buffer data(JsonObject r) {
    String b64 = string(r, "data");
    if (b64 == null) {
      // A misspelt field must not write an empty version: an empty object is asked for with "".
      throw HttpProblem.badRequest("data is missing (base64 of the content; \"\" for an empty object)");
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(b64);
      if (bytes.length > limits.webSocketMaxBytes()) {
        throw new HttpProblem(413, "Content Too Large", "WebSocket payloads are limited to "
            + limits.webSocketMaxBytes() + " bytes; use HTTP for larger objects");
      }
      return Buffer.buffer(bytes);
    } catch (IllegalArgumentException e) {
      throw HttpProblem.badRequest("data must be base64");
    }
  }
}
