package org.mistore.codecs;

/**
 * The one set of failure codes used with {@code message.fail(code, text)} on the event bus. Codes are
 * the HTTP statuses the API answers with, so the edge maps them one to one.
 */
public enum FailureCode {
  BAD_REQUEST(400), NOT_FOUND(404), CONFLICT(409), GONE(410), PRECONDITION_FAILED(412), TOO_LARGE(413),
  /** Between nodes only: the POP asked does not act as the object's primary now; ask the one that does. */
  MISDIRECTED(421),
  LOCKED(423), INTERNAL(500), UNAVAILABLE(503),
  /** A node's donated quota cannot take what was asked (an HG refusing a block). */
  FULL(507);

  public final int code;

  FailureCode(int code) {
    this.code = code;
  }

  /** The code for a reply failure code; unknown codes (timeouts, no handlers) map to {@link #UNAVAILABLE}. */
  public static FailureCode of(int code) {
    for (FailureCode f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return UNAVAILABLE;
  }
}
