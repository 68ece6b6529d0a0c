package org.mistore.api;

/**
 * An expected failure with the HTTP status and reason the client gets as {@code application/problem+json}.
 * Carries no stack trace: it is an answer, not a bug.
 */
public final class HttpProblem extends RuntimeException {
  private final int status;
  private final String title;
  private final long retryAfterSeconds;
  private final long currentVersion;
  /** The object the answer is about when the request's path does not name it (a create), else null. */
  private final org.mistore.codecs.ObjectId object;

  public HttpProblem(int status, String title, String detail) {
    this(status, title, detail, 0, 0);
  }

  private HttpProblem(int status, String title, String detail, long retryAfterSeconds, long currentVersion) {
    this(status, title, detail, retryAfterSeconds, currentVersion, null);
  }

  private HttpProblem(int status, String title, String detail, long retryAfterSeconds, long currentVersion,
      org.mistore.codecs.ObjectId object) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
    this.retryAfterSeconds = retryAfterSeconds;
    this.currentVersion = currentVersion;
    this.object = object;
  }

  /** This problem, about {@code id} (whose version headers it carries once it names a current version). */
  public HttpProblem about(org.mistore.codecs.ObjectId id) {
    return new HttpProblem(status, title, getMessage(), retryAfterSeconds, currentVersion, id);
  }

  /** The object this answer is about when the request's path does not name it, or null. */
  public org.mistore.codecs.ObjectId object() {
    return object;
  }

  /** 412 naming the object's current version (its {@code Mistore-Version} and {@code ETag}); 0 when unknown. */
  public static HttpProblem preconditionFailed(String detail, long currentVersion) {
    return new HttpProblem(412, "Precondition Failed", detail, 0, Math.max(0, currentVersion));
  }

  /** This problem, naming the object's current version as well ({@code version} 0 or less: this one). */
  public HttpProblem withCurrentVersion(long version) {
    return version <= 0 ? this : new HttpProblem(status, title, getMessage(), retryAfterSeconds, version, object);
  }

  /** The object's current version when the answer names it (a failed {@code If-Match}), else 0. */
  public long currentVersion() {
    return currentVersion;
  }

  /** 423 with the seconds a client should wait ({@code Retry-After}). */
  public static HttpProblem locked(String detail, long retryAfterSeconds) {
    return new HttpProblem(423, "Locked", detail, Math.max(1, retryAfterSeconds), 0);
  }

  /** Seconds for {@code Retry-After}, 0 for none. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public static HttpProblem badRequest(String detail) {
    return new HttpProblem(400, "Bad Request", detail);
  }

  public static HttpProblem notFound(String detail) {
    return new HttpProblem(404, "Not Found", detail);
  }

  /** A 404 about an object that exists: a version it does not have; it names the current one. */
  public static HttpProblem notFound(String detail, long currentVersion) {
    return new HttpProblem(404, "Not Found", detail, 0, Math.max(0, currentVersion));
  }

  public static HttpProblem unavailable(String detail) {
    return new HttpProblem(503, "Service Unavailable", detail);
  }
}
