package org.mistore.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Renders failures as RFC 9457 {@code application/problem+json}; the one place that does. Also ends
 * any answer given before its request's body was read.
 */
public final class Problems {
  public static final String CONTENT_TYPE = "application/problem+json";
  private static final System.Logger LOG = System.getLogger(Problems.class.getName());

  private Problems() {
  }

  public static void send(RoutingContext rc, int status, String title, String detail) {
    HttpServerResponse response = rc.response();
    if (response.headWritten()) {
      // Too late for a problem document: cut the stream so the client sees it incomplete.
      response.reset();
      return;
    }
    // The status line says what the document's title says (RFC 9110 names: "Content Too Large", not
    // the older "Request Entity Too Large" the HTTP codec would put).
    // Headers set for the object's bytes before they failed describe a body that is not coming.
    // (A 416 keeps its Content-Range: bytes */size says what the object's size is.)
    response.headers().remove("Mistore-Source").remove("Accept-Ranges");
    if (status != 416) {
      response.headers().remove("Content-Range");
    }
    response.setStatusCode(status).setStatusMessage(title).putHeader("Content-Type", CONTENT_TYPE);
    endBeforeBody(rc, document(status, title, detail).toBuffer());
  }

  /** The problem document (RFC 9457) every error answer carries. */
  static JsonObject document(int status, String title, String detail) {
    return new JsonObject()
        .put("type", "about:blank")
        .put("title", title)
        .put("status", status)
        .put("detail", detail);
  }

  /** Most body bytes read and dropped after an early HTTP/1.1 answer before the connection is cut. */
  static final long SWALLOW_BYTES = 4L << 20;
  /** Longest wait for the rest of an unread HTTP/1.1 body after an early answer. */
  static final long SWALLOW_MILLIS = 5_000;

  /**
   * Ends the response with {@code body} when the request's own body may be unread (an answer that
   * does not need it): an HTTP/2 client may finish sending (the bytes are dropped); an HTTP/1.1
   * connection is closed after the answer once the rest of the body has been read and dropped, or
   * at once past {@link #SWALLOW_BYTES} or {@link #SWALLOW_MILLIS}. Closing a socket with unread
   * bytes sends a TCP reset, which can make the client lose the answer already sent.
   */
  static void endBeforeBody(RoutingContext rc, Buffer body) {
    HttpServerRequest request = rc.request();
    HttpServerResponse response = rc.response();
    if (request.method() == io.vertx.core.http.HttpMethod.HEAD) {
      // The length the same GET's answer would have (RFC 9110 9.3.2), and no body.
      response.putHeader("Content-Length", Integer.toString(body.length()));
      body = Buffer.buffer();
    }
    boolean unread = !request.isEnded();
    boolean http2 = request.version() == HttpVersion.HTTP_2;
    if (unread && !http2 && !declaresBody(request) && request.getHeader("Upgrade") == null) {
      // Nothing follows the headers of an HTTP/1.1 request with neither Content-Length nor
      // Transfer-Encoding (a GET, a HEAD): the connection stays usable, only the paused end is due.
      // (A refused upgrade still closes: the client may already be speaking the other protocol.)
      request.resume();
      response.end(body);
      return;
    }
    if (unread && http2) {
      // Let the client finish sending; the bytes are dropped.
      request.handler(b -> { });
      request.resume();
    } else if (unread) {
      response.putHeader("Connection", "close");
      swallowThenClose(rc, response.end(body));
      return;
    }
    response.end(body);
  }

  /** Whether an HTTP/1.1 request has a body after its headers (RFC 9112 6.3). */
  private static boolean declaresBody(HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return request.getHeader("Transfer-Encoding") != null || length != null && !length.trim().equals("0");
  }

  private static void swallowThenClose(RoutingContext rc, Future<Void> answered) {
    HttpServerRequest request = rc.request();
    Promise<Void> drained = Promise.promise();
    long[] dropped = {0};
    long timer = rc.vertx().setTimer(SWALLOW_MILLIS, t -> drained.tryComplete());
    request.handler(b -> {
      dropped[0] += b.length();
      if (dropped[0] > SWALLOW_BYTES) {
        drained.tryComplete();
      }
    });
    request.exceptionHandler(e -> drained.tryComplete());
    request.endHandler(v -> drained.tryComplete());
    request.resume();
    Future.join(answered, drained.future()).onComplete(x -> {
      rc.vertx().cancelTimer(timer);
      request.connection().close();
    });
  }

  /** Whether every {@code %} of a request target is followed by two hexadecimal digits. */
  static boolean wellEncoded(String target) {
    if (target == null) {
      return true;
    }
    for (int i = target.indexOf('%'); i >= 0; i = target.indexOf('%', i + 1)) {
      if (i + 2 >= target.length() || Character.digit(target.charAt(i + 1), 16) < 0
          || Character.digit(target.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The object the request's path names, or null (not an object's path). */
  private static org.mistore.codecs.ObjectId objectOfPath(RoutingContext rc) {
    String id = rc.pathParam("id");
    try {
      return id == null ? null : org.mistore.codecs.ObjectId.parse(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Failure handler for every route: known problems keep their status, anything else is a 500 without internals. */
  public static void handle(RoutingContext rc) {
    Throwable failure = rc.failure();
    if (failure instanceof HttpProblem p) {
      if (p.retryAfterSeconds() > 0 && !rc.response().headWritten()) {
        rc.response().putHeader("Retry-After", Long.toString(p.retryAfterSeconds()));
      }
      org.mistore.codecs.ObjectId about = p.currentVersion() > 0 && !rc.response().headWritten()
          ? (p.object() != null ? p.object() : objectOfPath(rc)) : null;
      if (about != null) {
        ObjectRoutes.versionHeaders(rc.response(), about, p.currentVersion());
      }
      send(rc, p.status(), p.title(), p.getMessage());
      return;
    }
    if (failure != null) {
      org.mistore.node.JvmErrors.check(failure); // out of memory, say: the process ends (code 3)
    }
    int status = rc.statusCode() > 0 ? rc.statusCode() : 500;
    if (status == 500 && !wellEncoded(rc.request().uri())) {
      // The router could not decode the path or query: the client's mistake, not the server's.
      send(rc, 400, "Bad Request", "malformed percent-encoding in the request target (a % must be followed by "
          + "two hexadecimal digits)");
      return;
    }
    if (failure instanceof Download.Stalled) {
      // The client stopped taking the body: its connection is cut already; one line, not a trace.
      LOG.log(System.Logger.Level.INFO, "request {0} {1}: {2}", rc.request().method(), rc.request().path(),
          failure.getMessage());
      return;
    }
    if (failure != null && status >= 500 && rc.response().closed()) {
      // The client left (a download cut off, say): nobody to answer, and no fault of the server's.
      LOG.log(System.Logger.Level.DEBUG, "request {0} {1} ended: the client left ({2})", rc.request().method(),
          rc.request().path(), failure.toString());
      return;
    }
    if (failure != null && status >= 500) {
      LOG.log(System.Logger.Level.ERROR, "request " + rc.request().method() + " " + rc.request().path() + " failed", failure);
    }
    // RFC 9110's name, as the other 413s of the API say it (the codec still has the older one).
    String reason = status == 413 ? "Content Too Large" : HttpResponseStatus.valueOf(status).reasonPhrase();
    String detail = switch (status) {
      // The router's own 400s: an HTTP/1.1 request without Host, or a request target it cannot take.
      case 400 -> rc.request().authority() == null && rc.request().version() == io.vertx.core.http.HttpVersion.HTTP_1_1
          ? "an HTTP/1.1 request needs a Host header" : "the request target '" + rc.request().uri()
              + "' is not a path this server can route";
      case 404 -> "no resource at " + rc.request().path();
      case 405 -> rc.request().method() + " is not allowed on " + rc.request().path();
      case 413 -> "request body too large";
      case 500 -> "internal error; the server log has the details";
      default -> reason;
    };
    send(rc, status, reason, detail);
  }
}
