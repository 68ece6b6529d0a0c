package org.mistore.pop;

import org.mistore.codecs.FailureCode;

/** An expected refusal by a store (conflict, bad checksum), carried to the client with its code. */
public final class StoreFailure extends RuntimeException {
  public final FailureCode code;

  public StoreFailure(FailureCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /**
   * A failure about an object whose current version is {@code head}: its text carries the version
   * (tagged {@link Replies#CURRENT_VERSION}) for the gateway to put on the client's answer.
   */
  public static StoreFailure about(FailureCode code, long head, String reason) {
    return new StoreFailure(code, Replies.CURRENT_VERSION + head + ";" + reason);
  }
}
