package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.codecs.Role;
import org.mistore.store.StoreFaults;
import org.mistore.testing.ClusterView;
import org.mistore.testing.Eventually;
import org.mistore.testing.Http;

class DevClusterTest {
  @TempDir
  Path data;
  private MistoreNode cluster;

  static NodeSettings tunables() {
    return DevCluster.tunables(new JsonObject().put("heartbeat-interval-ms", 200).put("failure-detection-ms", 1000));
  }

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private String start() {
    cluster = DevCluster.start(tunables(), 3, 4, data, "127.0.0.1", 0);
    return "http://127.0.0.1:" + cluster.httpPort();
  }

  @Test
  void defaultDevClusterIsReadyWithOneDcThreePopsTwelveHgs() {
    String base = start();
    assertThat(Http.status(base + "/ready")).isEqualTo(200);
    assertThat(Http.status(base + "/health")).isEqualTo(200);
    assertThat(ClusterView.upByRole(base)).containsExactlyInAnyOrderEntriesOf(Map.of("dc", 1L, "pop", 3L, "hg", 12L));
    JsonObject hg = Http.json(base + "/v1/cluster").getJsonArray("nodes").stream().map(JsonObject.class::cast)
        .filter(n -> n.getString("id").equals("hg-2-3")).findFirst().orElseThrow();
    assertThat(hg.getString("region")).isEqualTo("region-2");
    assertThat(hg.getString("pop")).isEqualTo("pop-2");
    assertThat(hg.getLong("capacityBytes")).isPositive();
  }

  @Test
  void aStoreThatStoppedTakingWritesMakesTheNodeNotReadyAndSaysWhich() {
    String base = start();
    HttpResponse<String> created = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/objects"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("first")).build());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String primary = new JsonObject(created.body()).getString("id").split("\\.")[0];
    java.util.List<String> fatal = new java.util.concurrent.CopyOnWriteArrayList<>();
    MistoreNode.onCopyHolderStoreStopped(fatal::add);
    try {
      StoreFaults.breakJournal(cluster.storeOf(Role.POP, primary).orElseThrow());

      HttpResponse<String> write = Http.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create(base + "/v1/objects/" + new JsonObject(created.body()).getString("id")))
          .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("second")).build());
      assertThat(write.statusCode()).as(write.body()).isEqualTo(503);
      assertThat(write.body()).contains("takes no more writes").contains("same Mistore-Request-Id");
      HttpResponse<String> ready = Http.get(base + "/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("pop " + primary).contains("takes no more writes");
      assertThat(Http.status(base + "/health")).as("alive, only not ready").isEqualTo(200);
      // A node process would exit now (Main), for the other POP to act for this one.
      assertThat(fatal).singleElement().asString().startsWith("pop " + primary + ": ").contains("takes no more writes");
    } finally {
      MistoreNode.onCopyHolderStoreStopped(why -> { });
    }
  }

  @Test
  void anHgWhoseStoreStoppedStaysUpAndReportsItselfFull() {
    String base = start();
    java.util.List<String> fatal = new java.util.concurrent.CopyOnWriteArrayList<>();
    MistoreNode.onCopyHolderStoreStopped(fatal::add);
    try {
      for (int h = 1; h <= 4; h++) {
        StoreFaults.breakJournal(cluster.storeOf(Role.HG, "hg-1-" + h).orElseThrow());
      }
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> created = Http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(base + "/v1/objects")).POST(java.net.http.HttpRequest.BodyPublishers.ofString("x" + i)).build());
        assertThat(created.statusCode()).as("the gateway still serves: " + created.body()).isEqualTo(201);
      }
      Eventually.await("a region-1 HG that took a copy reported full", Duration.ofSeconds(10), () ->
          Http.json(base + "/v1/cluster").getJsonArray("nodes").stream().map(JsonObject.class::cast)
              .anyMatch(n -> n.getString("id").startsWith("hg-1-") && n.getLong("capacityBytes") > 0
                  && n.getLong("capacityBytes").equals(n.getLong("usedBytes"))));
      assertThat(Http.get(base + "/ready").body()).contains("takes no more writes");
      assertThat(fatal).as("an HG's stopped store ends no process").isEmpty();
    } finally {
      MistoreNode.onCopyHolderStoreStopped(why -> { });
    }
  }

  @Test
  void everyRoleKeepsItsStoreInTheDataFolderAcrossRestarts() {
    start();
    cluster.close();
    cluster = null;
    assertThat(data.resolve("pop-pop-1.db")).exists();
    assertThat(data.resolve("hg-hg-3-4.db")).exists();
    assertThat(data.resolve("dc-dc-1.db")).exists();
    String base = start();
    assertThat(Http.status(base + "/ready")).isEqualTo(200);
  }

  @Test
  void usedBytesReportsTheStoresOnDisk() {
    String base = start();
    Eventually.await("used bytes reported", Duration.ofSeconds(5), () ->
        Http.json(base + "/v1/cluster").getJsonArray("nodes").stream().map(JsonObject.class::cast)
            .allMatch(n -> n.getLong("usedBytes") > 0));
  }

  @Test
  void metricsAreInPrometheusTextFormat() {
    String base = start();
    Http.get(base + "/v1/cluster");
    HttpResponse<String> metrics = Http.get(base + "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
    assertThat(metrics.body()).contains("# TYPE").contains("vertx_http_server_requests_total").contains("jvm_memory_used_bytes");
  }

  @Test
  void unknownPathsAndMethodsAreProblemJson() {
    String base = start();
    HttpResponse<String> missing = Http.get(base + "/v1/nothing-here");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonObject problem = new JsonObject(missing.body());
    assertThat(problem.getInteger("status")).isEqualTo(404);
    assertThat(problem.fieldNames()).contains("type", "title", "status", "detail");

    HttpResponse<String> wrongMethod = Http.send(java.net.http.HttpRequest
        .newBuilder(java.net.URI.create(base + "/v1/cluster")).DELETE().build());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(new JsonObject(wrongMethod.body()).getInteger("status")).isEqualTo(405);
  }

  @Test
  void aSecondClusterOnTheSameDataIsRefusedWithAClearReason() throws Exception {
    start();
    assertThatThrownBy(() -> DevCluster.start(tunables(), 3, 4, data, "127.0.0.1", 0))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("cannot open store");
    assertThat(Files.list(data).count()).isGreaterThan(0);
  }
}
