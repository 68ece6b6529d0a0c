package org.mistore.api;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.mistore.pop.Replies;

/** Maps event-bus failures to the HTTP answers of the contract. */
final class BusErrors {
  private BusErrors() {
  }

  static Throwable toHttp(Throwable e) {
    if (e instanceof HttpProblem) {
      return e;
    }
    if (e instanceof ReplyException r) {
      if (r.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
        return HttpProblem.unavailable(r.failureType() == ReplyFailure.TIMEOUT
            ? "a POP did not answer in time" : "the POP serving this request is not reachable");
      }
      String text = r.getMessage() == null ? "" : r.getMessage();
      return switch (r.failureCode()) {
        case 400 -> HttpProblem.badRequest(text);
        case 404 -> HttpProblem.notFound(text);
        case 409 -> new HttpProblem(409, "Conflict", text);
        case 410 -> new HttpProblem(410, "Gone", text);
        case 412 -> preconditionFailed(text);
        case 413 -> new HttpProblem(413, "Content Too Large", text);
        case 423 -> locked(text);
        case 421, 503 -> HttpProblem.unavailable(text);
        default -> new HttpProblem(500, "Internal Server Error", "internal error");
      };
    }
    return e;
  }

  private static HttpProblem preconditionFailed(String text) {
    if (text.startsWith(Replies.CURRENT_VERSION) && text.indexOf(';') > 0) {
      int semi = text.indexOf(';');
      try {
        return HttpProblem.preconditionFailed(text.substring(semi + 1),
            Long.parseLong(text.substring(Replies.CURRENT_VERSION.length(), semi)));
      } catch (NumberFormatException ignored) {
        // no version named
      }
    }
    return new HttpProblem(412, "Precondition Failed", text);
  }

  private static HttpProblem locked(String text) {
    long retry = 1;
    String detail = text;
    if (text.startsWith(Replies.RETRY_AFTER)) {
      int semi = text.indexOf(';');
      try {
        retry = Long.parseLong(text.substring(Replies.RETRY_AFTER.length(), semi));
      } catch (RuntimeException ignored) {
        // keep the default
      }
      detail = text.substring(semi + 1);
    }
    return HttpProblem.locked(detail, retry);
  }
}
