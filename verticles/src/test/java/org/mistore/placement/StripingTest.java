package org.mistore.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.StoreBlocks;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.node.RoleIdentity;
import org.mistore.store.BlockStore;
import org.mistore.store.Checksums;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/** Blocks striped over a region's HGs with r copies, read back from them, checked, repaired; HG quotas. */
class StripingTest extends DevClusterTestBase {
  private static final int BLOCK = 65536;

  private static JsonObject fromHgs(int copies) {
    return new JsonObject().put("block-size", BLOCK).put("hg-copies", copies).put("pop-keeps-blocks", false)
        .put("pop-cache-bytes", 0).put("hg-cache-bytes", 0);
  }

  private JsonObject region(String region) {
    HttpResponse<String> r = dev.get("/v1/admin/regions/" + region);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private boolean settled(String region, int blocks) {
    JsonObject view = region(region);
    return view.getLong("pendingVersions") == 0 && view.getInteger("underReplicatedBlocks") == 0
        && view.getInteger("indexedBlocks") == blocks;
  }

  private JsonArray placement(String pop, ObjectId id) {
    return placement(pop, id, 1);
  }

  private JsonArray placement(String pop, ObjectId id, long version) {
    return dev.cluster.vertx().eventBus().<JsonObject>request(Addresses.pop(pop, Addresses.PLACEMENT),
        new JsonObject().put("id", id.render()).put("version", version)).await().body().getJsonArray("blocks");
  }

  private VersionMeta meta(ObjectId id) {
    return dev.cluster.vertx().eventBus().<VersionMeta>request(Addresses.pop(id.primaryPop(), Addresses.OWNER_META),
        new JsonObject().put("id", id.render()).put("version", 1)).await().body();
  }

  private ObjectId create(byte[] content, String gateway, String... headers) {
    HttpRequest.Builder b = dev.request("/v1/objects").header("Mistore-Gateway", gateway)
        .POST(HttpRequest.BodyPublishers.ofByteArray(content));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r = dev.send(b);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return ObjectId.parse(new JsonObject(r.body()).getString("id"));
  }

  private HttpResponse<byte[]> read(ObjectId id, String gateway) {
    return org.mistore.testing.Http.sendBytes(dev.request("/v1/objects/" + id.render())
        .header("Mistore-Gateway", gateway).GET().build());
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void blocksAreStripedOverKHgsWithRDistinctCopiesInBothRegionsAndReadBackFromThem() {
    start(2, 6, fromHgs(2));
    byte[] content = random(16 * BLOCK, 1);
    ObjectId id = create(content, "hg-1-1", "Mistore-Stripes", "4");
    for (String pop : List.of(id.primaryPop(), id.backupPop())) {
      String regionName = "region-" + pop.substring(4);
      Eventually.await("16 blocks with 2 copies each in " + regionName, Duration.ofSeconds(20),
          () -> settled(regionName, 16));
      JsonArray blocks = placement(pop, id);
      Set<String> stripe = new HashSet<>();
      for (int i = 0; i < 16; i++) {
        List<String> holders = blocks.getJsonArray(i).stream().map(String::valueOf).toList();
        assertThat(holders).as("block %d at %s", i, pop).hasSize(2).doesNotHaveDuplicates()
            .allMatch(h -> h.startsWith("hg-" + pop.substring(4) + "-"));
        stripe.addAll(holders);
      }
      assertThat(stripe).as("Mistore-Stripes: 4 is known to %s", pop).hasSize(4);
    }
    HttpResponse<byte[]> got = Eventually.value("a read served from HG blocks", Duration.ofSeconds(10),
        () -> read(id, "hg-1-5"), r -> r.headers().firstValue("Mistore-Source").orElse("").equals("hg-blocks"));
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).isEqualTo(content);
  }

  @Test
  void aCorruptHgCopyIsNeverServedAndIsRewrittenFromAGoodOne() throws Exception {
    // Slow failure detection: the HG restarted below is never taken for lost (its copy is not re-placed).
    start(2, 3, fromHgs(2).put("failure-detection-ms", 20_000));
    byte[] content = random(4 * BLOCK, 2);
    ObjectId id = create(content, "hg-1-1", "Mistore-Stripes", "3");
    Eventually.await("placed", Duration.ofSeconds(20), () -> settled("region-1", 4));
    Eventually.value("the POP's own copies dropped", Duration.ofSeconds(10), () -> read(id, "hg-1-2"),
        r -> r.headers().firstValue("Mistore-Source").orElse("").equals("hg-blocks"));
    VersionMeta meta = meta(id);
    BlockRef ref = meta.block(1);
    List<String> holders = placement("pop-1", id).getJsonArray(1).stream().map(String::valueOf).toList();
    String victim = holders.get(1 % holders.size());

    dev.cluster.stopRole(Role.HG, victim).await();
    Path file = data.resolve("hg-" + victim + ".db");
    org.mistore.testing.BlockFiles.flipAByteOf(Arrays.copyOfRange(content, BLOCK, 2 * BLOCK), BlockStore.folderOf(file));
    dev.cluster.startRole(new RoleIdentity(Role.HG, victim, "region-1", "pop-1")).await();

    HttpResponse<byte[]> got = read(id, "hg-1-3");
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.headers().firstValue("Mistore-Source")).hasValue("hg-blocks");
    assertThat(got.body()).as("never the flipped byte").isEqualTo(content);
    Eventually.await("the corrupt copy on " + victim + " rewritten", Duration.ofSeconds(10), () -> {
      Buffer held = dev.cluster.vertx().eventBus().<Buffer>request(Addresses.hg(victim, Addresses.HG_READ_BLOCK), ref)
          .await().body();
      return Checksums.sha256(held).equals(ref.sha256());
    });
    assertThat(region("region-1").getLong("corruptCopiesFound")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void corruptHgCopiesWithNoGoodOneInTheRegionStopCountingAndAreReplacedByGoodOnes() throws Exception {
    start(2, 3, fromHgs(2).put("failure-detection-ms", 20_000));
    byte[] content = random(4 * BLOCK, 12);
    ObjectId id = create(content, "hg-1-1", "Mistore-Stripes", "3");
    Eventually.await("placed", Duration.ofSeconds(20), () -> settled("region-1", 4) && settled("region-2", 4));
    Eventually.value("the POP's own copies dropped", Duration.ofSeconds(10), () -> read(id, "hg-1-2"),
        r -> r.headers().firstValue("Mistore-Source").orElse("").equals("hg-blocks"));
    BlockRef ref = meta(id).block(1);
    List<String> holders = placement("pop-1", id).getJsonArray(1).stream().map(String::valueOf).toList();
    // Both of the region's copies of block 1 go bad: the good bytes are only in the other region.
    for (String victim : holders) {
      dev.cluster.stopRole(Role.HG, victim).await();
      org.mistore.testing.BlockFiles.flipAByteOf(Arrays.copyOfRange(content, BLOCK, 2 * BLOCK),
          BlockStore.folderOf(data.resolve("hg-" + victim + ".db")));
      dev.cluster.startRole(new RoleIdentity(Role.HG, victim, "region-1", "pop-1")).await();
    }

    HttpResponse<byte[]> got = read(id, "hg-1-3");
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).as("never the flipped byte").isEqualTo(content);
    Eventually.await("region-1 holds two good copies of block 1 again", Duration.ofSeconds(20), () -> {
      List<String> now = placement("pop-1", id).getJsonArray(1).stream().map(String::valueOf).toList();
      return now.size() == 2 && now.stream().allMatch(hg -> Checksums.sha256(dev.cluster.vertx().eventBus()
          .<Buffer>request(Addresses.hg(hg, Addresses.HG_READ_BLOCK), ref).await().body()).equals(ref.sha256()));
    });
    assertThat(read(id, "hg-1-2").body()).isEqualTo(content);
  }

  @Test
  void aReadWaitingOnAnHgThatGoesDownAsksTheNextCopyThenNotAtItsTimeout() throws Exception {
    // A read timeout longer than this test waits: only the HG seen down can end the wait.
    start(2, 3, fromHgs(2).put("hg-read-timeout-ms", 120_000));
    byte[] content = random(4 * BLOCK, 13);
    ObjectId id = create(content, "hg-1-1", "Mistore-Stripes", "3");
    Eventually.await("placed", Duration.ofSeconds(20), () -> settled("region-1", 4));
    Eventually.value("the POP's own copies dropped", Duration.ofSeconds(10), () -> read(id, "hg-1-2"),
        r -> r.headers().firstValue("Mistore-Source").orElse("").equals("hg-blocks"));
    // The copy of block 0 asked first answers nothing (a second consumer on its address that keeps
    // what the event bus hands it), as an HG killed with the read in flight would.
    String first = placement("pop-1", id).getJsonArray(0).getString(0);
    java.util.concurrent.CompletableFuture<Void> caught = new java.util.concurrent.CompletableFuture<>();
    var silent = dev.cluster.vertx().eventBus().consumer(Addresses.hg(first, Addresses.HG_READ_BLOCK),
        m -> caught.complete(null));
    silent.completion().await();
    java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> inFlight = null;
    for (int i = 0; i < 20 && inFlight == null; i++) {
      var attempt = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(id, "hg-1-3"));
      java.util.concurrent.CompletableFuture.anyOf(attempt, caught).get(30, java.util.concurrent.TimeUnit.SECONDS);
      if (caught.isDone()) {
        inFlight = attempt;
      }
    }
    assertThat(inFlight).as("a read reached the silent consumer").isNotNull();
    dev.cluster.stopRole(Role.HG, first).await();
    HttpResponse<byte[]> got = inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS);
    silent.unregister().await();
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).isEqualTo(content);
  }

  @Test
  void aFullHgReceivesNothingMoreAndThePopKeepsWhatTheRegionCannotHold() {
    long quota = 10L * BLOCK;
    start(2, 3, new JsonObject().put("block-size", BLOCK).put("capacity-bytes", quota).put("stripes", 3));
    byte[] first = random(24 * BLOCK, 3);
    byte[] second = random(24 * BLOCK, 4);
    ObjectId a = create(first, "hg-1-1");
    ObjectId b = create(second, "hg-1-1");
    Eventually.await("region-1 full, the rest kept by its POP", Duration.ofSeconds(20), () -> {
      JsonObject view = region("region-1");
      return view.getLong("unplacedBlocks") == 48 - 30 && view.getInteger("indexedBlocks") == 30;
    });
    for (String hg : List.of("hg-1-1", "hg-1-2", "hg-1-3")) {
      assertThat(held(hg)).as(hg).isEqualTo(quota);
    }
    ObjectId c = create(random(8 * BLOCK, 5), "hg-1-2");
    Eventually.await("the third object kept by the POP too", Duration.ofSeconds(20),
        () -> region("region-1").getLong("unplacedBlocks") == 48 - 30 + 8);
    for (String hg : List.of("hg-1-1", "hg-1-2", "hg-1-3")) {
      assertThat(held(hg)).as("full %s took nothing more", hg).isEqualTo(quota);
    }
    assertThat(region("region-1").getLong("refusedForQuota")).isPositive();
    assertThat(read(a, "hg-1-3").body()).isEqualTo(first);
    assertThat(read(b, "hg-1-3").body()).isEqualTo(second);
    assertThat(read(c, "hg-1-3").statusCode()).isEqualTo(200);
  }

  @Test
  void anHgAnswersEveryBlockOfABatchOnItsOwnAndKeepsTheGoodOnes() {
    start(2, 1, new JsonObject().put("block-size", BLOCK).put("capacity-bytes", 2L * BLOCK));
    ObjectId id = new ObjectId("pop-1", "pop-2", "hg-1-1", 999);
    byte[][] data = {random(BLOCK, 6), random(BLOCK, 7), random(BLOCK, 8), random(BLOCK, 9)};
    List<StoreBlock> batch = new java.util.ArrayList<>();
    for (int i = 0; i < data.length; i++) {
      BlockRef ref = new BlockRef(new VersionRef(id, 1), i, BLOCK, Checksums.sha256(Buffer.buffer(data[i])));
      byte[] sent = i == 1 ? random(BLOCK, 66) : data[i]; // block 1 does not match its checksum
      batch.add(new StoreBlock(ref, Buffer.buffer(sent)));
    }
    JsonArray outcomes = dev.cluster.vertx().eventBus()
        .<JsonArray>request(Addresses.hg("hg-1-1", Addresses.HG_STORE_BLOCKS), new StoreBlocks(batch)).await().body();

    assertThat(outcomes).hasSize(4);
    assertThat(outcomes.getValue(0)).as("stored").isNull();
    assertThat(outcomes.getJsonObject(1).getInteger("code")).isEqualTo(FailureCode.BAD_REQUEST.code);
    assertThat(outcomes.getValue(2)).as("stored").isNull();
    assertThat(outcomes.getJsonObject(3).getInteger("code")).as("past the quota").isEqualTo(FailureCode.FULL.code);
    assertThat(held("hg-1-1")).isEqualTo(2L * BLOCK);
    for (int i : new int[] {0, 2}) {
      Buffer back = dev.cluster.vertx().eventBus()
          .<Buffer>request(Addresses.hg("hg-1-1", Addresses.HG_READ_BLOCK), batch.get(i).ref()).await().body();
      assertThat(back.getBytes()).isEqualTo(data[i]);
    }
  }

  private long held(String hg) {
    return dev.cluster.vertx().eventBus().<JsonObject>request(Addresses.hg(hg, Addresses.HG_LIST_BLOCKS),
        new JsonObject()).await().body().getLong("heldBytes");
  }

  private List<String> hgsHolding(String region) {
    return region(region).getJsonArray("hgs").stream().map(JsonObject.class::cast)
        .filter(h -> h.getInteger("blocks") > 0).map(h -> h.getString("id")).toList();
  }

  private int blocksOn(String hg) {
    return dev.cluster.vertx().eventBus().<JsonObject>request(Addresses.hg(hg, Addresses.HG_LIST_BLOCKS),
        new JsonObject()).await().body().getJsonArray("keys").size();
  }

  @Test
  void aReturningHgDropsCopiesTheRegionRestoredMeanwhile() {
    start(2, 4, fromHgs(2));
    ObjectId id = create(random(4 * BLOCK, 6), "hg-1-1", "Mistore-Stripes", "2");
    Eventually.await("placed", Duration.ofSeconds(20), () -> settled("region-1", 4));
    String lost = hgsHolding("region-1").get(0);
    dev.cluster.stopRole(Role.HG, lost).await();
    Eventually.await("every block back to two live copies without " + lost, Duration.ofSeconds(20),
        () -> region("region-1").getInteger("underReplicatedBlocks") == 0 && hgsHolding("region-1").size() >= 3);
    assertThat(region("region-1").getJsonObject("repair").getLong("repairedBlocks")).isPositive();
    dev.cluster.startRole(new RoleIdentity(Role.HG, lost, "region-1", "pop-1")).await();
    Eventually.await(lost + " back with no surplus copy", Duration.ofSeconds(20), () -> blocksOn(lost) == 0);
    assertThat(region("region-1").getJsonArray("hgs").stream().map(JsonObject.class::cast)
        .filter(h -> h.getString("id").equals(lost)).findFirst().orElseThrow().getInteger("blocks")).isZero();
    assertThat(read(id, "hg-1-2").body()).isEqualTo(random(4 * BLOCK, 6));
  }

  @Test
  void whenARegionLostItsOnlyCopiesTheOtherRegionRestoresThemAndServesReads() {
    start(2, 2, fromHgs(1));
    byte[] small = random(1000, 9);
    byte[] large = random(3 * BLOCK, 10);
    ObjectId one = create(small, "hg-1-1");
    ObjectId three = create(large, "hg-1-1");
    for (String region : new String[] {"region-1", "region-2"}) {
      Eventually.await("placed in " + region, Duration.ofSeconds(20), () -> settled(region, 4));
    }
    // One copy per region, on HGs only (the POPs dropped theirs): losing an HG of region-1 loses the
    // region's only copy of its blocks, which come back onto the other HG from region-2's copies.
    String lost = hgsHolding("region-1").get(0);
    String other = lost.equals("hg-1-1") ? "hg-1-2" : "hg-1-1";
    dev.cluster.stopRole(Role.HG, lost).await();
    Eventually.await("region-1 back to one copy of every block on " + other, Duration.ofSeconds(30),
        () -> region("region-1").getInteger("underReplicatedBlocks") == 0 && blocksOn(other) == 4);
    assertThat(region("region-1").getJsonObject("repair").getLong("repairedBlocks")).isPositive();
    // Region-1 loses every copy: the primary (pop-1) reads the backup's (pop-2's region).
    dev.cluster.stopRole(Role.HG, other).await();
    Eventually.await("region-1 short of every copy", Duration.ofSeconds(20),
        () -> region("region-1").getInteger("underReplicatedBlocks") == 4);
    HttpResponse<byte[]> got = read(one, "hg-2-1");
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).isEqualTo(small);
    assertThat(read(three, "hg-2-2").body()).isEqualTo(large);
    // With no copy reachable anywhere, the answer is a 503 saying so, not a connection cut mid-way.
    dev.cluster.stopRole(Role.HG, "hg-2-1").await();
    dev.cluster.stopRole(Role.HG, "hg-2-2").await();
    Eventually.await("region-2 short of every copy", Duration.ofSeconds(20),
        () -> region("region-2").getInteger("underReplicatedBlocks") == 4);
    HttpResponse<String> none = dev.get("/v1/objects/" + one.render(), "Mistore-Gateway", "hg-2-1");
    assertThat(none.statusCode()).as(none.body()).isEqualTo(503);
    assertThat(new JsonObject(none.body()).getString("detail")).contains("no good copy");
  }

  @Test
  void aReturningHgKeepsCopiesTheRegionStillNeeds() {
    start(2, 2, fromHgs(2));
    ObjectId id = create(random(3 * BLOCK, 7), "hg-1-1");
    Eventually.await("placed", Duration.ofSeconds(20), () -> settled("region-1", 3));
    dev.cluster.stopRole(Role.HG, "hg-1-2").await();
    Eventually.await("the region is short of copies (no HG to take them)", Duration.ofSeconds(20),
        () -> region("region-1").getInteger("underReplicatedBlocks") == 3);
    dev.cluster.startRole(new RoleIdentity(Role.HG, "hg-1-2", "region-1", "pop-1")).await();
    Eventually.await("hg-1-2's copies kept and counted again", Duration.ofSeconds(20),
        () -> region("region-1").getInteger("underReplicatedBlocks") == 0);
    assertThat(blocksOn("hg-1-2")).isEqualTo(3);
    assertThat(read(id, "hg-1-1").body()).isEqualTo(random(3 * BLOCK, 7));
  }

  @Test
  void aMissingHgCopyIsReadFromAnotherAndPlacedAgain() {
    start(2, 4, fromHgs(2));
    byte[] content = random(4 * BLOCK, 8);
    ObjectId id = create(content, "hg-1-1", "Mistore-Stripes", "2");
    Eventually.await("placed", Duration.ofSeconds(20), () -> settled("region-1", 4));
    Eventually.value("the POP's own copies dropped", Duration.ofSeconds(10), () -> read(id, "hg-1-2"),
        r -> r.headers().firstValue("Mistore-Source").orElse("").equals("hg-blocks"));
    BlockRef ref = meta(id).block(2);
    List<String> holders = placement("pop-1", id).getJsonArray(2).stream().map(String::valueOf).toList();
    String first = holders.get(2 % holders.size());
    dev.cluster.vertx().eventBus().request(Addresses.hg(first, Addresses.HG_DELETE_BLOCK), ref).await();

    assertThat(read(id, "hg-1-3").body()).isEqualTo(content);
    Eventually.await("block 2 back to two copies", Duration.ofSeconds(10), () -> {
      List<String> now = placement("pop-1", id).getJsonArray(2).stream().map(String::valueOf).toList();
      // The index may name the new holder a moment before its copy is readable: not yet, not a failure.
      return now.size() == 2 && now.stream().allMatch(hg -> {
        try {
          return Checksums.sha256(dev.cluster.vertx().eventBus()
              .<Buffer>request(Addresses.hg(hg, Addresses.HG_READ_BLOCK), ref).await().body()).equals(ref.sha256());
        } catch (io.vertx.core.eventbus.ReplyException e) {
          return false;
        }
      });
    });
    assertThat(region("region-1").getLong("missingCopiesFound")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void laterVersionsKeepTheStripeWidthChosenAtCreation() {
    start(2, 6, new JsonObject().put("block-size", BLOCK));
    ObjectId id = create(random(BLOCK, 9), "hg-1-1", "Mistore-Stripes", "2");
    HttpResponse<String> put = dev.send(dev.request("/v1/objects/" + id.render()).header("Mistore-Gateway", "hg-1-3")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(random(12 * BLOCK, 10))));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    for (String pop : List.of(id.primaryPop(), id.backupPop())) {
      Eventually.await("version 2 placed by " + pop, Duration.ofSeconds(20), () -> placement(pop, id, 2).stream()
          .allMatch(hgs -> !((JsonArray) hgs).isEmpty()));
      Set<String> used = new HashSet<>();
      placement(pop, id, 2).forEach(hgs -> ((JsonArray) hgs).forEach(h -> used.add((String) h)));
      assertThat(used).as("12 blocks of version 2 at %s on the object's 2-wide stripe", pop).hasSize(2);
    }
  }

  /** Flips one byte of the stored copy of {@code block}: found by its bytes in the node's block files. */
  @Test
  void copiesOfEarlierVersionsYieldToAClientsUploadAndCatchUpAfter() throws Exception {
    // While clients upload, pop-1 copies one block a second onto its region's HGs.
    start(2, 2, fromHgs(1).put("placement-busy-bytes-per-second", BLOCK));
    int slowBlocks = 60;
    java.net.URI base = java.net.URI.create(dev.base);
    java.util.concurrent.CompletableFuture<String> slow = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CountDownLatch underway = new java.util.concurrent.CountDownLatch(1);
    Thread uploader = new Thread(() -> {
      // A client sending a block every 50 ms for 3 s (a slow link), through the same POP.
      try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
        java.io.OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/objects HTTP/1.1\r\nHost: x\r\nMistore-Gateway: hg-1-1\r\nContent-Length: "
            + (long) slowBlocks * BLOCK + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] block = random(BLOCK, 9);
        for (int i = 0; i < slowBlocks; i++) {
          out.write(block);
          out.flush();
          if (i == 3) {
            underway.countDown();
          }
          Thread.sleep(50);
        }
        socket.setSoTimeout(20_000);
        slow.complete(new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
            java.nio.charset.StandardCharsets.US_ASCII)).readLine());
      } catch (Exception e) {
        slow.completeExceptionally(e);
      }
    }, "slow-uploader");
    uploader.start();
    assertThat(underway.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    // 16 blocks committed while the slow upload goes on: their copies wait their turn.
    create(random(16 * BLOCK, 10), "hg-1-1");
    int mostPlaced = 0;
    while (!slow.isDone()) {
      mostPlaced = Math.max(mostPlaced, region("region-1").getInteger("indexedBlocks"));
    }
    assertThat(slow.get()).as("the slow upload's status line").startsWith("HTTP/1.1 201");
    assertThat(mostPlaced).as("blocks copied onto HGs while the upload went on (at most about one a second)")
        .isLessThan(16);
    // Once clients are done, the copies catch up at full speed: both versions, every block.
    Eventually.await("both versions copied onto region-1's HGs", Duration.ofSeconds(30),
        () -> settled("region-1", 16 + slowBlocks));
  }
}
