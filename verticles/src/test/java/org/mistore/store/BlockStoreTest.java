package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.Serializer;
import org.mistore.codecs.Role;
import org.mistore.testing.Eventually;

/** Blocks in segment files with their index in MapDB: durable, compacted, migrated from the old in-MapDB map. */
@ExtendWith(VertxExtension.class)
class BlockStoreTest {
  private static final long SEGMENT = 256 * 1024;
  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("hg-hg-1-1.db");
  }

  private RoleStore open(Vertx vertx) {
    return RoleStore.open(vertx, file(), "hg-1-1", Role.HG).await();
  }

  private static byte[] random(Random r, int size) {
    byte[] b = new byte[size];
    r.nextBytes(b);
    return b;
  }

  /** Stores a block as one durable write. */
  private static void put(RoleStore store, BlockStore blocks, String key, byte[] data) {
    store.write(db -> {
      blocks.putNow(key, data);
      return null;
    }).await();
  }

  private long folderBytes() throws Exception {
    try (var files = Files.list(BlockStore.folderOf(file()))) {
      long total = 0;
      for (Path p : (Iterable<Path>) files::iterator) {
        total += Files.size(p);
      }
      return total;
    }
  }

  private long folderFiles() throws Exception {
    try (var files = Files.list(BlockStore.folderOf(file()))) {
      return files.count();
    }
  }

  /**
   * A small block's write is durable through its journal record alone: a power cut may lose the
   * block file's unsynced tail, and the replay puts the records back. Simulated by copying the
   * store's files (no checkpoint since the writes) and cutting the block file back to where the last
   * block written with an fsync of its own ends.
   */
  @Test
  void smallBlocksLostFromTheirFileComeBackFromTheJournal(Vertx vertx) throws Exception {
    Random random = new Random(13);
    RoleStore store = RoleStore.open(vertx, file(), "hg-1-1", Role.HG, 3_600_000).await();
    BlockStore blocks = store.write(db -> new BlockStore(store, SEGMENT)).await();
    byte[] large = random(random, BlockStore.JOURNALED_BYTES + 1);
    put(store, blocks, "large", large);
    long synced = folderBytes();
    Map<String, byte[]> small = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      small.put("small-" + i, random(random, 1 + random.nextInt(4096)));
      put(store, blocks, "small-" + i, small.get("small-" + i));
    }
    assertThat(folderFiles()).isEqualTo(1);
    Path copy = Files.createDirectories(dir.resolve("copy")).resolve(file().getFileName());
    Files.copy(file(), copy);
    Files.copy(RoleStore.journalOf(file()), RoleStore.journalOf(copy));
    Path copyBlocks = Files.createDirectories(BlockStore.folderOf(copy));
    Path segment;
    try (var files = Files.list(BlockStore.folderOf(file()))) {
      segment = files.findFirst().orElseThrow();
    }
    Files.copy(segment, copyBlocks.resolve(segment.getFileName()));
    store.close().await();
    try (var f = new java.io.RandomAccessFile(copyBlocks.resolve(segment.getFileName()).toFile(), "rw")) {
      f.setLength(synced);
    }

    RoleStore again = RoleStore.open(vertx, copy, "hg-1-1", Role.HG).await();
    try {
      BlockStore reopened = again.write(db -> new BlockStore(again, SEGMENT)).await();
      assertThat(again.read(db -> reopened.getNow("large")).await()).isEqualTo(large);
      for (Map.Entry<String, byte[]> e : small.entrySet()) {
        assertThat(again.read(db -> reopened.getNow(e.getKey())).await()).as(e.getKey()).isEqualTo(e.getValue());
      }
    } finally {
      again.close().await();
    }
  }

  @Test
  void blocksSurviveReopeningAndDroppedOnesAreCompactedAway(Vertx vertx) throws Exception {
    Random random = new Random(7);
    Map<String, byte[]> kept = new HashMap<>();
    RoleStore store = open(vertx);
    BlockStore blocks = store.write(db -> new BlockStore(store, SEGMENT)).await();
    // 96 blocks of 16 KiB: six files of 256 KiB; every third block is kept, the rest dropped.
    for (int i = 0; i < 96; i++) {
      String key = "obj/" + i;
      byte[] data = random(random, 16 * 1024);
      put(store, blocks, key, data);
      if (i % 3 == 0) {
        kept.put(key, data);
      }
    }
    // Small records reach their file a page at a time, and all of them by the next checkpoint.
    store.checkpointNow().await();
    long written = folderBytes();
    assertThat(written).isGreaterThan(96L * 16 * 1024);
    assertThat(folderFiles()).isGreaterThanOrEqualTo(6);
    for (int i = 0; i < 96; i++) {
      if (i % 3 != 0) {
        String key = "obj/" + i;
        assertThat(store.write(db -> blocks.removeNow(key)).await()).isEqualTo(16 * 1024L);
      }
    }
    assertThat(store.write(db -> blocks.removeNow("obj/1")).await()).as("already dropped").isEqualTo(-1L);

    // A third is live: the sealed files are compacted into new ones, and the old ones deleted.
    Eventually.await("sealed files compacted", Duration.ofSeconds(20), () -> {
      try {
        return folderBytes() < written * 6 / 10;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    for (int i = 1; i <= 6; i++) {
      assertThat(BlockStore.folderOf(file()).resolve(String.format("%08d.seg", i))).as("the first files, a third live")
          .doesNotExist();
    }
    kept.forEach((key, data) -> assertThat(store.read(db -> blocks.getNow(key)).await()).isEqualTo(data));
    assertThat(store.read(db -> blocks.getNow("obj/2")).await()).isNull();
    assertThat(store.read(db -> blocks.keys().size()).await()).isEqualTo(32);
    store.close().await();

    RoleStore again = open(vertx);
    BlockStore reopened = again.write(db -> new BlockStore(again, SEGMENT)).await();
    kept.forEach((key, data) -> assertThat(again.read(db -> reopened.getNow(key)).await()).isEqualTo(data));
    assertThat(again.write(db -> reopened.heldBytes()).await()).isEqualTo(32L * 16 * 1024);
    assertThat(again.read(db -> reopened.lengthOf("obj/3")).await()).isEqualTo(16 * 1024L);
    again.close().await();
  }

  @Test
  void aCopyTheDiskCorruptedFailsItsCrc32cEvenOnceCompactionHasMovedIt(Vertx vertx) throws Exception {
    Random random = new Random(11);
    RoleStore store = open(vertx);
    BlockStore blocks = store.write(db -> new BlockStore(store, SEGMENT)).await();
    org.mistore.codecs.VersionRef version = new org.mistore.codecs.VersionRef(
        new org.mistore.codecs.ObjectId("pop-1", "pop-2", "hg-1-1", 1), 1);
    java.util.List<org.mistore.codecs.BlockRef> refs = new java.util.ArrayList<>();
    Map<Integer, byte[]> content = new HashMap<>();
    // 48 blocks of 16 KiB: three files of 256 KiB.
    for (int i = 0; i < 48; i++) {
      byte[] data = random(random, 16 * 1024);
      var ref = new org.mistore.codecs.BlockRef(version, i, data.length,
          Checksums.sha256(io.vertx.core.buffer.Buffer.buffer(data)));
      refs.add(ref);
      content.put(i, data);
      put(store, blocks, BlockStore.key(ref), data);
    }
    store.checkpointNow().await(); // every record in its file
    org.mistore.testing.BlockFiles.flipAByteOf(content.get(6), BlockStore.folderOf(file()));
    assertThatCorrupt(blocks, refs.get(6));
    assertThat(blocks.getChecked(refs.get(9)).await().orElseThrow().data().getBytes()).isEqualTo(content.get(9));
    assertThat(blocks.get(refs.get(6)).await()).as("unchecked reads still give the bytes").isPresent();

    // All but blocks 6 and 9 dropped: their files are compacted, and both blocks move.
    for (int i = 0; i < 48; i++) {
      if (i != 6 && i != 9) {
        String key = BlockStore.key(refs.get(i));
        store.write(db -> blocks.removeNow(key)).await();
      }
    }
    Eventually.await("the first file compacted away", Duration.ofSeconds(20),
        () -> !Files.exists(BlockStore.folderOf(file()).resolve("00000001.seg")));
    assertThatCorrupt(blocks, refs.get(6));
    assertThat(blocks.getChecked(refs.get(9)).await().orElseThrow().data().getBytes()).isEqualTo(content.get(9));
    store.close().await();
  }

  private static void assertThatCorrupt(BlockStore blocks, org.mistore.codecs.BlockRef ref) {
    Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> blocks.getChecked(ref).await());
    assertThat(failure).isNotNull();
    assertThat(failure.getCause()).isInstanceOf(BlockStore.CorruptBlock.class);
  }

  @Test
  void blocksReadWhileTheirFileIsCompactedAreFoundAtTheirNewPlace(Vertx vertx) throws Exception {
    Random random = new Random(11);
    RoleStore store = open(vertx);
    BlockStore blocks = store.write(db -> new BlockStore(store, SEGMENT)).await();
    Map<String, byte[]> kept = new HashMap<>();
    for (int round = 0; round < 6; round++) {
      for (int i = 0; i < 32; i++) {
        String key = "r" + round + "/" + i;
        byte[] data = random(random, 8 * 1024);
        put(store, blocks, key, data);
        kept.put(key, data);
      }
      // Drop most of the round: its files become compactable while readers keep reading the rest.
      for (int i = 0; i < 32; i++) {
        if (i % 4 != 0) {
          String key = "r" + round + "/" + i;
          store.write(db -> blocks.removeNow(key)).await();
          kept.remove(key);
        }
      }
      for (Map.Entry<String, byte[]> e : kept.entrySet()) {
        assertThat(store.read(db -> blocks.getNow(e.getKey())).await()).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
    store.close().await();
  }

  @Test
  void blocksKeptInsideMapDbByAnEarlierVersionMoveToBlockFiles(Vertx vertx) throws Exception {
    Random random = new Random(3);
    Map<String, byte[]> old = new HashMap<>();
    RoleStore store = open(vertx);
    store.write(db -> {
      var legacy = store.treeMap("blocks", Serializer.STRING, Serializer.BYTE_ARRAY);
      for (int i = 0; i < 5; i++) {
        byte[] data = random(random, 1000 + i);
        legacy.put("legacy/" + i, data);
        old.put("legacy/" + i, data);
      }
      return null;
    }).await();
    store.close().await();

    RoleStore again = open(vertx);
    BlockStore blocks = again.write(db -> new BlockStore(again)).await();
    old.forEach((key, data) -> assertThat(again.read(db -> blocks.getNow(key)).await()).isEqualTo(data));
    assertThat(again.write(db -> again.exists("blocks")
        && again.treeMap("blocks", Serializer.STRING, Serializer.BYTE_ARRAY).isEmpty()).await()).isTrue();
    again.close().await();

    RoleStore third = open(vertx);
    BlockStore moved = third.write(db -> new BlockStore(third)).await();
    old.forEach((key, data) -> assertThat(third.read(db -> moved.getNow(key)).await()).isEqualTo(data));
    third.close().await();
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aFileEndingInATornRecordHeaderIsStillCompactedAndWritesGoOn(Vertx vertx) throws Exception {
    Random random = new Random(5);
    RoleStore store = open(vertx);
    BlockStore blocks = store.write(db -> new BlockStore(store, SEGMENT)).await();
    Map<String, byte[]> kept = new HashMap<>();
    for (int i = 0; i < 8; i++) {
      String key = "t/" + i;
      byte[] data = random(random, 16 * 1024);
      put(store, blocks, key, data);
      kept.put(key, data);
    }
    store.close().await();
    // A crash cut the next record after 5 bytes of its header.
    Path first = BlockStore.folderOf(file()).resolve("00000001.seg");
    Files.write(first, new byte[] {0, 0, 0, 9, 0}, java.nio.file.StandardOpenOption.APPEND);

    RoleStore again = open(vertx);
    BlockStore reopened = again.write(db -> new BlockStore(again, SEGMENT)).await();
    for (int i = 0; i < 5; i++) {
      String key = "t/" + i;
      again.write(db -> reopened.removeNow(key)).await();
      kept.remove(key);
    }
    Eventually.await("the file with the torn tail compacted away", Duration.ofSeconds(20), () -> !Files.exists(first));
    byte[] more = random(random, 1000);
    put(again, reopened, "t/after", more);
    kept.put("t/after", more);
    kept.forEach((key, data) -> assertThat(again.read(db -> reopened.getNow(key)).await()).isEqualTo(data));
    again.close().await();
  }
}
