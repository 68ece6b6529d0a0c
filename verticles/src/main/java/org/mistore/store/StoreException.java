package org.mistore.store;

/** The store cannot be opened or used; the message says why in one line. */
public final class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message, null, false, false);
  }

  /** A store failure caused by the disk (or MapDB) failing: {@code cause} is kept for the log. */
  public StoreException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
