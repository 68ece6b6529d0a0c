package org.mistore.node;

/** A condition that stops a node from starting, told to the operator as one line (no stack trace). */
public final class StartupException extends RuntimeException {
  public StartupException(String message) {
    super(message, null, false, false);
  }
}
