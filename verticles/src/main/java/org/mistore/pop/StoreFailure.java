package org.mistore.pop;

import org.mistore.codecs.FailureCode;

/** An expected refusal by a store (conflict, bad checksum), carried to the client with its code. */
public final class StoreFailure extends RuntimeException {
  public final FailureCode code;

  public StoreFailure(FailureCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }
}
