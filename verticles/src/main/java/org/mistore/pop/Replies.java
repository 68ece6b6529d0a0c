package org.mistore.pop;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import org.mistore.codecs.FailureCode;
import org.mistore.lock.LockRefused;

/** Turns a failed Future into the one failure format of the event bus: {@code message.fail(code, text)}. */
public final class Replies {
  /** Prefix of a 423 failure's text carrying the Retry-After seconds: {@code retry-after=N;reason}. */
  public static final String RETRY_AFTER = "retry-after=";
  /** Prefix of a 412 failure's text carrying the object's current version: {@code current-version=N;reason}. */
  public static final String CURRENT_VERSION = "current-version=";

  private Replies() {
  }

  public static void fail(Message<?> message, Throwable e) {
    if (e instanceof StoreFailure f) {
      message.fail(f.code.code, f.getMessage());
    } else if (e instanceof LockRefused r) {
      message.fail(FailureCode.LOCKED.code, RETRY_AFTER + r.retryAfterSeconds + ";" + r.getMessage());
    } else if (e instanceof ReplyException r) {
      message.fail(r.failureCode() > 0 ? r.failureCode() : FailureCode.UNAVAILABLE.code,
          r.getMessage() == null ? "a POP did not answer" : r.getMessage());
    } else {
      System.getLogger(Replies.class.getName()).log(System.Logger.Level.ERROR, "request failed", e);
      message.fail(FailureCode.INTERNAL.code, "internal error at POP");
    }
  }
}
