package org.mistore.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.mistore.node.DevCluster;
import org.mistore.node.MistoreNode;
import org.mistore.node.NodeSettings;

/** A dev cluster in this JVM, with HTTP helpers speaking the client API through its front door. */
public final class DevHarness implements AutoCloseable {
  public final MistoreNode cluster;
  public final String base;

  private DevHarness(MistoreNode cluster) {
    this.cluster = cluster;
    this.base = "http://127.0.0.1:" + cluster.httpPort();
  }

  /**
   * Fast failure detection so failover tests run in seconds. A 600 ms detection leaves little room
   * for a heartbeat queued behind a busy event loop: four loops (Vert.x's default on two cores), as
   * these tests were tuned with, instead of one per core (a WebSocket test flooding the gateway with
   * 20,000 requests once had its POP declared down in a full build with two).
   */
  public static NodeSettings tunables(JsonObject overrides) {
    return DevCluster.tunables(new JsonObject().put("heartbeat-interval-ms", 100).put("failure-detection-ms", 600)
        .put("event-loops", 4).mergeIn(overrides));
  }

  public static DevHarness start(Path data, int pops, int hgsPerPop, JsonObject overrides) {
    return new DevHarness(DevCluster.start(tunables(overrides), pops, hgsPerPop, data, "127.0.0.1", 0));
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
  }

  public HttpResponse<String> send(HttpRequest.Builder request) {
    return Http.send(request.build());
  }

  public HttpResponse<String> get(String path, String... headers) {
    HttpRequest.Builder b = request(path).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  public HttpResponse<String> post(String path, String body, String... headers) {
    HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  public HttpResponse<String> put(String path, String body, String... headers) {
    HttpRequest.Builder b = request(path).PUT(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  public HttpResponse<String> delete(String path, String... headers) {
    HttpRequest.Builder b = request(path).DELETE();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  /** Creates an object through a gateway; returns its id. */
  public String create(String body, String gateway) {
    HttpResponse<String> r = post("/v1/objects", body, "Mistore-Gateway", gateway);
    if (r.statusCode() != 201) {
      throw new AssertionError("create answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body()).getString("id");
  }

  /** POST /v1/objects/{id}/locks; returns the response. */
  public HttpResponse<String> lock(String id, String type, long ttlMs, long waitMs, String gateway) {
    return post("/v1/objects/" + id + "/locks", new JsonObject().put("type", type).put("ttlMs", ttlMs)
        .put("waitMs", waitMs).encode(), "Mistore-Gateway", gateway, "Content-Type", "application/json");
  }

  @Override
  public void close() {
    cluster.close();
  }
}
