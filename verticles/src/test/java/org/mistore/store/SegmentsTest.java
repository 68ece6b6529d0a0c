package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentsTest {
  @TempDir
  Path dir;

  @Test
  void recordsReadBackWhileSomeAreStillInMemoryAndTheFilesHoldThemAllAfterAForce() throws Exception {
    Path folder = dir.resolve("blocks");
    Segments segments = Segments.open(folder, 1 << 20);
    Random random = new Random(3);
    List<Segments.Location> where = new ArrayList<>();
    List<byte[]> written = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < 400; i++) {
      // Mostly small records (gathered in memory, written a page at a time), some large ones (written at once).
      byte[] data = new byte[i % 50 == 49 ? 100_000 : 1 + random.nextInt(9000)];
      random.nextBytes(data);
      Segments.Appended appended = segments.append("k" + i, data, true);
      where.add(appended.at());
      written.add(data);
      total += appended.record() != null ? appended.record().length : 0;
      // The newest record, and one from before, read back wherever their bytes are now.
      assertThat(segments.read(appended.at())).as("record %d", i).isEqualTo(data);
      int earlier = random.nextInt(i + 1);
      assertThat(segments.read(where.get(earlier))).as("record %d after %d", earlier, i).isEqualTo(written.get(earlier));
    }
    assertThat(segments.sealed()).as("the records filled more than one file").isNotEmpty();
    segments.force(true);
    long onDisk;
    try (var files = Files.list(folder)) {
      onDisk = files.mapToLong(p -> p.toFile().length()).sum();
    }
    assertThat(onDisk).as("every record is in its file").isEqualTo(total);
    for (int i = 0; i < where.size(); i++) {
      assertThat(segments.read(where.get(i))).as("record %d", i).isEqualTo(written.get(i));
    }
    segments.close();
  }

  @Test
  void largeRecordsOfSealedFilesAreReadThroughTheMappingAndADeletedFileIsNoLongerRead() throws Exception {
    Path folder = dir.resolve("blocks");
    Segments segments = Segments.open(folder, 1 << 20);
    Random random = new Random(5);
    List<Segments.Location> where = new ArrayList<>();
    List<byte[]> written = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] data = new byte[i % 3 == 0 ? 1000 : Segments.MAPPED_READ_BYTES + random.nextInt(200_000)];
      random.nextBytes(data);
      where.add(segments.append("k" + i, data, false).at());
      written.add(data);
    }
    int current = segments.current();
    assertThat(segments.sealed()).as("the records filled more than one file").isNotEmpty();
    for (int i = 0; i < where.size(); i++) {
      Segments.Location at = where.get(i);
      java.nio.ByteBuffer view = segments.view(at);
      byte[] bytes = new byte[view.remaining()];
      view.duplicate().get(bytes);
      assertThat(bytes).as("record %d", i).isEqualTo(written.get(i));
      boolean mapped = at.segment() != current && at.length() >= Segments.MAPPED_READ_BYTES;
      // A mapped view is the page cache itself; the rest (small, or in the file still appended to) a heap copy.
      assertThat(view.isDirect()).as("record %d in file %d (current %d)", i, at.segment(), current).isEqualTo(mapped);
    }
    Segments.Location first = where.get(1);
    segments.view(first);
    segments.delete(first.segment());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> segments.view(first)).isInstanceOf(Segments.Moved.class);
    segments.close();

    // After a restart every file is sealed: large records come through the mapping at once.
    Segments reopened = Segments.open(folder, 1 << 20);
    Segments.Location last = where.get(where.size() - 1);
    assertThat(reopened.view(last).isDirect()).isTrue();
    assertThat(reopened.read(last)).isEqualTo(written.get(where.size() - 1));
    reopened.close();
  }
}
