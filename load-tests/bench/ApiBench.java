import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small closed-loop benchmark of the Mistore HTTP API (JDK only, run with `java ApiBench.java`).
 *
 *   java load-tests/bench/ApiBench.java URL SCENARIO CLIENTS SECONDS
 *
 * SCENARIO: lock (acquire+release of a write lock, each client on its own object), create, put, get
 * (4 KiB bodies). Prints operations per second and p50/p99 latency of one operation.
 */
public class ApiBench {
  static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
  static final Pattern TOKEN = Pattern.compile("\"token\":\"([^\"]+)\"");

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: java ApiBench.java URL lock|create|put|get CLIENTS SECONDS");
      System.exit(2);
    }
    String base = args[0];
    String scenario = args[1];
    int clients = Integer.parseInt(args[2]);
    long seconds = Long.parseLong(args[3]);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .executor(Executors.newFixedThreadPool(4)).build();
    byte[] body = new byte[4096];
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<long[]>> results = new ArrayList<>();
    long warmupEnd = System.nanoTime() + 2_000_000_000L;
    long end = warmupEnd + seconds * 1_000_000_000L;
    for (int c = 0; c < clients; c++) {
      results.add(pool.submit(() -> {
        String id = match(ID, send(http, HttpRequest.newBuilder(URI.create(base + "/v1/objects"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), 201));
        long[] lat = new long[1 << 20];
        int n = 0;
        while (System.nanoTime() < end) {
          long t0 = System.nanoTime();
          switch (scenario) {
            case "lock" -> {
              String token = match(TOKEN, send(http, HttpRequest.newBuilder(URI.create(base + "/v1/objects/" + id
                  + "/locks")).POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"write\"}")).build(), 201));
              send(http, HttpRequest.newBuilder(URI.create(base + "/v1/locks/" + token)).DELETE().build(), 204);
            }
            case "create" -> send(http, HttpRequest.newBuilder(URI.create(base + "/v1/objects"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), 201);
            case "put" -> send(http, HttpRequest.newBuilder(URI.create(base + "/v1/objects/" + id))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), 200);
            case "get" -> send(http, HttpRequest.newBuilder(URI.create(base + "/v1/objects/" + id)).GET().build(), 200);
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
          }
          long t1 = System.nanoTime();
          if (t0 >= warmupEnd && n < lat.length) {
            lat[n++] = t1 - t0;
          }
        }
        return Arrays.copyOf(lat, n);
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<long[]> f : results) {
      for (long l : f.get()) {
        all.add(l);
      }
    }
    pool.shutdown();
    all.sort(null);
    System.out.printf("%s clients=%d: %.0f ops/s, p50 %.2f ms, p99 %.2f ms (%d ops in %d s)%n", scenario, clients,
        all.size() / (double) seconds, all.get(all.size() / 2) / 1e6, all.get((int) (all.size() * 0.99)) / 1e6,
        all.size(), seconds);
    System.exit(0);
  }

  static String send(HttpClient http, HttpRequest request, int expected) throws Exception {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(request.method() + " " + request.uri() + " -> " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  static String match(Pattern p, String text) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no " + p + " in " + text);
    }
    return m.group(1);
  }
}
