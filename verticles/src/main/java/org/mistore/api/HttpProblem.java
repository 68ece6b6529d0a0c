package org.mistore.api;

/**
 * An expected failure with the HTTP status and reason the client gets as {@code application/problem+json}.
 * Carries no stack trace: it is an answer, not a bug.
 */
public final class HttpProblem extends RuntimeException {
  private final int status;
  private final String title;

  public HttpProblem(int status, String title, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
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

  public static HttpProblem unavailable(String detail) {
    return new HttpProblem(503, "Service Unavailable", detail);
  }
}
