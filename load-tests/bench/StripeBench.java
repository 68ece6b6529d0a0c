import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GET of objects served from HG blocks, by stripe width (JDK only, run with `java StripeBench.java`).
 *
 *   java load-tests/bench/StripeBench.java URL REGIONS SIZE_BYTES READS K...
 *
 * Against a cluster whose POPs drop their own block copies and cache nothing (pop-keeps-blocks=false,
 * pop-cache-bytes=0, hg-cache-bytes=0): for each K, creates an object with Mistore-Stripes: K through
 * gateway hg-1-1, waits until the region's POP has placed it and dropped its copy, then reads it READS
 * times through gateway hg-1-2 (checking every byte) and prints the median time and MB/s. REGIONS
 * (comma-separated) are the regions whose placement must be finished before reading.
 */
public class StripeBench {
  static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: java StripeBench.java URL REGIONS SIZE_BYTES READS K...");
      System.exit(2);
    }
    String base = args[0];
    String region = args[1];
    int size = Integer.parseInt(args[2]);
    int reads = Integer.parseInt(args[3]);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] body = new byte[size];
    new Random(size).nextBytes(body);
    System.out.printf("%-4s %10s %12s %10s %10s%n", "k", "size", "median ms", "MB/s", "source");
    for (int a = 4; a < args.length; a++) {
      int k = Integer.parseInt(args[a]);
      HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/objects"))
          .header("Mistore-Gateway", "hg-1-1").header("Mistore-Stripes", Integer.toString(k))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() != 201) {
        throw new IllegalStateException("create answered " + created.statusCode() + ": " + created.body());
      }
      Matcher m = ID.matcher(created.body());
      m.find();
      String id = m.group(1);
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (true) {
        StringBuilder view = new StringBuilder();
        boolean settled = true;
        for (String r : region.split(",")) {
          String one = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/regions/" + r)).build(),
              HttpResponse.BodyHandlers.ofString()).body();
          settled &= one.contains("\"pendingVersions\":0") && one.contains("\"underReplicatedBlocks\":0");
          view.append(one);
        }
        String source = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/objects/" + id))
                .header("Mistore-Gateway", "hg-1-2").header("Range", "bytes=" + (size - 1) + "-" + (size - 1)).build(),
            HttpResponse.BodyHandlers.discarding()).headers().firstValue("Mistore-Source").orElse("");
        if (settled && source.equals("hg-blocks")) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("object " + id + " not placed in time: " + view);
        }
        Thread.sleep(200);
      }
      long[] ms = new long[reads];
      String source = "";
      for (int i = 0; i < reads; i++) {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/objects/" + id))
            .header("Mistore-Gateway", "hg-1-2").timeout(Duration.ofMinutes(2)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        ms[i] = (System.nanoTime() - t0) / 1_000_000;
        if (got.statusCode() != 200 || !Arrays.equals(got.body(), body)) {
          throw new IllegalStateException("read " + i + " of k=" + k + " answered " + got.statusCode()
              + " or wrong bytes");
        }
        source = got.headers().firstValue("Mistore-Source").orElse("");
      }
      long[] sorted = ms.clone();
      Arrays.sort(sorted);
      double median = sorted[reads / 2] == 0 ? 0.5 : sorted[reads / 2];
      System.out.printf("%-4d %10d %12d %10.1f %10s%n", k, size, sorted[reads / 2], size / 1e3 / median, source);
    }
  }
}
