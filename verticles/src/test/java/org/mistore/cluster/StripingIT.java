package org.mistore.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.testing.Eventually;
import org.mistore.testing.Http;
import org.mistore.testing.ProcessCluster;
import org.mistore.testing.Streams;

/**
 * A region of six HG processes holding a striped object with two copies per block, through a kill -9.
 * (What a returning HG's blocks become is pinned in one JVM: {@code StripingTest}.)
 */
@Tag("cluster")
@Timeout(300)
class StripingIT {
  private static final List<String> HGS = List.of("hg-1", "hg-2", "hg-3", "hg-4", "hg-5", "hg-6");
  @TempDir
  Path dir;
  private ProcessCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private JsonObject north() {
    return Http.json(cluster.get("pop-1").url() + "/v1/admin/regions/north");
  }

  private static long upHgs(JsonObject view) {
    return view.getJsonArray("hgs").stream().map(JsonObject.class::cast)
        .filter(h -> "up".equals(h.getString("status"))).count();
  }

  private static String read(String gateway, String id) throws Exception {
    HttpResponse<InputStream> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(URI.create(gateway + "/v1/objects/" + id)).timeout(Duration.ofMinutes(2))
            .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Mistore-Source")).hasValue("hg-blocks");
    try (InputStream in = r.body()) {
      return Streams.sha256(in);
    }
  }

  @Test
  void afterKillNineOfAnHgItsBlocksAreReadFromOtherCopiesAndEveryBlockGetsBackToTwoCopies() throws Exception {
    List<String> ids = new ArrayList<>(List.of("pop-1", "pop-2"));
    ids.addAll(HGS);
    cluster = new ProcessCluster(dir, 3000, ids.toArray(String[]::new))
        .node("pop-1", List.of("-Dmistore.hg-copies=2", "-Dmistore.pop-keeps-blocks=false",
            "-Dmistore.pop-cache-bytes=0", "-Dmistore.hg-read-timeout-ms=2000"), "--role", "pop", "--region", "north")
        .node("pop-2", List.of(), "--role", "pop", "--region", "south");
    for (String hg : HGS) {
      cluster.node(hg, List.of("-Xmx64m", "-Dmistore.hg-cache-bytes=0"), "--role", "hg", "--region", "north",
          "--pop", "pop-1");
    }
    ids.forEach(cluster::start);
    ids.forEach(id -> cluster.get(id).awaitReady(Duration.ofSeconds(120)));
    Eventually.await("pop-1 sees its six HGs", Duration.ofSeconds(30), () -> upHgs(north()) == 6);
    String writer = cluster.get("hg-1").url();
    Eventually.await("pop-2 known to hg-1", Duration.ofSeconds(30), () -> "up".equals(
        org.mistore.testing.ClusterView.statuses(writer).get("pop/pop-2")));

    long size = 64L << 20;
    String expected = Streams.sha256(Streams.of(size, 64));
    HttpResponse<String> created = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(URI.create(writer + "/v1/objects")).timeout(Duration.ofMinutes(2))
            .header("Mistore-Stripes", "4")
            .POST(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> Streams.of(size, 64)), size)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = new JsonObject(created.body()).getString("id");

    JsonObject placed = Eventually.value("64 blocks with two copies each", Duration.ofSeconds(60), this::north,
        v -> v.getLong("pendingVersions") == 0 && v.getInteger("indexedBlocks") == 64
            && v.getInteger("underReplicatedBlocks") == 0);
    List<JsonObject> holding = placed.getJsonArray("hgs").stream().map(JsonObject.class::cast)
        .filter(h -> h.getInteger("blocks") > 0).toList();
    assertThat(holding).as("a stripe of four HGs").hasSize(4);
    assertThat(holding).allMatch(h -> h.getInteger("blocks") == 32);

    String reader = cluster.get("hg-6").url();
    Eventually.await("reads come from HG blocks (the POP dropped its copies)", Duration.ofSeconds(30),
        () -> Http.send(HttpRequest.newBuilder(URI.create(reader + "/v1/objects/" + id)).header("Range", "bytes=0-0")
            .build()).headers().firstValue("Mistore-Source").orElse("").equals("hg-blocks"));
    String victim = holding.stream().map(h -> h.getString("id")).filter(h -> !h.equals("hg-6")).findFirst()
        .orElseThrow();
    cluster.get(victim).kill();
    long killedAt = System.nanoTime();
    assertThat(read(reader, id)).as("read right after kill -9 of " + victim).isEqualTo(expected);
    long readMs = (System.nanoTime() - killedAt) / 1_000_000;

    JsonObject repaired = Eventually.value("every block back to two live copies", Duration.ofSeconds(90), this::north,
        v -> upHgs(v) == 5 && v.getInteger("underReplicatedBlocks") == 0
            && v.getJsonObject("repair").getLong("pendingBlocks") == 0
            && v.getJsonObject("repair").getLong("repairedBlocks") >= 32);
    long repairMs = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(read(reader, id)).isEqualTo(expected);
    String metrics = Http.get(cluster.get("pop-1").url() + "/metrics").body();
    assertThat(metrics).contains("mistore_repair_blocks_total{pop=\"pop-1\"}");

    System.out.printf("striping k=4 r=2, 64 MiB: read after kill -9 of %s in %d ms; all blocks back to 2 copies "
        + "after %d ms (%d blocks repaired)%n", victim, readMs, repairMs,
        repaired.getJsonObject("repair").getLong("repairedBlocks"));
  }
}
