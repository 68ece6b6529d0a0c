package org.mistore.codecs;

/**
 * A buffer that does not hold a well-formed wire value: truncated, wrong format version, a length
 * past the end, invalid UTF-8, an unknown enum tag or trailing bytes. Decoding never guesses.
 */
public final class MalformedWireException extends RuntimeException {
  public MalformedWireException(String message) {
    super(message, null, false, false);
  }
}
