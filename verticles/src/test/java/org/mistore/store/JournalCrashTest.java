package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.Serializer;
import org.mistore.codecs.Role;

/**
 * What a store acknowledged survives {@code kill -9}: a child process writes (puts and removes, in a
 * hash map and a sorted map of byte arrays) until it is killed mid-stream, past at least one
 * checkpoint; the reopened store holds exactly the acknowledged state, replayed from the journal.
 * Blocks too: the child drops nine in ten of them, so their files are compacted as it runs.
 */
@ExtendWith(VertxExtension.class)
class JournalCrashTest {
  /** Small block files in the child, so they roll over and get compacted while it writes. */
  static final long SEGMENT_BYTES = 64 * 1024;
  @TempDir
  Path dir;

  static String key(int n) {
    return "k" + n;
  }

  static String word(int n) {
    return "value of " + n;
  }

  static byte[] blob(int n) {
    byte[] b = new byte[1000 + n % 3000];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (n * 31 + i);
    }
    return b;
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void acknowledgedWritesSurviveKillNineAndReplayIntoMapsDeclaredAfterACheckpoint(Vertx vertx) throws Exception {
    Path file = dir.resolve("pop-pop-1.db");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-cp", System.getProperty("java.class.path"), JournalCrashChild.class.getName(), file.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Set<Integer> put = new HashSet<>();
    Set<Integer> removed = new HashSet<>();
    long started = System.nanoTime();
    long journalAtKill;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (true) {
        line = out.readLine();
        assertThat(line).as("child output (did it die?)").isNotNull();
        record(line, put, removed);
        // Past the first checkpoint (one second of writes), with journal records since it.
        if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(RoleStore.CHECKPOINT_MS * 2)
            && Journal.recordBytes(RoleStore.journalOf(file)) > 0) {
          break;
        }
      }
      // A real SIGKILL (Process.destroyForcibly would also close the pipe we still read).
      assertThat(new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor()).isZero();
      child.waitFor();
      // Acknowledgements already printed before the kill count too.
      while ((line = out.readLine()) != null) {
        record(line, put, removed);
      }
      journalAtKill = Journal.recordBytes(RoleStore.journalOf(file));
    }
    assertThat(BlockStore.folderOf(file).resolve("00000001.seg")).as("compacted away while the child wrote")
        .doesNotExist();
    assertThat(put.size()).isGreaterThan(50);
    assertThat(removed).isNotEmpty();
    assertThat(journalAtKill).as("journal bytes to replay").isPositive();

    RoleStore store = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    try {
      ConcurrentMap<String, String> words = store.write(db -> store.hashMap("words", Serializer.STRING,
          Serializer.STRING)).await();
      // A checkpoint before "blobs" is declared must keep its changes for it.
      store.checkpointNow().await();
      assertThat(Journal.recordBytes(RoleStore.journalOf(file))).isPositive();
      ConcurrentMap<String, byte[]> blobs = store.write(db -> store.treeMap("blobs", Serializer.STRING,
          Serializer.BYTE_ARRAY)).await();
      int last = java.util.Collections.max(put);
      for (int n : put) {
        if (removed.contains(n)) {
          assertThat(words).doesNotContainKey(key(n));
          assertThat(blobs).doesNotContainKey(key(n));
        } else if (n % 10 == 4 && n + 15 > last && words.get(key(n)) == null) {
          // Its removal (write n + 5) may have been made durable without its acknowledgement being seen.
          assertThat(blobs).doesNotContainKey(key(n));
        } else {
          assertThat(words.get(key(n))).as("word %d", n).isEqualTo(word(n));
          assertThat(blobs.get(key(n))).as("blob %d", n).isEqualTo(blob(n));
        }
      }
      BlockStore blocks = store.write(db -> new BlockStore(store, SEGMENT_BYTES)).await();
      int checked = 0;
      for (int n : put) {
        byte[] held = store.read(db -> blocks.getNow(key(n))).await();
        if (n % 10 == 0) {
          assertThat(held).as("block %d", n).isEqualTo(blob(n));
          checked++;
        } else if (removed.contains(n - n % 10 + 4)) {
          assertThat(held).as("block %d, removed", n).isNull();
        } else if (held != null) {
          assertThat(held).as("block %d (its removal unacknowledged)", n).isEqualTo(blob(n));
        }
      }
      assertThat(checked).isPositive();
      store.checkpointNow().await();
      assertThat(Journal.recordBytes(RoleStore.journalOf(file))).isZero();
    } finally {
      store.close().await();
    }
    int last = java.util.Collections.max(put);
    // Once more from MapDB alone (the journal is empty now).
    RoleStore again = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    try {
      ConcurrentMap<String, String> words = again.write(db -> again.hashMap("words", Serializer.STRING,
          Serializer.STRING)).await();
      for (int n : put) {
        if (removed.contains(n)) {
          assertThat(words).doesNotContainKey(key(n));
        } else if (n + 15 <= last || n % 10 != 4) {
          assertThat(words.get(key(n))).isEqualTo(word(n));
        }
      }
    } finally {
      again.close().await();
    }
  }

  private static void record(String line, Set<Integer> put, Set<Integer> removed) {
    if (line.startsWith("PUT ")) {
      put.add(Integer.parseInt(line.substring(4)));
    } else if (line.startsWith("DEL ")) {
      removed.add(Integer.parseInt(line.substring(4)));
    }
  }

  @Test
  void aTornLastRecordIsCutOffAndEarlierOnesReplay(Vertx vertx) throws Exception {
    Path file = dir.resolve("pop-pop-2.db");
    Path journal = RoleStore.journalOf(file);
    try (Journal j = Journal.open(journal)) {
      j.append(java.util.List.of(new Journal.Change("x", new byte[] {1}, new byte[] {2})));
      j.append(java.util.List.of(new Journal.Change("x", new byte[] {3}, null)));
    }
    long whole = Files.size(journal);
    byte[] bytes = Files.readAllBytes(journal);
    Files.write(journal, java.util.Arrays.copyOf(bytes, bytes.length - 2));
    java.util.List<Journal.Change> seen = new java.util.ArrayList<>();
    try (Journal j = Journal.open(journal)) {
      j.replay(seen::add);
      assertThat(j.size()).isLessThan(whole - 2);
    }
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).key()).containsExactly(1);
    assertThat(seen.get(0).value()).containsExactly(2);
  }

  @Test
  void aDamagedRecordBeforeIntactOnesIsToldAndTheFileKept() throws Exception {
    Path journal = dir.resolve("pop-pop-5.db.journal");
    try (Journal j = Journal.open(journal)) {
      appendChanges(j, 3);
    }
    byte[] bytes = Files.readAllBytes(journal);
    int recordBytes = (bytes.length - 12) / 3;
    bytes[12 + recordBytes + 10]++; // a bit of the second record's payload, as a failing disk would
    Files.write(journal, bytes);
    java.util.List<Journal.Change> seen = new java.util.ArrayList<>();
    try (Journal j = Journal.open(journal)) {
      j.replay(seen::add);
      assertThat(j.damageAtOpen()).hasValueSatisfying(why -> assertThat(why)
          .contains("record at byte " + (12 + recordBytes) + " fails its checksum")
          .contains(recordBytes + " bytes of later records (1 changes"));
    }
    assertThat(seen).extracting(c -> c.key()[0]).containsExactly((byte) 0);
    try (var kept = Files.list(dir)) {
      assertThat(kept.filter(p -> p.getFileName().toString().startsWith("pop-pop-5.db.journal.damaged-")))
          .singleElement().satisfies(p -> assertThat(Files.readAllBytes(p)).isEqualTo(bytes));
    }
    // A torn last record is a crash, not damage.
    Path torn = dir.resolve("pop-pop-6.db.journal");
    try (Journal j = Journal.open(torn)) {
      j.append(java.util.List.of(change(1, 1)));
      j.append(java.util.List.of(change(2, 2)));
    }
    byte[] tornBytes = Files.readAllBytes(torn);
    Files.write(torn, java.util.Arrays.copyOf(tornBytes, tornBytes.length - 3));
    try (Journal j = Journal.open(torn)) {
      assertThat(j.damageAtOpen()).isEmpty();
    }
  }

  /** Appends {@code count} records, record i changing key i to i. */
  private static void appendChanges(Journal j, int count) throws java.io.IOException {
    for (int i = 0; i < count; i++) {
      j.append(java.util.List.of(change(i, i)));
    }
  }

  private static Journal.Change change(int key, int value) {
    return new Journal.Change("x", new byte[] {(byte) key}, new byte[] {(byte) value});
  }

  @Test
  void afterACheckpointOnlyTheNewGenerationReplaysThoughOldRecordsStayInTheFile() throws Exception {
    Path journal = dir.resolve("pop-pop-3.db.journal");
    try (Journal j = Journal.open(journal)) {
      appendChanges(j, 5);
      long used = Files.size(journal);
      j.reset(Set.of());
      assertThat(j.size()).isZero();
      // Same length as the old records: the new one ends where an old one began.
      j.append(java.util.List.of(change(9, 9)));
      assertThat(Files.size(journal)).as("the file is reused, not cut").isEqualTo(used);
    }
    java.util.List<Journal.Change> seen = new java.util.ArrayList<>();
    try (Journal j = Journal.open(journal)) {
      j.replay(seen::add);
      j.append(java.util.List.of(change(10, 10)));
    }
    assertThat(seen).extracting(c -> c.key()[0]).containsExactly((byte) 9);
    seen.clear();
    try (Journal j = Journal.open(journal)) {
      j.replay(seen::add);
    }
    assertThat(seen).extracting(c -> c.key()[0]).containsExactly((byte) 9, (byte) 10);
  }

  @Test
  void aJournalOfTheEarlierFormatIsConvertedAtOpen() throws Exception {
    Path journal = dir.resolve("pop-pop-4.db.journal");
    // The earlier format: [length][payload][CRC-32C of payload] from the first byte, one change.
    java.nio.ByteBuffer payload = java.nio.ByteBuffer.allocate(4 + 2 + 1 + 4 + 1 + 4 + 1)
        .putInt(1).putShort((short) 1).put((byte) 'x').putInt(1).put((byte) 7).putInt(1).put((byte) 8);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(payload.array());
    Files.write(journal, java.nio.ByteBuffer.allocate(4 + payload.capacity() + 4).putInt(payload.capacity())
        .put(payload.array()).putInt((int) crc.getValue()).array());
    java.util.List<Journal.Change> seen = new java.util.ArrayList<>();
    try (Journal j = Journal.open(journal)) {
      j.replay(seen::add);
      j.append(java.util.List.of(change(1, 2)));
    }
    assertThat(seen).singleElement().satisfies(c -> {
      assertThat(c.map()).isEqualTo("x");
      assertThat(c.key()).containsExactly(7);
      assertThat(c.value()).containsExactly(8);
    });
    seen.clear();
    try (Journal j = Journal.open(journal)) {
      j.replay(seen::add);
    }
    assertThat(seen).extracting(c -> c.key()[0]).containsExactly((byte) 7, (byte) 1);
  }
}
