package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Body;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP calls of the client API as Gatling requests, shared by the simulations. Each virtual
 * user keeps its current object in session attribute {@code id}, the newest version it wrote or
 * saw in {@code version}, and a lock token in {@code token}.
 */
public final class Api {
  private static final AtomicInteger NEXT_GATEWAY = new AtomicInteger();
  private final Settings settings;

  public Api(Settings settings) {
    this.settings = settings;
  }

  /** The protocol: the gateway's URL, no response caching (reads must reach the store), no warm-up call. */
  public HttpProtocolBuilder protocol() {
    return http.baseUrl(settings.url)
        .wsBaseUrl(settings.wsUrl())
        .disableCaching()
        .disableWarmUp()
        .acceptHeader("*/*")
        .userAgentHeader("mistore-load-tests");
  }

  /** Gives the user its gateway (round robin over {@code mistore.gateways}) in attribute {@code gw}. */
  public ChainBuilder pickGateway() {
    return exec(session -> settings.gateways.isEmpty() ? session
        : session.set("gw", settings.gateways.get(Math.floorMod(NEXT_GATEWAY.getAndIncrement(), settings.gateways.size()))));
  }

  /** Adds the user's {@code Mistore-Gateway} header when gateways are configured. */
  public HttpRequestActionBuilder viaGateway(HttpRequestActionBuilder request) {
    return settings.gateways.isEmpty() ? request : request.header("Mistore-Gateway", "#{gw}");
  }

  /** {@code POST /v1/objects}: 201, saves {@code id} and {@code version} (1). */
  public HttpRequestActionBuilder create(String name, Body body) {
    return viaGateway(http(name).post("/v1/objects")
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .check(status().is(201), jsonPath("$.id").saveAs("id"), jsonPath("$.version").ofInt().saveAs("version")));
  }

  /** {@code PUT /v1/objects/{id}}: 200, saves the new {@code version}. */
  public HttpRequestActionBuilder put(String name, Body body) {
    return viaGateway(http(name).put("/v1/objects/#{id}")
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .check(status().is(200), jsonPath("$.version").ofInt().saveAs("version")));
  }

  /**
   * {@code GET /v1/objects/{id}?consistency=atomic}: 200 with exactly the version this user wrote
   * last (each user is its object's only writer, so anything else breaks linearizability).
   */
  public HttpRequestActionBuilder readAtomic(String name) {
    return viaGateway(http(name).get("/v1/objects/#{id}").queryParam("consistency", "atomic")
        .check(status().is(200), header("Mistore-Version").isEL("#{version}")));
  }

  /** {@code rw-exclusive} read (the gateway takes a read lock for it): 200 with the user's last version. */
  public HttpRequestActionBuilder readExclusive(String name) {
    return viaGateway(http(name).get("/v1/objects/#{id}").queryParam("consistency", "rw-exclusive")
        .check(status().is(200), header("Mistore-Version").isEL("#{version}")));
  }

  /** {@code monotonic} read with {@code Mistore-Min-Version}: 200 and never older than that. */
  public HttpRequestActionBuilder readMonotonic(String name) {
    return viaGateway(http(name).get("/v1/objects/#{id}").queryParam("consistency", "monotonic")
        .header("Mistore-Min-Version", "#{version}")
        .check(status().is(200),
            header("Mistore-Version").transformWithSession((v, s) -> Integer.parseInt(v) >= s.getInt("version")).is(true)));
  }

  /** {@code ?version=N} read of the user's last version: 200 with exactly that version. */
  public HttpRequestActionBuilder readVersion(String name) {
    return viaGateway(http(name).get("/v1/objects/#{id}").queryParam("version", "#{version}")
        .check(status().is(200), header("Mistore-Version").isEL("#{version}")));
  }

  /** {@code POST /v1/objects/{id}/locks}: the given statuses pass (default 201); a grant saves {@code token}. */
  public HttpRequestActionBuilder lock(String name, String type, int waitMs, Integer... okStatuses) {
    Integer[] ok = okStatuses.length == 0 ? new Integer[] {201} : okStatuses;
    return viaGateway(http(name).post("/v1/objects/#{id}/locks")
        .header("Content-Type", "application/json")
        .body(StringBody(
            "{\"type\":\"" + type + "\",\"ttlMs\":" + settings.lockTtlMs + ",\"waitMs\":" + waitMs + "}"))
        .check(status().in(ok), jsonPath("$.token").optional().saveAs("token")));
  }

  /** {@code POST /v1/locks/{token}/renew}: 200. */
  public HttpRequestActionBuilder renew(String name) {
    return viaGateway(http(name).post("/v1/locks/#{token}/renew").check(status().is(200), jsonPath("$.expiresAt").exists()));
  }

  /** {@code DELETE /v1/locks/{token}}: 204. */
  public HttpRequestActionBuilder unlock(String name) {
    return viaGateway(http(name).delete("/v1/locks/#{token}").check(status().is(204)));
  }

  /** {@code PUT} under the write lock the user holds ({@code Mistore-Lock: token}): 200, saves {@code version}. */
  public HttpRequestActionBuilder putLocked(String name, Body body) {
    return viaGateway(http(name).put("/v1/objects/#{id}")
        .header("Content-Type", "application/octet-stream")
        .header("Mistore-Lock", "#{token}")
        .body(body)
        .check(status().is(200), jsonPath("$.version").ofInt().saveAs("version")));
  }
}
