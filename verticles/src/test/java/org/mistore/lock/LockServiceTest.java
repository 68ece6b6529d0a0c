package org.mistore.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Role;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/** The lock service through the HTTP API of a dev cluster (2 regions, real POP verticles and stores). */
class LockServiceTest extends DevClusterTestBase {
  private void start() {
    start(2, 2, new JsonObject());
  }

  private record Hold(String type, long from, long to, long fence) {
  }

  @Test
  void fiftyConcurrentClientsNeverOverlapAWriterWithAnyoneElse() throws Exception {
    start();
    List<String> ids = List.of(dev.create("a", "hg-1-1"), dev.create("b", "hg-2-1"), dev.create("c", "hg-1-2"));
    List<List<Hold>> histories = new ArrayList<>();
    ids.forEach(i -> histories.add(Collections.synchronizedList(new ArrayList<>())));
    String[] gateways = {"hg-1-1", "hg-1-2", "hg-2-1", "hg-2-2"};
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<Future<Integer>> clients = new ArrayList<>();
    for (int c = 0; c < 50; c++) {
      int client = c;
      clients.add(pool.submit(() -> {
        int granted = 0;
        for (int round = 0; round < 8; round++) {
          int o = (client + round) % ids.size();
          String type = (client + round) % 3 == 0 ? "write" : "read";
          HttpResponse<String> r = dev.lock(ids.get(o), type, 5000, 2000, gateways[(client + round) % 4]);
          if (r.statusCode() == 423) {
            continue;
          }
          assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
          long from = System.nanoTime();
          JsonObject grant = new JsonObject(r.body());
          Thread.sleep(2);
          long to = System.nanoTime();
          assertThat(dev.delete("/v1/locks/" + grant.getString("token")).statusCode()).isEqualTo(204);
          histories.get(o).add(new Hold(type, from, to, grant.getLong("fence")));
          granted++;
        }
        return granted;
      }));
    }
    int total = 0;
    for (Future<Integer> f : clients) {
      total += f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(total).as("most requests are granted within their wait").isGreaterThan(200);
    for (List<Hold> history : histories) {
      List<Hold> h = new ArrayList<>(history);
      for (int i = 0; i < h.size(); i++) {
        for (int j = i + 1; j < h.size(); j++) {
          Hold a = h.get(i);
          Hold b = h.get(j);
          boolean overlap = a.from() < b.to() && b.from() < a.to();
          if (overlap) {
            assertThat(a.type().equals("read") && b.type().equals("read"))
                .as("only readers may overlap: %s and %s", a, b).isTrue();
          }
        }
      }
      List<Hold> writes = h.stream().filter(x -> x.type().equals("write"))
          .sorted((x, y) -> Long.compare(x.from(), y.from())).toList();
      for (int i = 1; i < writes.size(); i++) {
        assertThat(writes.get(i).fence()).as("fences rise with each write grant").isGreaterThan(writes.get(i - 1).fence());
      }
    }
  }

  @Test
  void aHolderThatStopsRenewingLosesTheLockAndTheWaiterGetsIt() {
    start();
    String id = dev.create("x", "hg-1-1");
    HttpResponse<String> first = dev.lock(id, "write", 400, 0, "hg-1-1");
    assertThat(first.statusCode()).isEqualTo(201);
    long firstFence = new JsonObject(first.body()).getLong("fence");
    long start = System.nanoTime();
    HttpResponse<String> waiter = dev.lock(id, "write", 5000, 5000, "hg-2-1");
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(waiter.statusCode()).as(waiter.body()).isEqualTo(201);
    assertThat(waitedMs).as("granted once the first lease (400 ms) expired").isBetween(200L, 2000L);
    assertThat(new JsonObject(waiter.body()).getLong("fence")).isGreaterThan(firstFence);
    String oldToken = new JsonObject(first.body()).getString("token");
    assertThat(dev.post("/v1/locks/" + oldToken + "/renew", "").statusCode()).isEqualTo(410);
  }

  @Test
  void aWriteUnderTheClientsLockDoesNotRenewItsLease() {
    start();
    String id = dev.create("x", "hg-1-1");
    JsonObject grant = new JsonObject(dev.lock(id, "write", 3000, 0, "hg-1-1").body());
    long expiresAt = grant.getLong("expiresAt");
    String token = grant.getString("token");
    // A write late in the lease: renewing would have pushed the end past expiresAt by most of 3 s.
    Eventually.await("late in the lease", Duration.ofSeconds(10), () -> System.currentTimeMillis() >= expiresAt - 600);
    HttpResponse<String> put = dev.put("/v1/objects/" + id, "y", "Mistore-Lock", token, "Mistore-Gateway", "hg-2-1");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    Eventually.await("past expiresAt", Duration.ofSeconds(10), () -> System.currentTimeMillis() >= expiresAt + 300);
    assertThat(dev.post("/v1/locks/" + token + "/renew", "").statusCode()).as("the lease ended when it said").isEqualTo(410);
    assertThat(dev.lock(id, "write", 1000, 0, "hg-2-1").statusCode()).isEqualTo(201);
  }

  @Test
  void renewingKeepsTheLeaseAlive() throws Exception {
    start();
    String id = dev.create("x", "hg-1-1");
    JsonObject grant = new JsonObject(dev.lock(id, "write", 800, 0, "hg-1-1").body());
    for (int i = 0; i < 6; i++) {
      Thread.sleep(200);
      HttpResponse<String> r = dev.post("/v1/locks/" + grant.getString("token") + "/renew", "");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getLong("expiresAt")).isGreaterThan(System.currentTimeMillis());
    }
    assertThat(dev.lock(id, "read", 1000, 0, "hg-2-1").statusCode()).as("still held after 1.2 s of an 800 ms lease")
        .isEqualTo(423);
  }

  @Test
  void waitersAreServedInArrivalOrderAndATimedOutWaiterGets423() throws Exception {
    start();
    String id = dev.create("x", "hg-1-1");
    JsonObject holder = new JsonObject(dev.lock(id, "write", 10_000, 0, "hg-1-1").body());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Long> grantOrder = Collections.synchronizedList(new ArrayList<>());
    List<Future<HttpResponse<String>>> waiters = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long n = i;
      waiters.add(pool.submit(() -> {
        HttpResponse<String> r = dev.lock(id, "write", 300, 10_000, "hg-2-1");
        grantOrder.add(n);
        if (r.statusCode() == 201) {
          dev.delete("/v1/locks/" + new JsonObject(r.body()).getString("token"));
        }
        return r;
      }));
      // Let each waiter reach the queue before the next one.
      Thread.sleep(300);
    }
    HttpResponse<String> impatient = dev.lock(id, "read", 1000, 200, "hg-1-2");
    assertThat(impatient.statusCode()).isEqualTo(423);
    assertThat(impatient.headers().firstValue("Retry-After")).isPresent();
    assertThat(dev.delete("/v1/locks/" + holder.getString("token")).statusCode()).isEqualTo(204);
    for (Future<HttpResponse<String>> w : waiters) {
      assertThat(w.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    }
    pool.shutdown();
    assertThat(grantOrder).containsExactly(0L, 1L, 2L);
  }

  @Test
  void readersShareAndExcludeWriters() {
    start();
    String id = dev.create("x", "hg-1-1");
    HttpResponse<String> reader = dev.lock(id, "read", 5000, 0, "hg-1-1");
    assertThat(reader.statusCode()).isEqualTo(201);
    assertThat(dev.lock(id, "read", 5000, 0, "hg-2-2").statusCode()).isEqualTo(201);
    HttpResponse<String> writer = dev.lock(id, "write", 5000, 0, "hg-1-2");
    assertThat(writer.statusCode()).isEqualTo(423);
    HttpResponse<String> put = dev.put("/v1/objects/" + id, "y", "Mistore-Lock-Wait", "100");
    assertThat(put.statusCode()).as("a write cannot complete while readers hold the object").isEqualTo(423);
    // Every answer about the object names its current version, grants and refusals alike.
    for (HttpResponse<String> answer : java.util.List.of(reader, writer, put)) {
      assertThat(answer.headers().firstValue("Mistore-Version")).as(answer.body()).hasValue("1");
      assertThat(answer.headers().firstValue("ETag")).as(answer.body()).hasValue("\"" + id + ".1\"");
    }
  }

  @Test
  void badRequestsAreRefusedWithReasons() {
    start();
    String id = dev.create("x", "hg-1-1");
    assertThat(dev.lock(id, "exclusive", 1000, 0, "hg-1-1").statusCode()).isEqualTo(400);
    assertThat(dev.lock(id, "write", 0, 0, "hg-1-1").statusCode()).isEqualTo(400);
    assertThat(dev.lock(id, "write", 60_001, 0, "hg-1-1").statusCode()).isEqualTo(400);
    assertThat(dev.lock(id, "write", 1000, -1, "hg-1-1").statusCode()).isEqualTo(400);
    // 2^64 + 1000 would wrap around to 1000 as a long: it is refused as the number it is.
    HttpResponse<String> huge = dev.post("/v1/objects/" + id + "/locks",
        "{\"type\":\"write\",\"ttlMs\":18446744073709552616}", "Content-Type", "application/json");
    assertThat(huge.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(huge.body()).getString("detail")).contains("18446744073709552616");
    // A number written with an exponent is echoed as the number it is, not clamped to the largest long.
    HttpResponse<String> exponent = dev.post("/v1/objects/" + id + "/locks",
        "{\"type\":\"write\",\"ttlMs\":1e20}", "Content-Type", "application/json");
    assertThat(exponent.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(exponent.body()).getString("detail")).contains("got '100000000000000000000'");
    assertThat(dev.post("/v1/objects/" + id + "/locks", "not json", "Content-Type", "application/json").statusCode())
        .isEqualTo(400);
    assertThat(dev.lock("pop-1.pop-2.hg-1-1.zzz", "write", 1000, 0, "hg-1-1").statusCode()).isEqualTo(404);
    assertThat(dev.lock("not-an-id", "write", 1000, 0, "hg-1-1").statusCode()).isEqualTo(400);
    assertThat(dev.post("/v1/locks/nonsense/renew", "").statusCode()).isEqualTo(410);
    assertThat(dev.delete("/v1/locks/nonsense").statusCode()).isEqualTo(204);
    // A well-formed token naming POPs that do not exist: no lock can have it.
    String foreign = "pop-9.pop-8.hg-1-1.1~AAAAAAAAAAAAAAAAAAAAAA";
    assertThat(dev.post("/v1/locks/" + foreign + "/renew", "").statusCode()).isEqualTo(410);
    assertThat(dev.delete("/v1/locks/" + foreign).statusCode()).isEqualTo(204);
  }

  @Test
  void theBackupHonoursLiveLeasesAndGrantsNewOnesOnceThePrimaryIsGone() {
    start();
    String id = dev.create("x", "hg-1-1");
    assertThat(id).startsWith("pop-1.pop-2.");
    JsonObject held = new JsonObject(dev.lock(id, "write", 1500, 0, "hg-2-1").body());
    dev.cluster.stopRole(Role.POP, "pop-1").toCompletionStage().toCompletableFuture().join();
    Eventually.await("pop-1 seen down", Duration.ofSeconds(5), () -> dev.cluster.directory()
        .find(Role.POP, "pop-1").map(e -> e.status().wireName().equals("down")).orElse(false));
    long takeover = System.nanoTime();
    HttpResponse<String> refused = dev.lock(id, "write", 1000, 0, "hg-2-1");
    assertThat(refused.statusCode()).as("the mirrored lease is honoured by the backup").isEqualTo(423);
    HttpResponse<String> next = dev.lock(id, "write", 1000, 5000, "hg-2-2");
    long waitedMs = (System.nanoTime() - takeover) / 1_000_000;
    assertThat(next.statusCode()).as(next.body()).isEqualTo(201);
    assertThat(waitedMs).as("the backup gave the old lease a full TTL from takeover").isGreaterThanOrEqualTo(1000);
    long backupFence = new JsonObject(next.body()).getLong("fence");
    assertThat(backupFence).isGreaterThan(held.getLong("fence"));
    assertThat(dev.delete("/v1/locks/" + new JsonObject(next.body()).getString("token"), "Mistore-Gateway", "hg-2-1")
        .statusCode()).as("released through a region whose POP is up").isEqualTo(204);

    // The primary comes back on its store: it starts its fences above those the backup gave meanwhile.
    dev.cluster.startRole(new org.mistore.node.RoleIdentity(Role.POP, "pop-1", "region-1", ""))
        .toCompletionStage().toCompletableFuture().join();
    Eventually.await("pop-1 seen up again", Duration.ofSeconds(5), () -> dev.cluster.directory()
        .find(Role.POP, "pop-1").map(e -> e.status().wireName().equals("up")).orElse(false));
    HttpResponse<String> back = dev.lock(id, "write", 1000, 5000, "hg-1-1");
    assertThat(back.statusCode()).as(back.body()).isEqualTo(201);
    assertThat(new JsonObject(back.body()).getLong("fence")).isGreaterThan(backupFence);
  }

  @Test
  void fencesRiseAcrossATakeoverThatFollowsWritesUnderTheGatewaysOwnLocks() {
    start();
    String id = dev.create("x", "hg-1-1");
    // Two writes, each under a lock the gateway takes itself (never mirrored to the backup).
    assertThat(dev.put("/v1/objects/" + id, "y").statusCode()).isEqualTo(200);
    assertThat(dev.put("/v1/objects/" + id, "z").statusCode()).isEqualTo(200);
    // (No lock taken by a client before the takeover: its grant, mirrored, would tell the backup.)
    long writeGrantsBefore = 2;
    dev.cluster.stopRole(Role.POP, "pop-1").toCompletionStage().toCompletableFuture().join();
    Eventually.await("pop-1 seen down", Duration.ofSeconds(5), () -> dev.cluster.directory()
        .find(Role.POP, "pop-1").map(e -> e.status().wireName().equals("down")).orElse(false));
    HttpResponse<String> atBackup = dev.lock(id, "write", 1000, 0, "hg-2-1");
    assertThat(atBackup.statusCode()).as(atBackup.body()).isEqualTo(201);
    assertThat(new JsonObject(atBackup.body()).getLong("fence")).isGreaterThan(writeGrantsBefore);
  }

  /** The HTTP server's open connections (WebSockets included), per its metrics. */
  private double openConnections() {
    return dev.get("/metrics").body().lines().filter(l -> l.startsWith("vertx_http_server_active_connections"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private boolean waiting(int n) {
    return dev.get("/metrics").body().lines()
        .anyMatch(l -> l.startsWith("mistore_locks_waiting{pop=\"pop-1\"") && l.endsWith(" " + n + ".0"));
  }

  /**
   * A client that gives up while its lock request waits in the queue (HTTP: closes the connection;
   * WebSocket: closes the socket) is never left holding the lock it can no longer receive: it would
   * keep everyone else out until its lease ends.
   */
  @Test
  void aWaiterThatLeftIsNotLeftHoldingTheLock() throws Exception {
    start();
    String id = dev.create("x", "hg-1-1");
    for (String how : List.of("http", "websocket")) {
      String holder = new JsonObject(dev.lock(id, "write", 60_000, 0, "hg-1-1").body()).getString("token");
      java.io.Closeable client = waitingClient(how, id, "write");
      Eventually.await(how + ": the request waits in the queue", Duration.ofSeconds(5), () -> waiting(1));
      double withClient = openConnections();
      client.close();
      // Once the server has seen the client go (a grant that comes before that is answered as usual).
      Eventually.await(how + ": the server saw the client go", Duration.ofSeconds(10),
          () -> openConnections() < withClient);
      assertThat(dev.delete("/v1/locks/" + holder).statusCode()).isEqualTo(204);
      HttpResponse<String> next = dev.lock(id, "write", 5000, 5000, "hg-1-2");
      assertThat(next.statusCode()).as(how + ": " + next.body()).isEqualTo(201);
      assertThat(dev.delete("/v1/locks/" + new JsonObject(next.body()).getString("token")).statusCode()).isEqualTo(204);
    }
  }

  /**
   * A waiting writer whose client left no longer holds up the readers behind it: its request leaves
   * the queue when the client goes, not when its wait ends.
   */
  @Test
  void aWaiterWhoseClientLeftLeavesTheQueueAtOnce() throws Exception {
    start();
    String id = dev.create("x", "hg-1-1");
    String reader = new JsonObject(dev.lock(id, "read", 60_000, 0, "hg-1-1").body()).getString("token");
    for (String how : List.of("http", "websocket")) {
      java.io.Closeable client = waitingClient(how, id, "write");
      Eventually.await(how + ": the writer waits in the queue", Duration.ofSeconds(5), () -> waiting(1));
      // FIFO: a reader behind the waiting writer is not served before it.
      assertThat(dev.lock(id, "read", 5000, 0, "hg-1-2").statusCode()).isEqualTo(423);
      client.close();
      Eventually.await(how + ": the writer's request left the queue with its client", Duration.ofSeconds(10),
          () -> waiting(0));
      HttpResponse<String> next = dev.lock(id, "read", 5000, 0, "hg-1-2");
      assertThat(next.statusCode()).as(how + ": " + next.body()).isEqualTo(201);
      assertThat(dev.delete("/v1/locks/" + new JsonObject(next.body()).getString("token")).statusCode()).isEqualTo(204);
    }
    assertThat(dev.delete("/v1/locks/" + reader).statusCode()).isEqualTo(204);
  }

  /** A client whose lock request of {@code type} on {@code id} (waiting up to 20 s) is sent over {@code how}; close it to leave. */
  private java.io.Closeable waitingClient(String how, String id, String type) throws Exception {
    String body = "{\"type\":\"" + type + "\",\"ttlMs\":60000,\"waitMs\":20000}";
    java.io.Closeable client;
    if (how.equals("http")) {
      java.net.Socket socket = new java.net.Socket("127.0.0.1", java.net.URI.create(dev.base).getPort());
      socket.getOutputStream().write(("POST /v1/objects/" + id + "/locks HTTP/1.1\r\nHost: x\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      client = socket;
    } else {
      java.net.http.WebSocket ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(java.net.URI.create(dev.base.replace("http", "ws") + "/v1/ws"),
              new java.net.http.WebSocket.Listener() { }).get(5, TimeUnit.SECONDS);
      ws.sendText("{\"rid\":1,\"op\":\"lock\",\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"ttlMs\":60000,"
          + "\"waitMs\":20000}", true).get(5, TimeUnit.SECONDS);
      client = () -> ws.abort();
    }
    return client;
  }
}
