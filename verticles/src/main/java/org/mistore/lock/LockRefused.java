package org.mistore.lock;

/**
 * The lock is not available (now, or within the request's wait): HTTP 423 with {@code Retry-After},
 * and the object's current version when known (0 otherwise).
 */
public final class LockRefused extends RuntimeException {
  public final long retryAfterSeconds;
  public final long currentVersion;

  public LockRefused(String message, long retryAfterSeconds) {
    this(message, retryAfterSeconds, 0);
  }

  private LockRefused(String message, long retryAfterSeconds, long currentVersion) {
    super(message, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
    this.currentVersion = currentVersion;
  }

  /** This refusal, naming the object's current version. */
  public LockRefused withCurrentVersion(long version) {
    return new LockRefused(getMessage(), retryAfterSeconds, version);
  }
}
