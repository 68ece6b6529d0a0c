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
        return HttpProblem.unavailable(Replies.text(r) + "; retry");
      }
      String text = r.getMessage() == null ? "" : r.getMessage();
      return switch (r.failureCode()) {
        case 400 -> HttpProblem.badRequest(text);
        case 404 -> notFound(text);
        case 409 -> conflict(text);
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
    Tagged t = Tagged.of(text, Replies.CURRENT_VERSION);
    return t == null ? new HttpProblem(412, "Precondition Failed", text) : HttpProblem.preconditionFailed(t.rest(), t.value());
  }

  /** A 409 naming the object's current version when the copy-holder gave it (0: none yet, so not named). */
  private static HttpProblem conflict(String text) {
    Tagged t = Tagged.of(text, Replies.CURRENT_VERSION);
    HttpProblem p = new HttpProblem(409, "Conflict", t == null ? text : t.rest());
    return t == null || t.value() == 0 ? p : p.withCurrentVersion(t.value());
  }

  private static HttpProblem notFound(String text) {
    Tagged t = Tagged.of(text, Replies.CURRENT_VERSION);
    return t == null ? HttpProblem.notFound(text) : HttpProblem.notFound(t.rest(), t.value());
  }

  private static HttpProblem locked(String text) {
    Tagged t = Tagged.of(text, Replies.RETRY_AFTER);
    if (t == null) {
      return HttpProblem.locked(text, 1);
    }
    Tagged version = Tagged.of(t.rest(), Replies.CURRENT_VERSION);
    return version == null ? HttpProblem.locked(t.rest(), t.value())
        : HttpProblem.locked(version.rest(), t.value()).withCurrentVersion(version.value());
  }

  /** A failure text {@code <prefix>N;rest} (see {@link Replies}): its number and the rest. */
  private record Tagged(long value, String rest) {
    /** Null when {@code text} does not start with {@code prefix} and a number. */
    static Tagged of(String text, String prefix) {
      int semi = text.indexOf(';');
      if (!text.startsWith(prefix) || semi < prefix.length()) {
        return null;
      }
      try {
        return new Tagged(Long.parseLong(text.substring(prefix.length(), semi)), text.substring(semi + 1));
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }
}
