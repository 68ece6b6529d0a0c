package org.mistore.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.testing.ClusterView;
import org.mistore.testing.Eventually;
import org.mistore.testing.Http;
import org.mistore.testing.ProcessCluster;

/**
 * POP failover with real processes and {@code kill -9}: clients in two regions keep writing and
 * reading atomically while the objects' primary POP dies; then the primary returns and catches up,
 * the backup dies, the DC dies and returns, and finally every node dies and restarts. Every
 * acknowledged version must be there byte for byte, versions contiguous, and no atomic read may go
 * back in time.
 */
@Tag("cluster")
@Timeout(420)
class FailoverIT {
  private static final List<String> NODES = List.of("dc-1", "pop-1", "pop-2", "pop-3", "hg-1", "hg-2", "hg-3");
  /** Small, quick-starting JVMs: seven of them share two cores. */
  private static final List<String> JVM = List.of("-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  @TempDir
  Path dir;
  private ProcessCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A read or write as a client saw it: what version, when it started and when it was answered. */
  private record Op(int client, String id, boolean write, long version, String body, long start, long end) {
  }

  private String url(String node) {
    return cluster.get(node).url();
  }

  private void startAll() {
    NODES.forEach(cluster::start);
    NODES.forEach(n -> cluster.get(n).awaitReady(Duration.ofSeconds(120)));
  }

  private void awaitSeen(String observer, String node, String status) {
    Eventually.await(node + " " + status + " as seen by " + observer, Duration.ofSeconds(60),
        () -> status.equals(ClusterView.statuses(url(observer)).get(node)));
  }

  private static HttpResponse<String> put(String gateway, String id, String body, String requestId) {
    return Http.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/objects/" + id)).timeout(Duration.ofSeconds(30))
        .header("Mistore-Request-Id", requestId).PUT(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** One logical write, retried with the same request id until acknowledged or {@code patienceMs} passes. */
  private static HttpResponse<String> write(String gateway, String id, String body, String requestId, long patienceMs) {
    long until = System.currentTimeMillis() + patienceMs;
    HttpResponse<String> last = null;
    while (System.currentTimeMillis() < until) {
      try {
        last = put(gateway, id, body, requestId);
        if (last.statusCode() == 200) {
          return last;
        }
      } catch (RuntimeException e) {
        // connection trouble: retry
      }
      sleep(100);
    }
    return last;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void acknowledgedWritesSurvivePrimaryBackupDcAndWholeClusterLoss() throws Exception {
    cluster = new ProcessCluster(dir, 3000, NODES.toArray(String[]::new))
        .node("dc-1", JVM, "--role", "dc", "--region", "core")
        .node("pop-1", JVM, "--role", "pop", "--region", "north")
        .node("pop-2", JVM, "--role", "pop", "--region", "south")
        .node("pop-3", JVM, "--role", "pop", "--region", "east")
        .node("hg-1", JVM, "--role", "hg", "--region", "north", "--pop", "pop-1")
        .node("hg-2", JVM, "--role", "hg", "--region", "south", "--pop", "pop-2")
        .node("hg-3", JVM, "--role", "hg", "--region", "east", "--pop", "pop-3");
    startAll();
    for (String gw : List.of("hg-1", "hg-2", "hg-3")) {
      for (String n : List.of("dc/dc-1", "pop/pop-1", "pop/pop-2", "pop/pop-3")) {
        awaitSeen(gw, n, "up");
      }
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ids.add(Http.create(url("hg-1"), "object " + i + " v1"));
    }
    assertThat(ids).allMatch(id -> id.startsWith("pop-1."));

    // Four clients, two per surviving region, each writing and reading its object atomically.
    List<Op> history = Collections.synchronizedList(new ArrayList<>());
    Map<String, String> acked = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong killedAt = new AtomicLong();
    AtomicLong firstWriteAfterKill = new AtomicLong();
    AtomicLong firstReadAfterKill = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      int client = c;
      String gateway = url(c % 2 == 0 ? "hg-2" : "hg-3");
      String id = ids.get(c / 2);
      clients.add(pool.submit(() -> {
        for (int n = 0; running.get(); n++) {
          String body = "client " + client + " write " + n;
          long start = System.nanoTime();
          HttpResponse<String> w = write(gateway, id, body, "c" + client + "-" + n, 20_000);
          long end = System.nanoTime();
          if (w != null && w.statusCode() == 200) {
            long version = new JsonObject(w.body()).getLong("version");
            history.add(new Op(client, id, true, version, body, start, end));
            acked.put(id + "@" + version, body);
            if (killedAt.get() != 0 && start > killedAt.get()) {
              firstWriteAfterKill.compareAndSet(0, end);
            }
          }
          long readStart = System.nanoTime();
          try {
            HttpResponse<String> r = Http.get(gateway + "/v1/objects/" + id);
            if (r.statusCode() == 200) {
              long version = Long.parseLong(r.headers().firstValue("Mistore-Version").orElseThrow());
              history.add(new Op(client, id, false, version, r.body(), readStart, System.nanoTime()));
              if (killedAt.get() != 0 && readStart > killedAt.get()) {
                firstReadAfterKill.compareAndSet(0, System.nanoTime());
              }
            }
          } catch (RuntimeException e) {
            // a read that failed shows nothing: it cannot go back in time
          }
        }
        return null;
      }));
    }
    Eventually.await("some writes before the kill", Duration.ofSeconds(60), () -> acked.size() >= 8);
    killedAt.set(System.nanoTime());
    cluster.get("pop-1").kill();
    Eventually.await("writes and reads after the kill", Duration.ofSeconds(60),
        () -> firstWriteAfterKill.get() != 0 && firstReadAfterKill.get() != 0);
    int ackedAtFailover = acked.size();
    Eventually.await("more writes after failover", Duration.ofSeconds(60), () -> acked.size() >= ackedAtFailover + 8);
    running.set(false);
    for (Future<?> f : clients) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    System.out.printf("kill -9 of the primary POP: first acknowledged write after %d ms, first atomic read after %d ms"
            + " (writes issued after the kill; failure detection 3000 ms)%n",
        (firstWriteAfterKill.get() - killedAt.get()) / 1_000_000, (firstReadAfterKill.get() - killedAt.get()) / 1_000_000);
    checkNoReadWentBackInTime(history);
    checkAllAcknowledged(url("hg-2"), ids, acked);

    // hg-1's POP no longer relays its heartbeats: it must reach the others itself, or they would take
    // it for down with its POP (detection is 3 s: after twice that, only its own heartbeats keep it up).
    awaitSeen("dc-1", "pop/pop-1", "down");
    long popDownSeen = System.nanoTime();
    Eventually.await("hg-1 still up at dc-1 and hg-2 two detection times after pop-1 was seen down",
        Duration.ofSeconds(30), () -> System.nanoTime() - popDownSeen > 6_000_000_000L
            && "up".equals(ClusterView.statuses(url("dc-1")).get("hg/hg-1"))
            && "up".equals(ClusterView.statuses(url("hg-2")).get("hg/hg-1")));

    // The primary returns: it catches up, then serves its region and everyone else again.
    cluster.start("pop-1").awaitReady(Duration.ofSeconds(120));
    awaitSeen("hg-1", "pop/pop-1", "up");
    awaitSeen("hg-2", "pop/pop-1", "up");
    for (String id : ids) {
      HttpResponse<String> back = Eventually.value("read through the returned primary", Duration.ofSeconds(30),
          () -> Http.get(url("hg-1") + "/v1/objects/" + id), r -> r.statusCode() == 200);
      assertThat(back.headers().firstValue("Mistore-Source")).hasValue("primary");
      assertThat(back.headers().firstValue("Mistore-Version").map(Long::parseLong).orElseThrow())
          .isEqualTo(head(acked, id));
    }
    checkAllAcknowledged(url("hg-1"), ids, acked);
    writeOnce(url("hg-1"), ids, acked, "after the primary returned");

    // The backup dies: the DC holds the second copy.
    String backup = ids.get(0).split("\\.")[1];
    cluster.get(backup).kill();
    awaitSeen("hg-1", "pop/" + backup, "down");
    writeOnce(url("hg-1"), ids, acked, "with the backup down");

    // The DC dies too: the third POP stands in. Then the DC restarts from its store.
    cluster.get("dc-1").kill();
    awaitSeen("hg-1", "dc/dc-1", "down");
    writeOnce(url("hg-1"), ids, acked, "with the backup and the DC down");
    cluster.start("dc-1").awaitReady(Duration.ofSeconds(120));
    awaitSeen("hg-1", "dc/dc-1", "up");
    writeOnce(url("hg-1"), ids, acked, "after the DC restarted");
    cluster.start(backup).awaitReady(Duration.ofSeconds(120));
    awaitSeen("hg-1", "pop/" + backup, "up");
    writeOnce(url("hg-1"), ids, acked, "after the backup returned");

    // Every node dies at once, then all restart on their stores.
    NODES.forEach(n -> cluster.get(n).kill());
    startAll();
    for (String n : List.of("dc/dc-1", "pop/pop-1", "pop/pop-2", "pop/pop-3")) {
      awaitSeen("hg-1", n, "up");
      awaitSeen("hg-2", n, "up");
    }
    checkAllAcknowledged(url("hg-1"), ids, acked);
    checkAllAcknowledged(url("hg-2"), ids, acked);
  }

  private static long head(Map<String, String> acked, String id) {
    return acked.keySet().stream().filter(k -> k.startsWith(id + "@"))
        .mapToLong(k -> Long.parseLong(k.substring(k.indexOf('@') + 1))).max().orElse(1);
  }

  private void writeOnce(String gateway, List<String> ids, Map<String, String> acked, String when) {
    for (String id : ids) {
      String body = "written " + when;
      HttpResponse<String> w = write(gateway, id, body, "once-" + when.hashCode() + "-" + id.hashCode(), 30_000);
      assertThat(w).as("a write %s", when).isNotNull();
      assertThat(w.statusCode()).as("a write %s: %s", when, w.body()).isEqualTo(200);
      acked.put(id + "@" + new JsonObject(w.body()).getLong("version"), body);
    }
  }

  /** Versions 1..head with no gap, and every acknowledged version readable with its exact bytes. */
  private static void checkAllAcknowledged(String gateway, List<String> ids, Map<String, String> acked) {
    for (String id : ids) {
      JsonArray versions = Eventually.value("versions of " + id, Duration.ofSeconds(30),
          () -> Http.get(gateway + "/v1/objects/" + id + "/versions"), r -> r.statusCode() == 200)
          .body().transform(JsonArray::new);
      List<Long> numbers = versions.stream().map(v -> ((JsonObject) v).getLong("version")).toList();
      for (int i = 0; i < numbers.size(); i++) {
        assertThat(numbers.get(i)).as("versions of %s are contiguous: %s", id, numbers).isEqualTo(i + 1L);
      }
      assertThat((long) numbers.size()).isGreaterThanOrEqualTo(head(acked, id));
    }
    acked.forEach((key, body) -> {
      String id = key.substring(0, key.indexOf('@'));
      String version = key.substring(key.indexOf('@') + 1);
      HttpResponse<String> r = Http.get(gateway + "/v1/objects/" + id + "?version=" + version);
      assertThat(r.statusCode()).as("acknowledged %s", key).isEqualTo(200);
      assertThat(r.body()).as("acknowledged %s byte for byte", key).isEqualTo(body);
    });
  }

  /**
   * Linearizable reads: a read never returns a version older than one acknowledged, or read, before
   * the read started; and what a read returns at version N is what N's writer wrote.
   */
  private static void checkNoReadWentBackInTime(List<Op> history) {
    List<Op> all;
    synchronized (history) {
      all = new ArrayList<>(history);
    }
    Map<String, String> written = new ConcurrentHashMap<>();
    all.stream().filter(Op::write).forEach(w -> written.put(w.id() + "@" + w.version(), w.body()));
    assertThat(all.stream().filter(o -> !o.write()).count()).isGreaterThan(10);
    for (Op read : all) {
      if (read.write()) {
        continue;
      }
      long floor = all.stream().filter(o -> o.id().equals(read.id()) && o.end() < read.start())
          .mapToLong(Op::version).max().orElse(0);
      assertThat(read.version()).as("atomic read by client %d of %s went back in time", read.client(), read.id())
          .isGreaterThanOrEqualTo(floor);
      String body = written.get(read.id() + "@" + read.version());
      if (body != null) {
        assertThat(read.body()).as("version %d of %s", read.version(), read.id()).isEqualTo(body);
      }
    }
  }
}
