package org.mistore.store;

/** The store cannot be opened or used; the message says why in one line. */
public final class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message, null, false, false);
  }
}
