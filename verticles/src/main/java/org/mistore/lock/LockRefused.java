package org.mistore.lock;

/** The lock is not available (now, or within the request's wait): HTTP 423 with {@code Retry-After}. */
public final class LockRefused extends RuntimeException {
  public final long retryAfterSeconds;

  public LockRefused(String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
