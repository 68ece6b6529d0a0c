package org.mistore.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.vertx.core.eventbus.DeliveryOptions;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import java.util.function.Supplier;
import org.mistore.directory.DirectoryEntry;
import org.mistore.directory.NodeDirectory;
import org.mistore.node.Limits;

/**
 * The client front door of a node: operations endpoints and the {@code /v1} API, every error as
 * problem+json. Listening is part of {@link #start()}, so a port in use fails the deployment.
 */
public final class ApiVerticle extends VerticleBase {
  private final String host;
  private final int port;
  private final NodeDirectory directory;
  private final PrometheusMeterRegistry registry;
  /** Why the node is not ready, empty when it is. */
  private final Supplier<Optional<String>> notReadyBecause;
  private final Map<String, String> gatewayToPop;
  private final boolean selectableGateway;
  private final Limits limits;
  private HttpServer server;

  /**
   * @param gatewayToPop the gateways this front door serves (id → its POP), the first being the default
   * @param selectableGateway whether {@code Mistore-Gateway} may pick another (dev mode)
   */
  public ApiVerticle(String host, int port, NodeDirectory directory, PrometheusMeterRegistry registry,
      Supplier<Optional<String>> notReadyBecause, Map<String, String> gatewayToPop, boolean selectableGateway, Limits limits) {
    this.host = host;
    this.port = port;
    this.directory = directory;
    this.registry = registry;
    this.notReadyBecause = notReadyBecause;
    this.gatewayToPop = gatewayToPop;
    this.selectableGateway = selectableGateway;
    this.limits = limits;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    // RFC 9110 section 10.1.1: an expectation other than 100-continue (which uploads answer) cannot
    // be met: 417, before any route acts on the request.
    router.route().handler(rc -> {
      List<String> expect = rc.request().headers().getAll("Expect");
      if (expect.isEmpty() || expect.size() == 1 && "100-continue".equalsIgnoreCase(expect.get(0).strip())) {
        rc.next();
      } else {
        rc.fail(new HttpProblem(417, "Expectation Failed", "Expect: '" + String.join(", ", expect)
            + "' cannot be met: only Expect: 100-continue is supported"));
      }
    });
    // HEAD answers as GET without the body (probes and load balancers use it).
    for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD}) {
      router.route(method, "/health").handler(rc -> json(rc, 200, new JsonObject().put("status", "up")));
      router.route(method, "/ready").handler(this::ready);
      router.route(method, "/v1/cluster").handler(this::cluster);
    }
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    // HEAD gives the length a GET would have had (the scraping handler sends neither body nor length).
    router.head("/metrics").handler(rc -> {
      byte[] text = registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      rc.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .putHeader("Content-Length", Integer.toString(text.length)).end();
    });
    router.get("/v1/cluster/objects/:id").handler(this::where);
    Gateways gateways = Gateways.of(vertx, gatewayToPop, selectableGateway, limits.hgCacheBytes(), directory);
    ObjectService objects = new ObjectService(limits);
    registry.gauge("mistore.upload.budget.used.bytes", objects.uploadBudget(), MemoryBudget::used);
    new ObjectRoutes(gateways, objects).mount(router);
    new WebSocketApi(gateways, objects, registry).mount(router);
    new LockRoutes(gateways, limits).mount(router);
    new AdminRoutes(vertx, directory).mount(router);
    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 413, 500, 501}) {
      router.errorHandler(status, Problems::handle);
    }
    router.errorHandler(405, rc -> {
      // RFC 9110: a 405 names the methods the resource does allow.
      String allowed = allowedMethods(router, rc.request().path());
      if (!allowed.isEmpty()) {
        rc.response().putHeader("Allow", allowed);
      }
      Problems.handle(rc);
    });
    // A WebSocket message carries a payload base64-encoded (4/3 larger) plus the JSON around it.
    int wsMessage = limits.webSocketMaxBytes() / 3 * 4 + 65536;
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)
        .setMaxWebSocketMessageSize(wsMessage)
        // Clients (browsers among them) may send a whole message as one frame: Netty's default cap of
        // 64 KiB per frame would close such a connection without a reply.
        .setMaxWebSocketFrameSize(wsMessage)
        // No WebSocket extension is offered (payloads are small JSON): a frame with a reserved bit
        // set is then a protocol error (RFC 6455 section 5.2), not a frame silently taken as plain.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // The contract is HTTP/1.1 and WebSocket; h2c upgrades corrupted fast responses in tests.
        .setHttp2ClearTextEnabled(false));
    return server.requestHandler(request -> {
      if (wellFramed(request)) {
        router.handle(request);
      }
    }).invalidRequestHandler(ApiVerticle::invalidRequest).listen();
  }

  /**
   * Before the router: whether the request's body is framed so that it can be read, else answers
   * it. The HTTP codec reads a body framed by a Transfer-Encoding only when that is {@code chunked}
   * alone; any other framing
   * would have the body taken as empty (a write would store zero bytes) and its bytes as the next
   * request, and a coding before {@code chunked} (such as {@code gzip}) is not undone here. Such a
   * request gets a 400 (RFC 9112 section 6.3; its 501 for an unknown coding would say the fault is
   * the server's, which docs/api.md keeps for server faults) and the connection closes, as the rest
   * of it cannot be parsed reliably.
   */
  static boolean wellFramed(HttpServerRequest request) {
    if (!request.headers().contains("Transfer-Encoding")) {
      return true;
    }
    List<String> codings = new java.util.ArrayList<>();
    for (String header : request.headers().getAll("Transfer-Encoding")) {
      for (String coding : header.split(",")) {
        if (!coding.isBlank()) {
          codings.add(coding.strip().toLowerCase(java.util.Locale.ROOT));
        }
      }
    }
    if (codings.equals(List.of("chunked"))) {
      return true;
    }
    refuseAndClose(request, 400, "Bad Request", "Transfer-Encoding '" + String.join(", ", codings)
        + "' is not supported: send the bytes to store with Content-Length, or with Transfer-Encoding: chunked alone");
    return false;
  }

  /** Answers {@code request} with a problem document, then closes its connection (the rest cannot be parsed). */
  private static void refuseAndClose(HttpServerRequest request, int status, String title, String detail) {
    request.response().setStatusCode(status).putHeader("Content-Type", Problems.CONTENT_TYPE)
        .putHeader("Connection", "close")
        .end(Problems.document(status, title, detail).toBuffer())
        .onComplete(done -> request.connection().close());
  }

  /**
   * A request the HTTP decoder refused before any route saw it (a request line or headers over
   * Netty's limits, a broken Content-Length): the same status Vert.x would give, as a problem
   * document like every other error, then the connection closes (the rest of it cannot be parsed).
   */
  static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String title;
    String detail;
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
      status = 414;
      title = "URI Too Long";
      detail = "the request line is longer than " + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes";
    } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
      status = 431;
      title = "Request Header Fields Too Large";
      detail = "the request headers are larger than " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes";
    } else {
      status = 400;
      title = "Bad Request";
      detail = "not a valid HTTP/1.1 request" + (cause == null || cause.getMessage() == null ? ""
          : ": " + cause.getMessage());
    }
    refuseAndClose(request, status, title, detail);
  }

  /** The methods some route of {@code router} takes on {@code path}, comma-separated (empty when none). */
  static String allowedMethods(Router router, String path) {
    java.util.Set<String> methods = new java.util.TreeSet<>();
    for (io.vertx.ext.web.Route route : router.getRoutes()) {
      String pattern = route.getPath();
      if (pattern != null && route.methods() != null && matches(pattern, path)) {
        route.methods().forEach(m -> methods.add(m.name()));
      }
    }
    return String.join(", ", methods);
  }

  /** Whether {@code path} fits a route path whose {@code :name} segments stand for any one segment. */
  private static boolean matches(String pattern, String path) {
    String[] want = pattern.split("/", -1);
    // The router takes a path with one trailing slash as the path without it.
    String[] got = (path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path).split("/", -1);
    if (want.length != got.length) {
      return false;
    }
    for (int i = 0; i < want.length; i++) {
      if (!(want[i].startsWith(":") && !got[i].isEmpty()) && !want[i].equals(got[i])) {
        return false;
      }
    }
    return true;
  }

  /** The port actually bound (useful with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private void ready(RoutingContext rc) {
    Optional<String> why = notReadyBecause.get();
    if (why.isEmpty()) {
      json(rc, 200, new JsonObject().put("status", "ready"));
    } else {
      Problems.send(rc, 503, "Service Unavailable", why.get());
    }
  }

  private void cluster(RoutingContext rc) {
    JsonArray nodes = new JsonArray();
    for (DirectoryEntry e : directory.snapshot()) {
      var r = e.report();
      JsonObject node = new JsonObject()
          .put("id", r.nodeId())
          .put("role", r.role().wireName())
          .put("region", r.region())
          .put("status", e.status().wireName())
          .put("capacityBytes", r.capacityBytes())
          .put("usedBytes", r.usedBytes());
      if (!r.pop().isEmpty()) {
        node.put("pop", r.pop());
      }
      nodes.add(node);
    }
    JsonObject body = new JsonObject().put("nodes", nodes);
    Optional<String> dc = liveDc();
    if (dc.isEmpty()) {
      json(rc, 200, body);
      return;
    }
    // What the DC's catalog holds, when it answers quickly; the node list never waits long for it.
    vertx.eventBus().<JsonObject>request(Addresses.dc(dc.get(), Addresses.DC_SUMMARY), new JsonObject(),
            new DeliveryOptions().setSendTimeout(CATALOG_TIMEOUT_MS))
        .onComplete(r -> {
          if (r.succeeded()) {
            body.put("catalog", r.result().body());
          }
          json(rc, 200, body);
        });
  }

  private static final long CATALOG_TIMEOUT_MS = 500;

  private Optional<String> liveDc() {
    return directory.up(Role.DC).stream().map(NodeReport::nodeId).findFirst();
  }

  /** The DC's catalog entry of an object: primary, backup, head, size, and who acts for them now. */
  private void where(RoutingContext rc) {
    ObjectId id = RequestParams.objectId(rc);
    Optional<String> dc = liveDc();
    if (dc.isEmpty()) {
      Problems.send(rc, 503, "Service Unavailable", "no live DC to ask");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.dc(dc.get(), Addresses.DC_WHERE),
            new JsonObject().put("id", id.render()))
        .onSuccess(m -> json(rc, 200, m.body()))
        .onFailure(e -> rc.fail(BusErrors.toHttp(e)));
  }

  /** A JSON answer; to HEAD, its headers alone (Content-Length included, as GET would send it). */
  static void json(RoutingContext rc, int status, JsonObject body) {
    json(rc, status, body.toBuffer());
  }

  /** As {@link #json(RoutingContext, int, JsonObject)}, for JSON already encoded. */
  static void json(RoutingContext rc, int status, io.vertx.core.buffer.Buffer bytes) {
    io.vertx.core.http.HttpServerResponse response = rc.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json").putHeader("Content-Length", Integer.toString(bytes.length()));
    if (rc.request().method() == HttpMethod.HEAD) {
      response.end();
    } else {
      response.end(bytes);
    }
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
