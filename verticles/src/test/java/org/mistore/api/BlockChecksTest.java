package org.mistore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.store.BlockStore;
import org.mistore.store.Checksums;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Http;

/** Each block's CRC32C is taken as the client's bytes come in, and blocks are checked against it on their way out. */
class BlockChecksTest extends DevClusterTestBase {
  private static final int BLOCK = 65536;

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static List<Integer> crcsOf(byte[] content) {
    List<Integer> crcs = new ArrayList<>();
    for (int at = 0; at < content.length; at += BLOCK) {
      CRC32C crc = new CRC32C();
      crc.update(content, at, Math.min(BLOCK, content.length - at));
      crcs.add((int) crc.getValue());
    }
    return crcs;
  }

  private ObjectId create(byte[] content) {
    HttpResponse<String> r = dev.send(dev.request("/v1/objects").header("Mistore-Gateway", "hg-1-1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return ObjectId.parse(new JsonObject(r.body()).getString("id"));
  }

  private VersionMeta meta(ObjectId id) {
    return dev.cluster.vertx().eventBus().<VersionMeta>request(Addresses.pop(id.primaryPop(), Addresses.OWNER_META),
        new JsonObject().put("id", id.render()).put("version", 1)).await().body();
  }

  private HttpResponse<byte[]> read(ObjectId id) {
    return Http.sendBytes(dev.request("/v1/objects/" + id.render()).header("Mistore-Gateway", "hg-1-2").GET().build());
  }

  @Test
  void everyVersionKeepsItsBlocksCrc32cAndACorruptPopCopyIsReadFromAnotherAndRewritten() throws Exception {
    // Slow failure detection: the POP restarted below is never taken for down.
    start(2, 2, new JsonObject().put("block-size", BLOCK).put("pop-cache-bytes", 0).put("hg-cache-bytes", 0)
        .put("failure-detection-ms", 20_000));
    byte[] large = random(3 * BLOCK + 1000, 1);
    byte[] small = random(1000, 2);
    ObjectId largeId = create(large);
    ObjectId smallId = create(small);
    ObjectId emptyId = create(new byte[0]);
    assertThat(meta(largeId).blockCrc32c()).isEqualTo(crcsOf(large));
    assertThat(meta(smallId).blockCrc32c()).as("a body of one block, sent with its commit").isEqualTo(crcsOf(small));
    assertThat(meta(emptyId).blockCrc32c()).isEmpty();
    assertThat(read(largeId).headers().firstValue("Mistore-Source")).hasValue("primary");
    // The POP says it checked its copy on the way out: a gateway of this process need not check it again.
    var served = dev.cluster.vertx().eventBus().<Buffer>request(
        Addresses.pop(largeId.primaryPop(), Addresses.OWNER_READ_BLOCK), meta(largeId).block(1)).await();
    assertThat(served.body().getBytes()).isEqualTo(Arrays.copyOfRange(large, BLOCK, 2 * BLOCK));
    assertThat(served.headers().get(Addresses.HEADER_CHECKED_IN)).isEqualTo(Checksums.PROCESS);

    // A byte of block 0 flips on the disk of the POP that serves the reads: the block comes from
    // another copy (the response names where block 0 came from).
    // (Flipped while the POP is stopped, as a disk would between two runs: nothing in flight.)
    Path popBlocks = BlockStore.folderOf(data.resolve("pop-" + largeId.primaryPop() + ".db"));
    dev.cluster.stopRole(org.mistore.codecs.Role.POP, largeId.primaryPop()).await();
    org.mistore.testing.BlockFiles.flipAByteOf(Arrays.copyOf(large, BLOCK), popBlocks);
    dev.cluster.startRole(new org.mistore.node.RoleIdentity(org.mistore.codecs.Role.POP, largeId.primaryPop(),
        "region-1", "")).await();
    HttpResponse<byte[]> got = read(largeId);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.headers().firstValue("Mistore-Source")).get().isNotEqualTo("primary");
    assertThat(got.body()).as("never the flipped byte").isEqualTo(large);
    HttpResponse<String> region = dev.get("/v1/admin/regions/region-1");
    assertThat(new JsonObject(region.body()).getLong("corruptPopCopiesFound")).isEqualTo(1);
    // The POP's copy was rewritten from the good one: it serves the block itself again.
    HttpResponse<byte[]> again = org.mistore.testing.Eventually.value("the POP's copy rewritten",
        java.time.Duration.ofSeconds(10), () -> read(largeId),
        r -> r.headers().firstValue("Mistore-Source").orElse("").equals("primary"));
    assertThat(again.body()).isEqualTo(large);
  }

  @Test
  void aPopCopyWhoseBlockFileIsLostIsReadFromAnotherAndRewritten() throws Exception {
    start(2, 2, new JsonObject().put("block-size", BLOCK).put("pop-cache-bytes", 0).put("hg-cache-bytes", 0)
        .put("failure-detection-ms", 20_000));
    byte[] large = random(3 * BLOCK + 1000, 3);
    ObjectId id = create(large);
    assertThat(read(id).headers().firstValue("Mistore-Source")).hasValue("primary");
    // The POP's block files are lost while it is stopped (a disk repaired by hand, say): its index
    // still names them.
    Path popBlocks = BlockStore.folderOf(data.resolve("pop-" + id.primaryPop() + ".db"));
    dev.cluster.stopRole(org.mistore.codecs.Role.POP, id.primaryPop()).await();
    try (var files = java.nio.file.Files.list(popBlocks)) {
      for (Path f : files.toList()) {
        java.nio.file.Files.delete(f);
      }
    }
    dev.cluster.startRole(new org.mistore.node.RoleIdentity(org.mistore.codecs.Role.POP, id.primaryPop(),
        "region-1", "")).await();
    HttpResponse<byte[]> got = read(id);
    assertThat(got.statusCode()).as(new String(got.body())).isEqualTo(200);
    assertThat(got.body()).isEqualTo(large);
    assertThat(new JsonObject(dev.get("/v1/admin/regions/region-1").body()).getLong("corruptPopCopiesFound"))
        .isPositive();
    HttpResponse<byte[]> again = org.mistore.testing.Eventually.value("the POP's copies rewritten",
        java.time.Duration.ofSeconds(10), () -> read(id),
        r -> r.headers().firstValue("Mistore-Source").orElse("").equals("primary"));
    assertThat(again.body()).isEqualTo(large);
  }

  @Test
  void aBlockIsCheckedAgainstItsCrc32cAndItsSha256BeforeItIsRefused() {
    Vertx vertx = Vertx.vertx();
    try {
      byte[] content = random(BLOCK + 10, 3);
      Buffer first = Buffer.buffer(Arrays.copyOf(content, BLOCK));
      Buffer corrupt = first.copy();
      corrupt.setByte(7, (byte) (corrupt.getByte(7) ^ 0x10));
      List<String> shas = List.of(Checksums.sha256(first),
          Checksums.sha256(Buffer.buffer(Arrays.copyOfRange(content, BLOCK, content.length))));
      VersionRef ref = new VersionRef(new ObjectId("pop-1", "pop-2", "hg-1-1", 1), 1);
      VersionMeta withCrcs = new VersionMeta(ref, content.length, "", Checksums.sha256(Buffer.buffer(content)), BLOCK,
          shas, 1, "hg-1-1", false, 0, crcsOf(content));
      VersionMeta wrongCrcs = new VersionMeta(ref, content.length, "", withCrcs.sha256(), BLOCK, shas, 1, "hg-1-1",
          false, 0, List.of(12345, 6789));
      VersionMeta noCrcs = new VersionMeta(ref, content.length, "", withCrcs.sha256(), BLOCK, shas, 1, "hg-1-1",
          false, 0);
      for (VersionMeta meta : List.of(withCrcs, wrongCrcs, noCrcs)) {
        assertThat(ObjectService.verified(vertx, meta, 0, first).await()).as("%s", meta.blockCrc32c()).isTrue();
        assertThat(ObjectService.verified(vertx, meta, 0, corrupt).await()).as("%s", meta.blockCrc32c()).isFalse();
        assertThat(ObjectService.verified(vertx, meta, 0, first.getBuffer(0, BLOCK - 1)).await()).isFalse();
      }
    } finally {
      vertx.close().await();
    }
  }
}
