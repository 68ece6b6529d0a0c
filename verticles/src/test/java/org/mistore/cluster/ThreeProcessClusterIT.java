package org.mistore.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.testing.ClusterView;
import org.mistore.testing.Eventually;
import org.mistore.testing.NodeProcess;
import org.mistore.testing.Ports;

/** DC, POP and HG as three separate JVMs from the fat jar, on loopback. */
@Tag("cluster")
@Timeout(180)
class ThreeProcessClusterIT {
  static final long DETECTION_MS = 3000;
  /** Sweep period plus HTTP polling and scheduling noise on a loaded 2-core machine. */
  static final long DETECTION_SLACK_MS = 2000;

  @TempDir
  Path dir;
  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void stopAll() {
    nodes.forEach(NodeProcess::close);
  }

  private NodeProcess start(String role, String id, String region, String pop, int clusterPort, String members,
      String cluster, List<String> jvm) {
    return start(role, id, region, pop, clusterPort, members, cluster, jvm, true);
  }

  /** {@code fastDetection} false: the product's default heartbeat and failure-detection times. */
  private NodeProcess start(String role, String id, String region, String pop, int clusterPort, String members,
      String cluster, List<String> jvm, boolean fastDetection) {
    int http = Ports.free();
    List<String> args = new ArrayList<>(List.of("node", "--role", role, "--id", id, "--region", region,
        "--data", dir.resolve(id).toString(), "--http-port", Integer.toString(http),
        "--cluster-name", cluster, "--cluster-host", "127.0.0.1", "--cluster-port", Integer.toString(clusterPort),
        "--members", members));
    if (fastDetection) {
      args.addAll(List.of("--failure-detection-ms", Long.toString(DETECTION_MS), "--heartbeat-interval-ms", "500"));
    }
    if (pop != null) {
      args.addAll(List.of("--pop", pop));
    }
    NodeProcess p = NodeProcess.start(id, dir, http, jvm, args);
    nodes.add(p);
    return p;
  }

  @Test
  void threeProcessesFormOneClusterAndAKilledHgIsNoticedWithinTheDetectionTime() throws Exception {
    String cluster = "it-" + UUID.randomUUID().toString().substring(0, 8);
    int[] ports = {Ports.free(), Ports.free(), Ports.free()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    long started = System.nanoTime();
    NodeProcess dc = start("dc", "dc-1", "core", null, ports[0], members, cluster, List.of());
    NodeProcess hg = start("hg", "hg-1", "north", "pop-1", ports[2], members, cluster, List.of("-Xmx64m"));
    // An HG whose POP it has never heard from is not ready: it could serve no object call.
    awaitNotReady(hg, "POP pop-1 of this HG's region has not been heard");
    NodeProcess pop = start("pop", "pop-1", "north", null, ports[1], members, cluster, List.of());
    for (NodeProcess n : nodes) {
      n.awaitReady(Duration.ofSeconds(60));
    }
    Map<String, String> allUp = Map.of("dc/dc-1", "up", "pop/pop-1", "up", "hg/hg-1", "up");
    for (NodeProcess n : nodes) {
      Eventually.await("every node listed up on " + n.url(), Duration.ofSeconds(30),
          () -> ClusterView.statuses(n.url()).equals(allUp));
    }
    long joinedMs = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("three-process cluster formed (every node sees every node) in %d ms%n", joinedMs);
    System.out.printf("idle HG-only node with -Xmx64m: RSS %d KiB%n", hg.rssKib());
    // A DC-only node serves no objects: a client sent there is told so for good (421), not to retry (503).
    java.net.http.HttpResponse<String> misdirected = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(dc.url() + "/v1/objects/pop-1.pop-1.hg-1.1")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(misdirected.statusCode()).as(misdirected.body()).isEqualTo(421);
    assertThat(misdirected.headers().firstValue("Content-Type")).hasValue("application/problem+json");

    long killedAt = System.nanoTime();
    hg.kill();
    for (NodeProcess survivor : List.of(dc, pop)) {
      Eventually.await("hg-1 down on " + survivor.url(), Duration.ofMillis(DETECTION_MS + DETECTION_SLACK_MS),
          () -> "down".equals(ClusterView.statuses(survivor.url()).get("hg/hg-1")));
    }
    long detectedMs = (System.nanoTime() - killedAt) / 1_000_000;
    System.out.printf("kill -9 of the HG noticed on DC and POP after %d ms (failure-detection-ms %d)%n",
        detectedMs, DETECTION_MS);
    assertThat(ClusterView.statuses(dc.url())).containsEntry("pop/pop-1", "up").containsEntry("dc/dc-1", "up");

    // HGs whose --pop names a POP of another region, or a node that is no POP: never ready, and told why.
    NodeProcess wrongRegion = start("hg", "hg-9", "south", "pop-1", Ports.free(), members, cluster, List.of("-Xmx64m"));
    NodeProcess notAPop = start("hg", "hg-8", "north", "dc-1", Ports.free(), members, cluster, List.of("-Xmx64m"));
    awaitNotReady(wrongRegion, "POP pop-1 is in region north but this HG was started with --region south");
    awaitNotReady(notAPop, "--pop dc-1 names a DC, not a POP");
    assertThat(wrongRegion.log()).contains("SEVERE").contains("an HG must be in its POP's region");
  }

  /** Waits until {@code node} is up and its /ready answers 503 saying {@code because}. */
  private static void awaitNotReady(NodeProcess node, String because) {
    Eventually.await(node.url() + " not ready because " + because, Duration.ofSeconds(60), () -> {
      try {
        java.net.http.HttpResponse<String> ready = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.url() + "/ready")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        return ready.statusCode() == 503 && ready.body().contains(because);
      } catch (java.io.IOException | InterruptedException e) {
        return false;
      }
    });
  }

  /** With the default settings: a 1.5 s stop of the whole JVM (a long GC pause) is no failure; SIGTERM leaves at once. */
  @Test
  void aPauseIsNoFailureAndSigtermLeavesTheClusterGracefully() throws Exception {
    String cluster = "it-" + UUID.randomUUID().toString().substring(0, 8);
    int[] ports = {Ports.free(), Ports.free()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
    NodeProcess dc = start("dc", "dc-1", "core", null, ports[0], members, cluster, List.of(), false);
    NodeProcess pop = start("pop", "pop-1", "north", null, ports[1], members, cluster, List.of(), false);
    dc.awaitReady(Duration.ofSeconds(60));
    pop.awaitReady(Duration.ofSeconds(60));
    Eventually.await("pop up on dc", Duration.ofSeconds(30),
        () -> "up".equals(ClusterView.statuses(dc.url()).get("pop/pop-1")));

    pop.signal("STOP");
    long pausedAt = System.nanoTime();
    List<String> seen = new ArrayList<>();
    try {
      while (System.nanoTime() - pausedAt < 1_500_000_000L) {
        seen.add(ClusterView.statuses(dc.url()).get("pop/pop-1"));
        Thread.sleep(100);
      }
    } finally {
      pop.signal("CONT");
    }
    long resumedAt = System.nanoTime();
    while (System.nanoTime() - resumedAt < 3_000_000_000L) {
      seen.add(ClusterView.statuses(dc.url()).get("pop/pop-1"));
      Thread.sleep(100);
    }
    assertThat(seen).as("the POP as the DC saw it during and after a 1.5 s pause").hasSizeGreaterThan(10)
        .containsOnly("up");

    long stopAt = System.nanoTime();
    int code = pop.terminate(Duration.ofSeconds(20));
    assertThat(code).as("exit code after SIGTERM").isEqualTo(0);
    assertThat(pop.log()).contains("leaving the cluster").contains("stopped");
    // A graceful leave is seen through membership at once, well before the silence timeout.
    Eventually.await("pop down on dc", Duration.ofMillis(DETECTION_MS + DETECTION_SLACK_MS),
        () -> "down".equals(ClusterView.statuses(dc.url()).get("pop/pop-1")));
    System.out.printf("SIGTERM'd POP seen down on the DC after %d ms%n", (System.nanoTime() - stopAt) / 1_000_000);
  }
}
