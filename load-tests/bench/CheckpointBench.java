import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

/**
 * The cost of a MapDB checkpoint as the store file grows, by the size of the slices MapDB maps it in
 * (the stores' settings: transactions, memory-mapped file). Run against the fat jar:
 *
 *   java -cp verticles/target/mistore.jar load-tests/bench/CheckpointBench.java [SLICE_MIB...]
 *
 * For each slice size (default 1 and 16), in a temporary folder: puts 100,000 entries of 900 bytes
 * and commits, six times, and after each round times five commits of one small change each. A
 * commit forces every slice of the file to disk, dirty or not, so with small slices its cost grows
 * with the file.
 */
public class CheckpointBench {
  public static void main(String[] args) throws Exception {
    String[] sizes = args.length > 0 ? args : new String[] {"1", "16"};
    for (String size : sizes) {
      if (!size.matches("[1-9][0-9]{0,3}")) {
        System.err.println("usage: java -cp verticles/target/mistore.jar load-tests/bench/CheckpointBench.java "
            + "[SLICE_MIB...] (whole numbers of MiB, 1 to 9999; got '" + size + "')");
        System.exit(2);
      }
      run(Long.parseLong(size) << 20);
    }
  }

  static void run(long sliceBytes) throws Exception {
    Path dir = Files.createTempDirectory("checkpoint-bench");
    File file = dir.resolve("bench.db").toFile();
    DB db = DBMaker.fileDB(file).transactionEnable().fileMmapEnable().cleanerHackEnable()
        .allocateIncrement(sliceBytes).make();
    try {
      HTreeMap<String, byte[]> map = db.hashMap("m", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
      byte[] value = new byte[900];
      int n = 0;
      for (int round = 1; round <= 6; round++) {
        for (int i = 0; i < 100_000; i++) {
          map.put("k" + n++, value);
        }
        db.commit();
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
          map.put("small-" + round + "-" + i, value);
          db.commit();
        }
        System.out.printf("slices %3d MiB  file %4d MiB  one small commit %6.1f ms%n", sliceBytes >> 20,
            file.length() >> 20, (System.nanoTime() - start) / 5e6);
      }
    } finally {
      db.close();
      try (var files = Files.list(dir)) {
        files.forEach(f -> f.toFile().delete());
      }
      Files.delete(dir);
    }
  }
}
