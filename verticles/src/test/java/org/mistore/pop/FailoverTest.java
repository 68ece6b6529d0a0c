package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Role;
import org.mistore.node.RoleIdentity;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/**
 * Primary POP loss inside one dev cluster: the backup acts as primary with the DC holding the second
 * copy, writes and atomic reads go on, and the primary catches up before it serves again.
 */
class FailoverTest extends DevClusterTestBase {
  private static final RoleIdentity POP_1 = new RoleIdentity(Role.POP, "pop-1", "region-1", "");

  private void awaitStatus(String pop, String status) {
    Eventually.await(pop + " seen " + status, Duration.ofSeconds(10), () -> dev.cluster.directory()
        .find(Role.POP, pop).map(e -> e.status().wireName().equals(status)).orElse(false));
  }

  /**
   * A second consumer on {@code verb} of POP {@code pop} that never answers (completing {@code caught},
   * if given, on its first message): the event bus hands it every other message, which then stays in
   * flight as with a POP dying mid-answer.
   */
  private io.vertx.core.eventbus.MessageConsumer<Object> silentConsumer(String pop, String verb,
      java.util.concurrent.CompletableFuture<Void> caught) {
    io.vertx.core.eventbus.MessageConsumer<Object> silent = dev.cluster.vertx().eventBus().consumer(
        org.mistore.codecs.Addresses.of(Role.POP, pop, verb), m -> {
          if (caught != null) {
            caught.complete(null);
          }
        });
    silent.completion().await();
    return silent;
  }

  /**
   * Sends {@code send} up to {@code tries} times, running {@code before} (given the try's number)
   * ahead of each, until one reaches a silent consumer ({@code caught} completes): that request,
   * still in flight, or null. Those answered before must have status {@code answered} (0: any).
   */
  private static java.util.concurrent.CompletableFuture<HttpResponse<String>> caughtInFlight(int tries,
      java.util.function.IntConsumer before, java.util.function.Supplier<HttpResponse<String>> send, int answered,
      java.util.concurrent.CompletableFuture<Void> caught) throws Exception {
    for (int i = 0; i < tries; i++) {
      before.accept(i);
      var request = java.util.concurrent.CompletableFuture.supplyAsync(send);
      java.util.concurrent.CompletableFuture.anyOf(request, caught).get(30, java.util.concurrent.TimeUnit.SECONDS);
      if (caught.isDone()) {
        return request;
      }
      if (answered > 0) {
        assertThat(request.get().statusCode()).as(request.get().body()).isEqualTo(answered);
      }
    }
    return null;
  }

  private HttpResponse<String> put(String id, String body, String gateway, String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "Mistore-Gateway";
    all[1] = gateway;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return dev.put("/v1/objects/" + id, body, all);
  }

  @Test
  void aPopBackOnAnEmptyDataFolderMintsNoIdItMintedBefore() throws Exception {
    start(2, 1, new JsonObject());
    String first = dev.create("first", "hg-1-1");
    String second = dev.create("second", "hg-1-1");
    assertThat(first).startsWith("pop-1.");
    dev.cluster.stopRole(Role.POP, "pop-1").toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "down");
    // The operator's mistake: pop-1 comes back under its id on a folder without its store.
    wipeStoreOf("pop-1");
    dev.cluster.startRole(POP_1).toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "up");
    String third = dev.create("third", "hg-1-1");
    assertThat(third).startsWith("pop-1.");
    long before = Math.max(org.mistore.codecs.ObjectId.parse(first).counter(),
        org.mistore.codecs.ObjectId.parse(second).counter());
    assertThat(org.mistore.codecs.ObjectId.parse(third).counter()).as(third + " after " + first + ", " + second)
        .isGreaterThan(before);
    assertThat(dev.get("/v1/objects/" + first, "Mistore-Gateway", "hg-2-1").body()).isEqualTo("first");
    HttpResponse<String> home = dev.get("/v1/objects/" + first, "Mistore-Gateway", "hg-1-1");
    assertThat(home.body()).as("pop-1 copied back what its folder lost").isEqualTo("first");
    assertThat(home.headers().firstValue("Mistore-Source")).hasValue("primary");
    assertThat(dev.get("/v1/objects/" + third, "Mistore-Gateway", "hg-2-1").body()).isEqualTo("third");
  }

  /** Deletes the store files of POP {@code pop} (stopped), as if its data folder were lost. */
  private void wipeStoreOf(String pop) throws java.io.IOException {
    try (var files = java.nio.file.Files.list(data)) {
      for (java.nio.file.Path f : files.filter(f -> f.getFileName().toString().startsWith("pop-" + pop + ".")).toList()) {
        try (var tree = java.nio.file.Files.walk(f)) {
          for (java.nio.file.Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
            java.nio.file.Files.delete(p);
          }
        }
      }
    }
  }

  private static RoleIdentity pop(String id) {
    return new RoleIdentity(Role.POP, id, "region-" + id.substring("pop-".length()), "");
  }

  private void stop(Role role, String id) {
    dev.cluster.stopRole(role, id).toCompletionStage().toCompletableFuture().join();
    Eventually.await(id + " seen down", Duration.ofSeconds(10), () -> dev.cluster.directory()
        .find(role, id).map(e -> e.status().wireName().equals("down")).orElse(false));
  }

  private void restart(RoleIdentity who) {
    dev.cluster.startRole(who).toCompletionStage().toCompletableFuture().join();
    Eventually.await(who.id() + " seen up", Duration.ofSeconds(10), () -> dev.cluster.directory()
        .find(who.role(), who.id()).map(e -> e.status().wireName().equals("up")).orElse(false));
  }

  /** Every version 1..{@code head} of {@code id} is listed and readable through {@code gateway}, byte for byte. */
  private void assertWholeHistory(String id, int head, String gateway) {
    HttpResponse<String> listed = dev.get("/v1/objects/" + id + "/versions", "Mistore-Gateway", gateway);
    assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
    assertThat(new JsonArray(listed.body()).stream().map(v -> ((JsonObject) v).getLong("version")).toList())
        .as("versions listed").isEqualTo(java.util.stream.LongStream.rangeClosed(1, head).boxed().toList());
    for (int v = 1; v <= head; v++) {
      HttpResponse<String> exact = dev.get("/v1/objects/" + id + "?version=" + v, "Mistore-Gateway", gateway);
      assertThat(exact.statusCode()).as("version %d: %s", v, exact.body()).isEqualTo(200);
      assertThat(exact.body()).isEqualTo("v" + v);
    }
  }

  @Test
  void aReturningBackupCopiesEachVersionFromWhicheverHolderHasItNotOnlyFromTheNewestHead() {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backup = id.split("\\.")[1];
    String third = backup.equals("pop-2") ? "pop-3" : "pop-2";
    stop(Role.POP, backup);
    for (int v = 2; v <= 5; v++) {
      assertThat(put(id, "v" + v, "hg-1-1").statusCode()).isEqualTo(200); // the DC holds the second copy
    }
    stop(Role.DC, "dc-1");
    for (int v = 6; v <= 9; v++) {
      assertThat(put(id, "v" + v, "hg-1-1").statusCode()).isEqualTo(200); // the third POP does
    }
    restart(new RoleIdentity(Role.DC, "dc-1", "core", ""));
    restart(pop(backup));
    stop(Role.POP, "pop-1");
    // The backup, acting now, finds versions 6-9 at the third POP (the newest head) and 2-5 only at the DC.
    assertWholeHistory(id, 9, "hg-" + third.substring(4) + "-1");
  }

  @Test
  void aPrimaryBackOnAnEmptyFolderCopiesTheVersionsOnlyItsBackupHasToo() throws Exception {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backup = id.split("\\.")[1];
    String third = backup.equals("pop-2") ? "pop-3" : "pop-2";
    for (int v = 2; v <= 3; v++) {
      assertThat(put(id, "v" + v, "hg-1-1").statusCode()).isEqualTo(200);
    }
    stop(Role.POP, backup);
    for (int v = 4; v <= 5; v++) {
      assertThat(put(id, "v" + v, "hg-1-1").statusCode()).isEqualTo(200); // the DC holds the second copy
    }
    restart(pop(backup));
    stop(Role.POP, "pop-1");
    wipeStoreOf("pop-1");
    restart(POP_1);
    // Back empty, the primary finds versions 4-5 at the DC (the newest head) and 1-3 only at the backup.
    assertWholeHistory(id, 5, "hg-" + third.substring(4) + "-1");
  }

  @Test
  void aCatchUpCopyingBlocksFromAHolderThatGoesDownCopiesThemFromTheNextAtOnce() throws Exception {
    start(3, 1, new JsonObject());
    java.util.List<String> warned = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Logger catchUpLog = java.util.logging.Logger.getLogger(CatchUp.class.getName());
    java.util.logging.Handler listen = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        warned.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    catchUpLog.addHandler(listen);
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backup = id.split("\\.")[1];
    stop(Role.POP, "pop-1");
    for (int v = 2; v <= 3; v++) {
      HttpResponse<String> w = put(id, "v" + v, "hg-" + backup.substring(4) + "-1");
      assertThat(w.statusCode()).as(w.body()).isEqualTo(200); // the backup acts, the DC holds a copy
    }
    restart(POP_1);
    // The returning primary copies versions 2-3 from the backup first (listed before the DC); every other
    // block read sent there stays unanswered, as with a POP killed mid-answer.
    java.util.concurrent.CompletableFuture<Void> caught = new java.util.concurrent.CompletableFuture<>();
    var silent = silentConsumer(backup, org.mistore.codecs.Addresses.OWNER_READ_BLOCK, caught);
    var read = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1"));
    java.util.concurrent.CompletableFuture.anyOf(read, caught).get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(caught).as("a block read of the catch-up reached the silent consumer").isDone();
    stop(Role.POP, backup);
    HttpResponse<String> answer = read.get(60, java.util.concurrent.TimeUnit.SECONDS);
    silent.unregister().await();
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("v3");
    assertThat(answer.headers().firstValue("Mistore-Source")).hasValue("primary");
    catchUpLog.removeHandler(listen);
    assertThat(warned).as("the block read failed when the backup was seen down, not at a timeout")
        .anyMatch(w -> w.contains("from POP " + backup + " not copied") && w.contains("went down while block"));
    assertWholeHistory(id, 3, "hg-1-1");
  }

  @Test
  void aPopBackOnAnEmptyFolderWithNobodyToAskSaysItCannotTellRatherThanNotFound() throws Exception {
    start(2, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.pop-2.");
    stop(Role.POP, "pop-2");
    stop(Role.DC, "dc-1");
    stop(Role.POP, "pop-1");
    wipeStoreOf("pop-1");
    restart(POP_1);
    HttpResponse<String> unsure = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(unsure.statusCode()).as(unsure.body()).isEqualTo(503);
    assertThat(new JsonObject(unsure.body()).getString("detail")).contains("cannot be told");
    restart(pop("pop-2"));
    HttpResponse<String> back = Eventually.value("a read once pop-2 is back", Duration.ofSeconds(10),
        () -> dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1"), r -> r.statusCode() != 503);
    assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
    assertThat(back.body()).isEqualTo("v1");
    assertThat(dev.get("/v1/objects/pop-1.pop-2.hg-1-1.999999", "Mistore-Gateway", "hg-1-1").statusCode())
        .as("an id nobody holds, with the other POP there to say so").isEqualTo(404);
  }

  @Test
  void aLockMirroredToACopyHolderThatGoesDownFailsThenNotAfterTheBusTimeout() throws Exception {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    String backup = id.split("\\.")[1];
    // A second consumer on the backup's lock-mirror address that never answers a grant: the event bus
    // hands it every other one, which then stays in flight as with a backup killed mid-answer.
    java.util.concurrent.CompletableFuture<Void> caught = new java.util.concurrent.CompletableFuture<>();
    var silent = dev.cluster.vertx().eventBus().<JsonObject>consumer(
        org.mistore.codecs.Addresses.of(Role.POP, backup, org.mistore.codecs.Addresses.OWNER_MIRROR_LOCK), m -> {
          if ("grant".equals(m.body().getString("op"))) {
            caught.complete(null);
          }
        });
    silent.completion().await();
    // Read locks share: each request is granted, and mirrored, on its own.
    var inFlight = caughtInFlight(8, i -> { }, () -> dev.lock(id, "read", 30_000, 0, "hg-1-1"), 201, caught);
    assertThat(inFlight).as("a grant's mirror reached the silent consumer").isNotNull();
    dev.cluster.stopRole(Role.POP, backup).toCompletionStage().toCompletableFuture().join();
    HttpResponse<String> answer = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
    silent.unregister().await();
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
    assertThat(new JsonObject(answer.body()).getString("detail"))
        .as("failed when the backup was seen down, not at the bus's timeout")
        .contains("went down while the lock was mirrored");
    HttpResponse<String> retry = dev.lock(id, "read", 5000, 0, "hg-1-1");
    assertThat(retry.statusCode()).as("retried, mirrored to the node standing in: " + retry.body()).isEqualTo(201);
  }

  /**
   * Leaves stopped POP {@code pop}'s store as a stop between staging a write and writing its head
   * does: version {@code version} of {@code id}, holding {@code body}, staged above the head.
   */
  private void stagedWhileStopped(String pop, String id, long version, String body) {
    io.vertx.core.buffer.Buffer bytes = io.vertx.core.buffer.Buffer.buffer(body);
    String sha = org.mistore.store.Checksums.sha256(bytes);
    org.mistore.codecs.VersionMeta meta = new org.mistore.codecs.VersionMeta(
        new org.mistore.codecs.VersionRef(org.mistore.codecs.ObjectId.parse(id), version), bytes.length(),
        "application/octet-stream", sha, 1 << 20, java.util.List.of(sha), System.currentTimeMillis(), "hg-1-1", false);
    org.mistore.store.RoleStore file = org.mistore.store.RoleStore.open(dev.cluster.vertx(),
        data.resolve("pop-" + pop + ".db"), pop, Role.POP).await();
    PopObjectStore.open(file).await().stage(new org.mistore.codecs.CommitRequest(meta, bytes), null).await();
    file.close().await();
  }

  @Test
  void aVersionStagedByAPopThatStoppedBeforeWritingItsHeadIsKeptUnlessEveryHolderAnswersWithoutIt() {
    start(2, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.pop-2.");
    // Every holder answers without version 2: it was never acknowledged, so it is dropped.
    stop(Role.POP, "pop-1");
    stagedWhileStopped("pop-1", id, 2, "never acknowledged");
    restart(POP_1);
    HttpResponse<String> read = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(read.body()).isEqualTo("v1");
    assertThat(read.headers().firstValue("Mistore-Version")).hasValue("1");
    // The other POP cannot be asked: version 2 may have been acknowledged, so it is kept.
    stop(Role.POP, "pop-1");
    stagedWhileStopped("pop-1", id, 2, "maybe acknowledged");
    stop(Role.POP, "pop-2");
    restart(POP_1);
    HttpResponse<String> kept = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
    assertThat(kept.body()).isEqualTo("maybe acknowledged");
    assertThat(kept.headers().firstValue("Mistore-Version")).hasValue("2");
    HttpResponse<String> next = put(id, "v3", "hg-1-1");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(new JsonObject(next.body()).getLong("version")).isEqualTo(3);
    restart(pop("pop-2"));
    stop(Role.POP, "pop-1");
    assertWholeHistoryOf(id, "hg-2-1", "v1", "maybe acknowledged", "v3");
  }

  /** Versions 1.. of {@code id} as listed and read through {@code gateway} hold {@code bodies}, in order. */
  private void assertWholeHistoryOf(String id, String gateway, String... bodies) {
    HttpResponse<String> listed = dev.get("/v1/objects/" + id + "/versions", "Mistore-Gateway", gateway);
    assertThat(new JsonArray(listed.body()).size()).as(listed.body()).isEqualTo(bodies.length);
    for (int v = 1; v <= bodies.length; v++) {
      assertThat(dev.get("/v1/objects/" + id + "?version=" + v, "Mistore-Gateway", gateway).body())
          .as("version %d", v).isEqualTo(bodies[v - 1]);
    }
  }

  @Test
  void writesGoOnWhileThePrimaryIsDownAndItCatchesUpBeforeServingAgain() {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backup = id.split("\\.")[1];
    String otherRegion = backup.equals("pop-2") ? "hg-3-1" : "hg-2-1";
    assertThat(put(id, "v2", "hg-2-1").statusCode()).isEqualTo(200);

    dev.cluster.stopRole(Role.POP, "pop-1").toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "down");

    for (int v = 3; v <= 6; v++) {
      String gateway = v % 2 == 0 ? "hg-2-1" : "hg-3-1";
      HttpResponse<String> w = put(id, "v" + v, gateway);
      assertThat(w.statusCode()).as("write %d through %s while the primary is down: %s", v, gateway, w.body())
          .isEqualTo(200);
      assertThat(new JsonObject(w.body()).getLong("version")).isEqualTo(v);
      HttpResponse<String> r = dev.get("/v1/objects/" + id, "Mistore-Gateway", otherRegion);
      assertThat(r.body()).isEqualTo("v" + v);
      assertThat(r.headers().firstValue("Mistore-Source")).hasValue("backup");
    }
    JsonObject where = Eventually.value("the DC's catalog follows the head", Duration.ofSeconds(5),
        () -> new JsonObject(dev.get("/v1/cluster/objects/" + id).body()), w -> w.getLong("head", 0L) == 6);
    assertThat(where.getString("actingPrimary")).isEqualTo(backup);
    assertThat(where.getString("actingBackup")).as("the DC stands in for the down primary").isEqualTo("dc-1");

    // A lease granted by the acting primary is honoured by the primary once it is back.
    JsonObject lease = new JsonObject(dev.lock(id, "write", 2000, 0, "hg-2-1").body());
    assertThat(lease.getLong("version")).isEqualTo(6);

    dev.cluster.startRole(POP_1).toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "up");
    HttpResponse<String> back = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
    assertThat(back.body()).as("the returning primary caught up before serving").isEqualTo("v6");
    assertThat(back.headers().firstValue("Mistore-Source")).hasValue("primary");
    JsonArray versions = new JsonArray(dev.get("/v1/objects/" + id + "/versions", "Mistore-Gateway", "hg-1-1").body());
    assertThat(versions.stream().map(v -> ((JsonObject) v).getLong("version")).toList())
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);

    assertThat(dev.lock(id, "write", 1000, 0, "hg-3-1").statusCode())
        .as("the lease the backup granted still holds at the primary").isEqualTo(423);
    // Renewed at the primary for longer than its TTL: the backup's old clock must not end it.
    for (int i = 0; i < 5; i++) {
      sleep(600);
      HttpResponse<String> renewed = dev.post("/v1/locks/" + lease.getString("token") + "/renew", "");
      assertThat(renewed.statusCode()).as("renewal %d at the returned primary: %s", i, renewed.body()).isEqualTo(200);
    }
    HttpResponse<String> underLease = put(id, "v7", "hg-1-1", "Mistore-Lock", lease.getString("token"));
    assertThat(underLease.statusCode()).as(underLease.body()).isEqualTo(200);
    assertThat(new JsonObject(underLease.body()).getLong("version")).isEqualTo(7);
    assertThat(dev.delete("/v1/locks/" + lease.getString("token")).statusCode()).isEqualTo(204);

    HttpResponse<String> fromBackupRegion = dev.get("/v1/objects/" + id, "Mistore-Gateway", otherRegion);
    assertThat(fromBackupRegion.body()).isEqualTo("v7");
    assertThat(fromBackupRegion.headers().firstValue("Mistore-Source")).hasValue("primary");
  }

  /** About {@code kib} KiB of letters that differ for each {@code seed}. */
  private static String content(int seed, int kib) {
    java.util.Random random = new java.util.Random(seed);
    StringBuilder b = new StringBuilder(kib * 1024);
    for (int i = 0; i < kib * 1024; i++) {
      b.append((char) ('a' + random.nextInt(26)));
    }
    return b.toString();
  }

  private long counter(String name, String node) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(name)
        + "\\{[^}]*node=\"" + node + "\"[^}]*\\} (\\S+)$").matcher(dev.get("/metrics").body());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
  }

  @Test
  void aPrimaryReturningToALongBacklogCommitsOlderVersionsFirstAndCopiesTheirBlocksAfter() {
    // Blocks are copied with their versions for no time at all: every version but the newest is deferred.
    start(3, 1, new JsonObject().put("catchup-block-wait-ms", 0).put("block-size", 65536));
    String id = dev.create(content(1, 150), "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backupRegion = id.split("\\.")[1].equals("pop-2") ? "hg-2-1" : "hg-3-1";
    dev.cluster.stopRole(Role.POP, "pop-1").toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "down");
    for (int v = 2; v <= 8; v++) {
      HttpResponse<String> w = put(id, content(v, 150), backupRegion);
      assertThat(w.statusCode()).as("write %d while the primary is down: %s", v, w.body()).isEqualTo(200);
    }

    dev.cluster.startRole(POP_1).toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "up");
    HttpResponse<String> back = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
    assertThat(back.headers().firstValue("Mistore-Version")).hasValue("8");
    assertThat(back.body()).as("the newest version, copied whole before the primary serves").isEqualTo(content(8, 150));
    assertThat(back.headers().firstValue("Mistore-Source")).hasValue("primary");
    assertThat(counter("mistore_catchup_deferred_versions_total", "pop-1"))
        .as("versions 2 to 7 committed ahead of their blocks").isEqualTo(6);
    for (int v = 1; v <= 8; v++) {
      HttpResponse<String> exact = dev.get("/v1/objects/" + id + "?version=" + v, "Mistore-Gateway", "hg-1-1");
      assertThat(exact.statusCode()).as("version %d through the primary's region: %s", v, exact.body()).isEqualTo(200);
      assertThat(exact.body()).as("version %d", v).isEqualTo(content(v, 150));
    }
    Eventually.await("pop-1 holds the blocks of every version it caught up on", Duration.ofSeconds(20),
        () -> new JsonObject(dev.get("/v1/admin/regions/region-1").body()).getInteger("catchUpOwedVersions") == 0
            && counter("mistore_catchup_owed_versions", "pop-1") == 0);
    HttpResponse<String> next = put(id, content(9, 150), "hg-1-1");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(new JsonObject(next.body()).getLong("version")).isEqualTo(9);
  }

  @Test
  void theBackupsLossMakesTheDcHoldTheSecondCopyAndTheBackupCatchesUpOnReturn() {
    start(2, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.pop-2.");
    dev.cluster.stopRole(Role.POP, "pop-2").toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-2", "down");
    for (int v = 2; v <= 4; v++) {
      HttpResponse<String> w = put(id, "v" + v, "hg-1-1");
      assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
    }
    dev.cluster.startRole(new RoleIdentity(Role.POP, "pop-2", "region-2", "")).toCompletionStage()
        .toCompletableFuture().join();
    awaitStatus("pop-2", "up");
    // The next write reaches the returning backup, which first copies versions 2-4 from the primary.
    HttpResponse<String> w = put(id, "v5", "hg-2-1");
    assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
    dev.cluster.stopRole(Role.POP, "pop-1").toCompletionStage().toCompletableFuture().join();
    awaitStatus("pop-1", "down");
    HttpResponse<String> r = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-2-1");
    assertThat(r.body()).isEqualTo("v5");
    for (long v = 1; v <= 5; v++) {
      HttpResponse<String> exact = dev.get("/v1/objects/" + id + "?version=" + v, "Mistore-Gateway", "hg-2-1");
      assertThat(exact.statusCode()).as("version %d at the backup", v).isEqualTo(200);
      assertThat(exact.body()).isEqualTo("v" + v);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aRetriedWriteWithTheSameRequestIdDoesNotMakeASecondVersion() {
    start(3, 1, new JsonObject());
    for (int i = 0; i < 6; i++) {
      String first = new JsonObject(dev.post("/v1/objects", "x", "Mistore-Request-Id", "c" + i).body()).getString("id");
      String retry = new JsonObject(dev.post("/v1/objects", "x", "Mistore-Request-Id", "c" + i).body()).getString("id");
      assertThat(retry).as("a retried create names the same object, backup included").isEqualTo(first);
    }
    HttpResponse<String> created = dev.post("/v1/objects", "first", "Mistore-Request-Id", "create-1");
    HttpResponse<String> again = dev.post("/v1/objects", "first", "Mistore-Request-Id", "create-1");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(201);
    String id = new JsonObject(created.body()).getString("id");
    assertThat(new JsonObject(again.body()).getString("id")).isEqualTo(id);

    HttpResponse<String> w1 = dev.put("/v1/objects/" + id, "second", "Mistore-Request-Id", "put-1");
    HttpResponse<String> w2 = dev.put("/v1/objects/" + id, "second", "Mistore-Request-Id", "put-1");
    assertThat(w1.statusCode()).isEqualTo(200);
    assertThat(w2.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(w2.body()).getLong("version")).isEqualTo(2);
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(2);
    assertThat(new JsonObject(dev.put("/v1/objects/" + id, "third", "Mistore-Request-Id", "put-2").body())
        .getLong("version")).isEqualTo(3);
    // A request id reused for another write is refused, never answered with the first one's success.
    HttpResponse<String> otherContent = dev.put("/v1/objects/" + id, "not second", "Mistore-Request-Id", "put-1");
    assertThat(otherContent.statusCode()).as(otherContent.body()).isEqualTo(409);
    assertThat(new JsonObject(otherContent.body()).getString("detail")).contains("put-1", "version 2");
    assertThat(dev.delete("/v1/objects/" + id, "Mistore-Request-Id", "put-1").statusCode()).isEqualTo(409);
    HttpResponse<String> otherCreate = dev.post("/v1/objects", "not first", "Mistore-Request-Id", "create-1");
    assertThat(otherCreate.statusCode()).isEqualTo(409);
    // About an existing object: it names the object's current version, as every such refusal does.
    assertThat(otherCreate.headers().firstValue("Mistore-Version")).hasValue("3");
    assertThat(otherCreate.headers().firstValue("ETag")).hasValue("\"" + id + ".3\"");
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(3);
    HttpResponse<String> deleted = dev.delete("/v1/objects/" + id, "Mistore-Request-Id", "del-1");
    assertThat(dev.delete("/v1/objects/" + id, "Mistore-Request-Id", "del-1").body()).isEqualTo(deleted.body());
    assertThat(dev.put("/v1/objects/" + id, "", "Mistore-Request-Id", "del-1").statusCode())
        .as("an empty body is not a deletion").isEqualTo(409);
    assertThat(dev.put("/v1/objects/" + id, "x", "Mistore-Request-Id", "has space").statusCode()).isEqualTo(400);
    assertThat(dev.put("/v1/objects/" + id, "x", "Mistore-Request-Id", "r".repeat(129)).statusCode()).isEqualTo(400);
  }

  @Test
  void aRestartedDcCatchesUpItsCatalogFromThePops() {
    start(2, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    Eventually.value("the catalog knows the object", Duration.ofSeconds(5),
        () -> dev.get("/v1/cluster/objects/" + id), r -> r.statusCode() == 200);
    dev.cluster.stopRole(Role.DC, "dc-1").toCompletionStage().toCompletableFuture().join();
    Eventually.await("dc-1 seen down", Duration.ofSeconds(10), () -> dev.cluster.directory()
        .find(Role.DC, "dc-1").map(e -> e.status().wireName().equals("down")).orElse(false));
    assertThat(dev.get("/v1/cluster/objects/" + id).statusCode()).as("no DC to ask").isEqualTo(503);
    for (int v = 2; v <= 3; v++) {
      assertThat(dev.put("/v1/objects/" + id, "v" + v).statusCode()).isEqualTo(200);
    }
    dev.cluster.startRole(new RoleIdentity(Role.DC, "dc-1", "core", "")).toCompletionStage().toCompletableFuture()
        .join();
    JsonObject where = Eventually.value("the DC's catalog caught up the versions it missed", Duration.ofSeconds(10),
        () -> new JsonObject(dev.get("/v1/cluster/objects/" + id).body()), w -> w.getLong("head", 0L) == 3);
    assertThat(where.getString("primary")).isEqualTo("pop-1");
    assertThat(where.getLong("size")).as("the size of the last version the DC heard of").isEqualTo(2);
    assertThat(new JsonObject(dev.get("/v1/cluster").body()).getJsonObject("catalog").getInteger("objects"))
        .isEqualTo(1);
    assertThat(dev.get("/v1/cluster/objects/not-an-id").statusCode()).isEqualTo(400);
    assertThat(dev.get("/v1/cluster/objects/pop-1.pop-2.hg-1-1.zz").statusCode()).isEqualTo(404);
  }

  @Test
  void aRestartedDcLearnsTheWritesAnActingPrimaryMadeWhileItWasDown() {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backup = id.split("\\.")[1];
    Eventually.value("the catalog knows the object", Duration.ofSeconds(5),
        () -> dev.get("/v1/cluster/objects/" + id), r -> r.statusCode() == 200);
    stop(Role.DC, "dc-1");
    stop(Role.POP, "pop-1");
    for (int v = 2; v <= 3; v++) {
      // The backup acts for the primary, the third POP holds the second copy.
      HttpResponse<String> w = put(id, "v" + v, "hg-" + backup.substring(4) + "-1");
      assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
    }
    restart(new RoleIdentity(Role.DC, "dc-1", "core", ""));
    JsonObject where = Eventually.value("the DC's catalog learnt the head from the POPs holding it",
        Duration.ofSeconds(10), () -> new JsonObject(dev.get("/v1/cluster/objects/" + id).body()),
        w -> w.getLong("head", 0L) == 3);
    assertThat(where.getLong("size")).isEqualTo(2);
    assertThat(where.getString("primary")).isEqualTo("pop-1");
  }

  @Test
  void aCopyHolderThatStopsAnsweringFailsTheWriteAfterTwoDetectionTimesNotTheBusDefault() {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    String backup = id.split("\\.")[1];
    // A second consumer on the backup's commit address that never answers, as a POP dying with the
    // commit in flight would: the event bus hands it every other commit.
    var silent = silentConsumer(backup, org.mistore.codecs.Addresses.OWNER_MIRROR_COMMIT, null);
    int refused = 0;
    java.util.List<Long> versions = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long started = System.nanoTime();
      HttpResponse<String> w = put(id, "w" + i, "hg-1-1");
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      if (w.statusCode() == 200) {
        versions.add(new JsonObject(w.body()).getLong("version"));
      } else {
        assertThat(w.statusCode()).as(w.body()).isEqualTo(503);
        // Detection here is 600 ms: the commit times out after 2.2 s, where the event bus default is 30 s.
        assertThat(tookMs).as("answered before the event bus's default timeout").isLessThan(15_000);
        refused++;
      }
    }
    silent.unregister().await();
    assertThat(refused).as("some commits reached the silent consumer").isPositive();
    assertThat(versions).as("the others made versions with no gap").isNotEmpty();
    for (int i = 0; i < versions.size(); i++) {
      assertThat(versions.get(i)).isEqualTo(2L + i);
    }
    HttpResponse<String> after = put(id, "after", "hg-1-1");
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    assertThat(new JsonObject(after.body()).getLong("version")).isEqualTo(2L + versions.size());
  }
  @Test
  void aWriteInFlightWhenItsGatewaysPopGoesDownIsAnsweredAtOnceNotAfterItsTimeout() throws Exception {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    HttpResponse<String> lease = dev.lock(id, "write", 30_000, 0, "hg-1-1");
    assertThat(lease.statusCode()).as(lease.body()).isEqualTo(201);
    // A write through region 2's gateway waits at the primary, pop-1, for the lock held above: the
    // gateway's request to its own POP (pop-2) is in flight, for up to the 20 s lock wait.
    java.util.concurrent.CompletableFuture<HttpResponse<String>> parked = java.util.concurrent.CompletableFuture
        .supplyAsync(() -> put(id, "parked", "hg-2-1", "Mistore-Lock-Wait", "20000"));
    Eventually.await("the write waits for the lock at pop-1", Duration.ofSeconds(10), () -> dev.get("/metrics").body()
        .lines().anyMatch(l -> l.startsWith("mistore_locks_waiting{") && l.contains("pop=\"pop-1\"")
            && l.endsWith(" 1.0")));

    dev.cluster.stopRole(Role.POP, "pop-2").toCompletionStage().toCompletableFuture().join();
    HttpResponse<String> answer = parked.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
    // Answered when the gateway saw its POP go down, not by the event bus timeout ("did not answer in time").
    assertThat(new JsonObject(answer.body()).getString("detail"))
        .contains("POP pop-2 of this gateway's region went down with the request in flight");
    HttpResponse<String> next = put(id, "next", "hg-2-1");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(503);
    assertThat(new JsonObject(next.body()).getString("detail")).contains("POP pop-2 of this gateway's region is down");
  }
  @Test
  void aMirrorCommitInFlightWhenTheBackupGoesDownFailsThenNotAfterThePeerTimeout() throws Exception {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    String backup = id.split("\\.")[1];
    // A second consumer on the backup's commit address that never answers: the event bus hands it
    // every other commit, which then stays in flight as with a backup dying mid-commit.
    java.util.concurrent.CompletableFuture<Void> caught = new java.util.concurrent.CompletableFuture<>();
    var silent = silentConsumer(backup, org.mistore.codecs.Addresses.OWNER_MIRROR_COMMIT, caught);
    var inFlight = caughtInFlight(20, i -> { }, () -> put(id, "w", "hg-1-1"), 0, caught);
    assertThat(inFlight).as("a commit reached the silent consumer").isNotNull();
    dev.cluster.stopRole(Role.POP, backup).toCompletionStage().toCompletableFuture().join();
    HttpResponse<String> answer = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
    silent.unregister().await();
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
    assertThat(new JsonObject(answer.body()).getString("detail"))
        .as("failed when the backup was seen down, not by the peer timeout")
        .isEqualTo("POP " + backup + " holding the second copy went down with the commit in flight; retry");
  }

  @Test
  void aBlockInFlightWhenTheBackupGoesDownFailsTheUploadThenNotAfterThePeerTimeout() throws Exception {
    // Blocks of 64 KiB, one at a time: a 200 KB body sends four, each to both copy-holders on its own,
    // the next once both hold the last (so none is in the backup's store when it stops).
    start(3, 1, new JsonObject().put("block-size", 65536).put("blocks-in-flight", 1));
    String id = dev.create("v1", "hg-1-1");
    String backup = id.split("\\.")[1];
    // A second consumer on the backup's block address that never answers: the event bus hands it
    // every other block, which then stays in flight as with a backup dying mid-upload.
    java.util.concurrent.CompletableFuture<Void> caught = new java.util.concurrent.CompletableFuture<>();
    var silent = silentConsumer(backup, org.mistore.codecs.Addresses.OWNER_BLOCK, caught);
    var inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> put(id, "b".repeat(200_000), "hg-1-1"));
    caught.get(30, java.util.concurrent.TimeUnit.SECONDS);
    dev.cluster.stopRole(Role.POP, backup).toCompletionStage().toCompletableFuture().join();
    HttpResponse<String> answer = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
    silent.unregister().await();
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
    assertThat(new JsonObject(answer.body()).getString("detail"))
        .as("failed when the backup was seen down, not by the peer timeout")
        .startsWith("POP " + backup + " went down with block ").endsWith(" of " + id + " in flight; retry the write");
  }

  @Test
  void aCatchUpWaitingOnAHolderThatGoesDownGoesOnWithoutItAtOnce() throws Exception {
    start(3, 1, new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    String backup = id.split("\\.")[1];
    RoleIdentity bystander = new RoleIdentity(Role.POP, backup.equals("pop-2") ? "pop-3" : "pop-2",
        backup.equals("pop-2") ? "region-3" : "region-2", "");
    // A second consumer on the backup's catch-up address that never answers, as a POP killed with the
    // question in flight would: the event bus hands it every other question.
    java.util.concurrent.CompletableFuture<Void> caught = new java.util.concurrent.CompletableFuture<>();
    var silent = silentConsumer(backup, org.mistore.codecs.Addresses.OWNER_SYNC, caught);
    // Any POP coming or going makes the primary catch the object up before its next write.
    var inFlight = caughtInFlight(8, i -> {
      if (i % 2 == 0) {
        dev.cluster.stopRole(Role.POP, bystander.id()).toCompletionStage().toCompletableFuture().join();
        awaitStatus(bystander.id(), "down");
      } else {
        dev.cluster.startRole(bystander).toCompletionStage().toCompletableFuture().join();
        awaitStatus(bystander.id(), "up");
      }
    }, () -> put(id, "w", "hg-1-1"), 200, caught);
    assertThat(inFlight).as("a catch-up question reached the silent consumer").isNotNull();
    dev.cluster.stopRole(Role.POP, backup).toCompletionStage().toCompletableFuture().join();
    HttpResponse<String> answer = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
    silent.unregister().await();
    // Not 503 "did not answer": a holder seen down is not waited for, as if known down before.
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    HttpResponse<String> read = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(read.body()).isEqualTo("w");
    assertThat(read.headers().firstValue("Mistore-Version"))
        .hasValue(String.valueOf(new JsonObject(answer.body()).getLong("version")));
  }

  @Test
  void aReleaseOfTheGatewaysLockThatGetsNoAnswerIsSentAgainSoTheNextWriteDoesNotWaitForTheLease() {
    // Leases far longer than the writes' lock wait: only a release lets the next write in.
    start(3, 1, new JsonObject().put("lock-default-ttl-ms", 60_000).put("block-size", 65_536));
    String id = dev.create("v1", "hg-1-1");
    assertThat(id).startsWith("pop-1.");
    // A second consumer of pop-1's releases that never answers, as a primary dying with a release in
    // flight would: the event bus hands it every other release.
    var silent = dev.cluster.vertx().eventBus().consumer(
        org.mistore.codecs.Addresses.of(Role.POP, "pop-1", org.mistore.codecs.Addresses.OWNER_UNLOCK), m -> { });
    silent.completion().await();
    // Bodies of two blocks: the gateway takes the write lock for each, then releases it.
    String body = "b".repeat(100_000);
    for (int v = 2; v <= 5; v++) {
      HttpResponse<String> w = put(id, body + v, "hg-1-1", "Mistore-Lock-Wait", "20000");
      assertThat(w.statusCode()).as("write %d: %s", v, w.body()).isEqualTo(200);
      assertThat(new JsonObject(w.body()).getLong("version")).isEqualTo(v);
    }
    silent.unregister().await();
  }
}
