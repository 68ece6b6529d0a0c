package org.mistore.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads a small request body (a lock request's JSON) whole before the route's next handler runs,
 * which takes it with {@link #of}. A body over {@code limit} bytes, declared or sent, gets 413; a
 * client that sends nothing for {@code stallMs} while its body is wanted gets 408, as an upload
 * does. The bytes are kept as they came whatever the Content-Type: nothing is decoded as a form and
 * nothing goes to disk (Vert.x Web's BodyHandler did both, and waited forever for a stalled body).
 */
final class SmallBody implements Handler<RoutingContext> {
  private static final String KEY = "mistore.small-body";
  private final int limit;
  private final long stallMs;

  SmallBody(int limit, long stallMs) {
    this.limit = limit;
    this.stallMs = stallMs;
  }

  /** The body {@link SmallBody} read for this request (empty when it had none). */
  static Buffer of(RoutingContext rc) {
    Buffer body = rc.get(KEY);
    return body == null ? Buffer.buffer() : body;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    java.util.OptionalLong declared = Upload.declaredLength(request);
    if (declared.isPresent() && declared.getAsLong() > limit) {
      throw tooLarge(Long.toString(declared.getAsLong()));
    }
    if (request.isEnded()) {
      rc.put(KEY, Buffer.buffer());
      rc.next();
      return;
    }
    new Reading(rc).start();
  }

  private HttpProblem tooLarge(String size) {
    return new HttpProblem(413, "Content Too Large", "request body of " + size + " bytes exceeds the "
        + limit + " bytes this call takes");
  }

  /** One request's body on its way in. Event loop only. */
  private final class Reading {
    private final RoutingContext rc;
    private final Buffer body = Buffer.buffer();
    private long lastRead = System.nanoTime();
    private long timer = -1;
    private boolean over;

    Reading(RoutingContext rc) {
      this.rc = rc;
    }

    void start() {
      HttpServerRequest request = rc.request();
      request.handler(chunk -> {
        if (over) {
          return;
        }
        lastRead = System.nanoTime();
        if (body.length() + chunk.length() > limit) {
          finish();
          rc.fail(tooLarge("more than " + limit));
          return;
        }
        body.appendBuffer(chunk);
      });
      request.endHandler(v -> {
        if (!over) {
          finish();
          rc.put(KEY, body);
          rc.next();
        }
      });
      // The connection went away: nobody is left to answer.
      request.exceptionHandler(e -> finish());
      if (Upload.expectsContinue(request)) {
        request.response().writeContinue(); // the body is wanted: a client waiting for this sends it now
      }
      arm(stallMs);
      request.resume();
    }

    private void arm(long delayMs) {
      timer = rc.vertx().setTimer(Math.max(1, delayMs), t -> {
        if (over) {
          return;
        }
        long quietMs = (System.nanoTime() - lastRead) / 1_000_000;
        if (quietMs >= stallMs) {
          finish();
          rc.fail(new HttpProblem(408, "Request Timeout", "the client sent no part of its body for " + quietMs
              + " ms (upload-stall-ms is " + stallMs + ")"));
        } else {
          arm(stallMs - quietMs);
        }
      });
    }

    private void finish() {
      over = true;
      rc.vertx().cancelTimer(timer);
    }
  }
}
