package org.mistore.pop;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.Role;
import org.mistore.lock.LockRefused;
import org.mistore.store.StoreException;

/** Turns a failed Future into the one failure format of the event bus: {@code message.fail(code, text)}. */
public final class Replies {
  /**
   * Prefix of a 423 failure's text carrying the Retry-After seconds: {@code retry-after=N;reason}, or
   * {@code retry-after=N;current-version=M;reason}.
   */
  public static final String RETRY_AFTER = "retry-after=";
  /** Prefix of a 412 or 404 failure's text carrying the object's current version: {@code current-version=N;reason}. */
  public static final String CURRENT_VERSION = "current-version=";

  private Replies() {
  }

  public static void fail(Message<?> message, Throwable e) {
    if (e instanceof StoreFailure f) {
      message.fail(f.code.code, f.getMessage());
    } else if (e instanceof LockRefused r) {
      message.fail(FailureCode.LOCKED.code, RETRY_AFTER + r.retryAfterSeconds + ";"
          + (r.currentVersion > 0 ? CURRENT_VERSION + r.currentVersion + ";" : "") + r.getMessage());
    } else if (e instanceof StoreException) {
      // The store stopped (its disk failed; it said why in the log): the client is told why, and
      // that the other copy may have committed the write (both commit at once).
      message.fail(FailureCode.UNAVAILABLE.code, Replies.storeStopped(e));
    } else if (e instanceof ReplyException r) {
      message.fail(r.failureCode() > 0 ? r.failureCode() : FailureCode.UNAVAILABLE.code, text(r));
    } else {
      org.mistore.node.JvmErrors.check(e);
      System.getLogger(Replies.class.getName()).log(System.Logger.Level.ERROR, "request failed", e);
      message.fail(FailureCode.INTERNAL.code, "internal error at POP");
    }
  }

  /** The text of a failure of a store that stopped taking writes. */
  static String storeStopped(Throwable e) {
    return e.getMessage() + " (a write refused so may still have committed at the object's other copy: retry it with the same "
        + "Mistore-Request-Id)";
  }

  /** An event-bus address of a node's verb, {@code mistore.<role>.<id>.<verb>}: its role and id. */
  private static final Pattern NODE_ADDRESS = Pattern.compile("mistore\\.(hg|pop|dc)\\.([A-Za-z0-9_-]{1,40})\\.");
  private static final Pattern WAITED = Pattern.compile("waiting (\\d+)\\s*\\(ms\\)");

  /**
   * The text of a failure as a client may read it. A failure of the event bus itself (no handler,
   * timeout) names the node and what happened, never the bus's addresses; any other is its own text.
   */
  public static String text(Throwable e) {
    if (e instanceof ReplyException r && r.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
      String raw = r.getMessage() == null ? "" : r.getMessage();
      Matcher node = NODE_ADDRESS.matcher(raw);
      String who = node.find() ? new Owners.Holder(Role.parse(node.group(1)), node.group(2)).describe() : "a node";
      if (r.failureType() == ReplyFailure.TIMEOUT) {
        Matcher waited = WAITED.matcher(raw);
        return who + " did not answer " + (waited.find() ? "within " + waited.group(1) + " ms" : "in time");
      }
      return who + " is not reachable";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
