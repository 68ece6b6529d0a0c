import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * What a POP's MapDB checkpoint costs per 4 KiB write under three ways of laying out a version's
 * records, MapDB alone, set up as the stores set it up (transactions, memory-mapped file in 16 MiB
 * slices, 16-way hash index nodes over 4 levels). Run against the fat jar:
 *
 *   java -cp verticles/target/mistore.jar load-tests/bench/LayoutBench.java [OBJECTS] [PER_CHECKPOINT]
 *
 * Layouts, each in a fresh temporary file:
 * <ul>
 *   <li>{@code four-maps}: what a POP writes per version today: a head (id to number), a version
 *   record of 300 bytes in a record of its own, a block index entry of 24 bytes and a placement of
 *   12 bytes, each in its own hash map;
 *   <li>{@code one-hash}: the same bytes as one value per version ({@code <id>/<version>}) in one
 *   hash map (which would still need a head record of its own: an upper bound on what it saves);
 *   <li>{@code one-tree}: that value in a sorted map, where an object's versions sit together (its
 *   head is its last key) and the ids a POP mints rise, so creates append.
 * </ul>
 * Each layout first gets OBJECTS creates (default 250,000, about what the benchmark's warm-up
 * leaves), checkpointed every PER_CHECKPOINT (default 1,300, what a POP's 8 MiB journal holds under
 * 4 KiB creates); then five checkpoints of PER_CHECKPOINT creates each are timed, and five of as many
 * new versions of objects picked at random. Printed per layout and workload: the median commit, and
 * the bytes the process sent to the disk per write over those five ({@code /proc/self/io}, Linux).
 */
public class LayoutBench {
  private static final byte[] VERSION = new byte[300];
  private static final byte[] LOCATION = new byte[24];

  public static void main(String[] args) throws Exception {
    int objects = args.length > 0 ? count(args[0]) : 250_000;
    int perCheckpoint = args.length > 1 ? count(args[1]) : 1_300;
    for (String layout : List.of("four-maps", "one-hash", "one-tree")) {
      run(layout, objects, perCheckpoint);
    }
  }

  /** A positive whole number from the command line, or the usage and exit code 2. */
  private static int count(String arg) {
    try {
      int n = Integer.parseInt(arg);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // the usage below
    }
    System.err.println("usage: java -cp verticles/target/mistore.jar load-tests/bench/LayoutBench.java [OBJECTS] "
        + "[PER_CHECKPOINT] (positive whole numbers; got '" + arg + "')");
    System.exit(2);
    return 0;
  }

  /** Ids as a POP mints them: primary, backup, creating HG, then a rising counter. */
  private static String id(long n) {
    return "pop-1.pop-" + (2 + n % 2) + ".hg-1-1." + n;
  }

  /** Stores the records of version {@code version} of object {@code id}. */
  private interface Write {
    void put(String id, long version);
  }

  static void run(String layout, int objects, int perCheckpoint) throws Exception {
    Path dir = Files.createTempDirectory("layout-bench");
    File file = dir.resolve("bench.db").toFile();
    DB db = DBMaker.fileDB(file).transactionEnable().fileMmapEnable().cleanerHackEnable()
        .allocateIncrement(16L << 20).make();
    try {
      Write write = switch (layout) {
        case "four-maps" -> {
          Map<String, Long> heads = db.hashMap("heads", Serializer.STRING, Serializer.LONG).layout(8, 16, 4)
              .valueInline().createOrOpen();
          Map<String, byte[]> versions = db.hashMap("versions", Serializer.STRING, Serializer.BYTE_ARRAY)
              .layout(8, 16, 4).createOrOpen();
          Map<String, byte[]> index = db.hashMap("block-index", Serializer.STRING, Serializer.BYTE_ARRAY)
              .layout(8, 16, 4).valueInline().createOrOpen();
          Map<String, String> placements = db.hashMap("placements", Serializer.STRING, Serializer.STRING)
              .layout(8, 16, 4).valueInline().createOrOpen();
          yield (id, v) -> {
            String version = id + "/" + v;
            String block = version + "/0/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
            index.put(block, LOCATION);
            versions.put(version, VERSION);
            heads.put(id, v);
            placements.put(block, "hg-1-1");
          };
        }
        case "one-hash" -> {
          Map<String, byte[]> all = db.hashMap("objects", Serializer.STRING, Serializer.BYTE_ARRAY)
              .layout(8, 16, 4).createOrOpen();
          yield (id, v) -> all.put(id + "/" + v, combined(v));
        }
        case "one-tree" -> {
          Map<String, byte[]> all = db.treeMap("objects", Serializer.STRING, Serializer.BYTE_ARRAY)
              .valuesOutsideNodesEnable().createOrOpen();
          yield (id, v) -> all.put(id + "/" + v, combined(v));
        }
        default -> throw new IllegalArgumentException(layout);
      };
      long n = 0;
      while (n < objects) {
        for (int i = 0; i < perCheckpoint && n < objects; i++) {
          write.put(id(n++), 1);
        }
        db.commit();
      }
      long[] next = {n};
      time(layout, "creates", file, db, perCheckpoint, () -> write.put(id(next[0]++), 1));
      // New versions of objects picked at random among those created first (a version number each).
      java.util.Random random = new java.util.Random(42);
      int[] versions = new int[objects];
      time(layout, "PUTs", file, db, perCheckpoint, () -> {
        int picked = random.nextInt(objects);
        write.put(id(picked), 2 + versions[picked]++);
      });
    } finally {
      db.close();
      try (var files = Files.list(dir)) {
        files.forEach(f -> f.toFile().delete());
      }
      Files.delete(dir);
    }
  }

  /** Times five checkpoints of {@code perCheckpoint} writes each and prints the median and disk bytes. */
  private static void time(String layout, String what, File file, DB db, int perCheckpoint, Runnable write) {
    List<Double> commits = new ArrayList<>();
    long bytesBefore = writtenBytes();
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < perCheckpoint; i++) {
        write.run();
      }
      long start = System.nanoTime();
      db.commit();
      commits.add((System.nanoTime() - start) / 1e6);
    }
    long written = writtenBytes() - bytesBefore;
    commits.sort(null);
    System.out.printf("%-10s %-8s file %4d MiB  commit of %,d: median %6.1f ms (%.1f-%.1f)  disk %5.1f KB per write%n",
        layout, what, file.length() >> 20, perCheckpoint, commits.get(2), commits.get(0), commits.get(4),
        written < 0 ? Double.NaN : written / 1000.0 / (5.0 * perCheckpoint));
  }

  /** Version number, version record, block location and placement in one value. */
  private static byte[] combined(long version) {
    byte[] all = new byte[8 + VERSION.length + LOCATION.length + 12];
    java.nio.ByteBuffer.wrap(all).putLong(version);
    return all;
  }

  /** Bytes this process has caused to be sent to the disk so far, or -1 where that is not known. */
  private static long writtenBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
        if (line.startsWith("write_bytes:")) {
          return Long.parseLong(line.substring("write_bytes:".length()).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }
}
