package org.mistore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mistore.testing.DevClusterTestBase;

/** The object API through a dev cluster of 3 regions: the contract of API.md, end to end. */
class ObjectApiTest extends DevClusterTestBase {
  private void start(JsonObject overrides) {
    start(3, 2, overrides.put("block-size", 65536));
  }

  private static byte[] bytes(int size, int seed) {
    byte[] b = new byte[size];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }

  private HttpResponse<byte[]> getBytes(String path, String... headers) {
    HttpRequest.Builder b = dev.request(path).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return java.net.http.HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private HttpResponse<String> putBytes(String path, byte[] body, String... headers) {
    HttpRequest.Builder b = dev.request(path).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return dev.send(b);
  }

  @Test
  void createThenReadBackThroughAnotherRegionWithHeaders() {
    start(new JsonObject());
    byte[] content = bytes(200_000, 1);
    HttpResponse<String> created = dev.send(dev.request("/v1/objects")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content)).header("Content-Type", "image/png")
        .header("Mistore-Gateway", "hg-1-1"));
    assertThat(created.statusCode()).isEqualTo(201);
    JsonObject body = new JsonObject(created.body());
    String id = body.getString("id");
    assertThat(body.getLong("version")).isEqualTo(1);
    assertThat(body.getLong("size")).isEqualTo(200_000);
    assertThat(created.headers().firstValue("Location")).hasValue("/v1/objects/" + id);

    HttpResponse<byte[]> read = getBytes("/v1/objects/" + id, "Mistore-Gateway", "hg-3-2");
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(content);
    assertThat(read.headers().firstValue("Mistore-Version")).hasValue("1");
    assertThat(read.headers().firstValue("ETag")).hasValue("\"" + id + ".1\"");
    assertThat(read.headers().firstValue("Content-Type")).hasValue("image/png");
    assertThat(read.headers().firstValue("Mistore-Source")).hasValue("primary");

    HttpResponse<String> head = dev.send(dev.request("/v1/objects/" + id).method("HEAD",
        HttpRequest.BodyPublishers.noBody()));
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("200000");
    assertThat(head.body()).isEmpty();
  }

  @Test
  void atomicReadInAnotherRegionNeverReturnsOlderThanAnAcknowledgedWrite() {
    start(new JsonObject());
    String id = dev.create("v1", "hg-1-1");
    for (int v = 2; v <= 12; v++) {
      HttpResponse<String> put = dev.put("/v1/objects/" + id, "v" + v, "Mistore-Gateway", "hg-" + (v % 3 + 1) + "-1");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      long acked = new JsonObject(put.body()).getLong("version");
      HttpResponse<String> read = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-" + ((v + 1) % 3 + 1) + "-2");
      assertThat(Long.parseLong(read.headers().firstValue("Mistore-Version").orElseThrow())).isGreaterThanOrEqualTo(acked);
      assertThat(read.body()).isEqualTo("v" + acked);
    }
  }

  @Test
  void exactVersionsStayReadableAndMonotonicHonoursTheMinimum() {
    start(new JsonObject());
    String id = dev.create("one", "hg-1-1");
    dev.put("/v1/objects/" + id, "two");
    dev.put("/v1/objects/" + id, "three");
    assertThat(dev.get("/v1/objects/" + id + "?version=1").body()).isEqualTo("one");
    assertThat(dev.get("/v1/objects/" + id + "?version=2").body()).isEqualTo("two");
    // A version the object lacks is a 404 that still names the current version, as every object answer does.
    HttpResponse<String> missing = dev.get("/v1/objects/" + id + "?version=9");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Mistore-Version")).as(missing.body()).contains("3");
    assertThat(missing.headers().firstValue("ETag")).contains("\"" + id + ".3\"");
    assertThat(missing.body()).contains("has no version 9");
    HttpResponse<String> mono = dev.get("/v1/objects/" + id + "?consistency=monotonic", "Mistore-Min-Version", "3");
    assertThat(mono.statusCode()).isEqualTo(200);
    assertThat(mono.body()).isEqualTo("three");
    HttpResponse<String> exclusive = dev.get("/v1/objects/" + id + "?consistency=rw-exclusive");
    assertThat(exclusive.body()).isEqualTo("three");
    // Mistore-Min-Version is a monotonic read's: an atomic or rw-exclusive read gives the head whatever it says.
    for (String mode : new String[] {"atomic", "rw-exclusive"}) {
      HttpResponse<String> ignoring = dev.get("/v1/objects/" + id + "?consistency=" + mode, "Mistore-Min-Version", "9");
      assertThat(ignoring.statusCode()).as(mode + ": " + ignoring.body()).isEqualTo(200);
      assertThat(ignoring.body()).isEqualTo("three");
    }
    JsonArray versions = new JsonArray(dev.get("/v1/objects/" + id + "/versions").body());
    assertThat(versions).hasSize(3);
    assertThat(versions.getJsonObject(0).getLong("version")).isEqualTo(1);
    assertThat(versions.getJsonObject(2).getLong("size")).isEqualTo(5);
    assertThat(versions.getJsonObject(2).fieldNames()).contains("version", "size", "sha256", "createdAt", "deleted");
  }

  @Test
  void theVersionCacheServesExactAndMonotonicReadsButAtomicReadsAskThePrimary() {
    start(new JsonObject());
    byte[] content = bytes(150_000, 11);
    String id = new JsonObject(dev.send(dev.request("/v1/objects").header("Mistore-Gateway", "hg-2-1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content))).body()).getString("id");
    assertThat(dev.put("/v1/objects/" + id, "two", "Mistore-Gateway", "hg-3-1").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> cold = getBytes("/v1/objects/" + id + "?version=1", "Mistore-Gateway", "hg-1-1");
    assertThat(cold.headers().firstValue("Mistore-Source")).hasValue("primary");
    HttpResponse<byte[]> warm = getBytes("/v1/objects/" + id + "?version=1", "Mistore-Gateway", "hg-1-1");
    assertThat(warm.headers().firstValue("Mistore-Source")).hasValue("hg-cache");
    assertThat(warm.body()).isEqualTo(content);
    HttpResponse<byte[]> again = getBytes("/v1/objects/" + id + "?version=1", "Mistore-Gateway", "hg-1-1",
        "Range", "bytes=100-199");
    assertThat(again.body()).isEqualTo(java.util.Arrays.copyOfRange(content, 100, 200));

    HttpResponse<String> monotonicCold = dev.get("/v1/objects/" + id + "?consistency=monotonic",
        "Mistore-Gateway", "hg-1-1", "Mistore-Min-Version", "2");
    assertThat(monotonicCold.headers().firstValue("Mistore-Source")).hasValue("primary");
    HttpResponse<String> monotonicWarm = dev.get("/v1/objects/" + id + "?consistency=monotonic",
        "Mistore-Gateway", "hg-1-1", "Mistore-Min-Version", "2");
    assertThat(monotonicWarm.headers().firstValue("Mistore-Source")).hasValue("hg-cache");
    assertThat(monotonicWarm.body()).isEqualTo("two");

    assertThat(dev.put("/v1/objects/" + id, "three", "Mistore-Gateway", "hg-3-1").statusCode()).isEqualTo(200);
    HttpResponse<String> atomic = dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1");
    assertThat(atomic.headers().firstValue("Mistore-Source")).hasValue("primary");
    assertThat(atomic.body()).as("an atomic read is never served stale from a cache").isEqualTo("three");
    HttpResponse<String> monotonicNewer = dev.get("/v1/objects/" + id + "?consistency=monotonic",
        "Mistore-Gateway", "hg-1-1", "Mistore-Min-Version", "3");
    assertThat(monotonicNewer.body()).isEqualTo("three");
  }

  @Test
  void thePopTransitCacheServesAnotherHgOfTheRegion() {
    start(new JsonObject());
    byte[] content = bytes(150_000, 12);
    String id = new JsonObject(dev.send(dev.request("/v1/objects").header("Mistore-Gateway", "hg-3-1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content))).body()).getString("id");
    HttpResponse<byte[]> first = getBytes("/v1/objects/" + id + "?version=1", "Mistore-Gateway", "hg-2-1");
    assertThat(first.headers().firstValue("Mistore-Source")).hasValue("primary");
    HttpResponse<byte[]> neighbour = getBytes("/v1/objects/" + id + "?version=1", "Mistore-Gateway", "hg-2-2");
    assertThat(neighbour.headers().firstValue("Mistore-Source")).hasValue("pop-cache");
    assertThat(neighbour.body()).isEqualTo(content);
    HttpResponse<String> monotonic = dev.get("/v1/objects/" + id + "?consistency=monotonic", "Mistore-Gateway", "hg-3-2");
    assertThat(monotonic.headers().firstValue("Mistore-Source")).as("the writer's POP saw the commit pass")
        .hasValue("pop-cache");
    HttpResponse<String> tooNew = dev.get("/v1/objects/" + id + "?consistency=monotonic", "Mistore-Gateway", "hg-2-2",
        "Mistore-Min-Version", "2");
    assertThat(tooNew.statusCode()).as("no copy has version 2").isEqualTo(503);
    assertThat(tooNew.headers().firstValue("Mistore-Version")).as("the newest version found").hasValue("1");
  }

  @Test
  void withTheCachesOffNoAnswerSaysItCameFromACache() {
    start(new JsonObject().put("pop-cache-bytes", 0).put("hg-cache-bytes", 0));
    byte[] content = bytes(150_000, 13);
    String id = new JsonObject(dev.send(dev.request("/v1/objects").header("Mistore-Gateway", "hg-3-1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content))).body()).getString("id");
    for (String gateway : List.of("hg-2-1", "hg-2-2", "hg-2-1", "hg-3-2", "hg-3-1")) {
      for (String query : List.of("?version=1", "?consistency=monotonic", "")) {
        HttpResponse<byte[]> read = getBytes("/v1/objects/" + id + query, "Mistore-Gateway", gateway);
        assertThat(read.body()).isEqualTo(content);
        assertThat(read.headers().firstValue("Mistore-Source")).as(gateway + query).get()
            .isNotIn("pop-cache", "hg-cache");
      }
    }
  }

  @Test
  void concurrentWritersFromAllRegionsGetContiguousVersionsWithNoLostUpdate() throws Exception {
    start(new JsonObject());
    String id = dev.create("0", "hg-1-1");
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<List<Long>>> writers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      String gateway = "hg-" + (w % 3 + 1) + "-" + (w % 2 + 1);
      int writer = w;
      writers.add(pool.submit(() -> {
        List<Long> acked = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          HttpResponse<String> r = dev.put("/v1/objects/" + id, "w" + writer + "-" + i, "Mistore-Gateway", gateway,
              "Mistore-Lock-Wait", "20000");
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          acked.add(new JsonObject(r.body()).getLong("version"));
        }
        return acked;
      }));
    }
    Set<Long> all = new HashSet<>();
    for (Future<List<Long>> f : writers) {
      for (long v : f.get(120, TimeUnit.SECONDS)) {
        assertThat(all.add(v)).as("version %d acknowledged twice", v).isTrue();
      }
    }
    pool.shutdown();
    JsonArray versions = new JsonArray(dev.get("/v1/objects/" + id + "/versions").body());
    assertThat(versions).hasSize(31);
    for (int i = 0; i < versions.size(); i++) {
      assertThat(versions.getJsonObject(i).getLong("version")).isEqualTo(i + 1);
    }
    assertThat(all).hasSize(30).allMatch(v -> v >= 2 && v <= 31);
  }

  @Test
  void preconditionsLocksAndDeletion() {
    start(new JsonObject());
    String id = dev.create("a", "hg-2-1");
    assertThat(dev.put("/v1/objects/" + id, "b", "If-Match", "\"" + id + ".1\"").statusCode()).isEqualTo(200);
    HttpResponse<String> stale = dev.put("/v1/objects/" + id, "c", "If-Match", "1");
    assertThat(stale.statusCode()).isEqualTo(412);
    // It names the current version, which a read-modify-write client redoes from.
    assertThat(stale.headers().firstValue("Mistore-Version")).hasValue("2");
    assertThat(stale.headers().firstValue("ETag")).hasValue("\"" + id + ".2\"");
    assertThat(new JsonObject(stale.body()).getString("detail")).isEqualTo("If-Match names version 1, current is 2");
    assertThat(dev.put("/v1/objects/" + id, "c", "If-Match", "\"other.x.y.1.2\"").statusCode()).isEqualTo(412);
    assertThat(dev.put("/v1/objects/" + id, "c", "If-Match", "abc").statusCode()).isEqualTo(400);
    // Strong comparison: a weak tag never matches; a list matches when one of its tags does; * matches any.
    HttpResponse<String> weak = dev.put("/v1/objects/" + id, "c", "If-Match", "W/\"" + id + ".2\"");
    assertThat(weak.statusCode()).isEqualTo(412);
    // Like every 412, it names the current version.
    assertThat(weak.headers().firstValue("Mistore-Version")).hasValue("2");
    assertThat(weak.headers().firstValue("ETag")).hasValue("\"" + id + ".2\"");
    assertThat(new JsonObject(weak.body()).getString("detail"))
        .isEqualTo("If-Match names only weak entity tags, which never match");
    assertThat(dev.put("/v1/objects/" + id, "b2", "If-Match", "\"other.x.y.1.2\", \"" + id + ".2\"").statusCode())
        .isEqualTo(200);
    assertThat(dev.put("/v1/objects/" + id, "b", "If-Match", "*").statusCode()).isEqualTo(200);
    // If-Match: * holds for a current version, never for a deletion: through the primary's own lock
    // (inline) and under a client's lock alike.
    String starGone = dev.create("soon deleted", "hg-1-1");
    assertThat(dev.put("/v1/objects/" + starGone, "x", "If-Match", "*").statusCode()).isEqualTo(200);
    assertThat(dev.delete("/v1/objects/" + starGone).statusCode()).isEqualTo(200);
    // Deleting it again writes nothing: the answer is the deletion that is there (version 3).
    HttpResponse<String> again = dev.delete("/v1/objects/" + starGone);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(again.body()).getLong("version")).isEqualTo(3);
    assertThat(again.headers().firstValue("Mistore-Version")).hasValue("3");
    assertThat(new JsonArray(dev.get("/v1/objects/" + starGone + "/versions").body())).hasSize(3);
    HttpResponse<String> starDeleted = dev.put("/v1/objects/" + starGone, "back", "If-Match", "*");
    assertThat(starDeleted.statusCode()).as(starDeleted.body()).isEqualTo(412);
    assertThat(starDeleted.headers().firstValue("Mistore-Version")).hasValue("3");
    String starLock = new JsonObject(dev.lock(starGone, "write", 5000, 0, "hg-1-1").body()).getString("token");
    assertThat(dev.put("/v1/objects/" + starGone, "back", "If-Match", "*", "Mistore-Lock", starLock).statusCode())
        .isEqualTo(412);
    HttpResponse<String> lockedAgain = dev.delete("/v1/objects/" + starGone, "Mistore-Lock", starLock);
    assertThat(lockedAgain.statusCode()).as(lockedAgain.body()).isEqualTo(200);
    assertThat(new JsonObject(lockedAgain.body()).getLong("version")).isEqualTo(3);
    assertThat(dev.put("/v1/objects/" + starGone, "back", "Mistore-Lock", starLock).statusCode()).isEqualTo(200);
    assertThat(dev.put("/v1/objects/" + starGone, "again", "If-Match", "*", "Mistore-Lock", starLock).statusCode())
        .isEqualTo(200);
    // An entity tag matches character by character: version 4 is never spelt "04".
    assertThat(dev.put("/v1/objects/" + id, "b4", "If-Match", "\"" + id + ".04\"").statusCode()).isEqualTo(412);
    // Repeated headers are one list: the second names the current version (4).
    assertThat(dev.put("/v1/objects/" + id, "b4", "If-Match", "\"other.x.y.1.2\"", "If-Match", "4").statusCode())
        .isEqualTo(200);

    JsonObject lock = new JsonObject(dev.lock(id, "write", 5000, 0, "hg-1-1").body());
    // Refusals name the object's current version too, as every object answer does.
    for (HttpResponse<String> refused : List.of(dev.put("/v1/objects/" + id, "c", "Mistore-Lock-Wait", "0"),
        dev.delete("/v1/objects/" + id, "Mistore-Lock-Wait", "0"),
        dev.get("/v1/objects/" + id + "?consistency=rw-exclusive", "Mistore-Lock-Wait", "0"),
        dev.put("/v1/objects/" + id, "c", "Mistore-Lock", lock.getString("token") + "x"))) {
      assertThat(refused.statusCode()).as(refused.body()).isIn(409, 423);
      assertThat(refused.headers().firstValue("Mistore-Version")).as(refused.body()).hasValue("5");
      assertThat(refused.headers().firstValue("ETag")).hasValue("\"" + id + ".5\"");
    }
    HttpResponse<String> underLock = dev.put("/v1/objects/" + id, "c", "Mistore-Lock", lock.getString("token"));
    assertThat(underLock.statusCode()).isEqualTo(200);
    // Another reader's rw-exclusive read waits for its read lock no longer than it asked.
    long asked = System.nanoTime();
    assertThat(dev.get("/v1/objects/" + id + "?consistency=rw-exclusive", "Mistore-Lock-Wait", "0").statusCode())
        .isEqualTo(423);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked)).as("not the default wait of 5 s")
        .isLessThan(4000);
    // The write lock's holder reads its own write exclusively (not the version the lock began on).
    HttpResponse<String> ownWrite = dev.get("/v1/objects/" + id + "?consistency=rw-exclusive", "Mistore-Lock",
        lock.getString("token"));
    assertThat(ownWrite.body()).isEqualTo("c");
    assertThat(ownWrite.headers().firstValue("Mistore-Version")).hasValue("6");
    assertThat(dev.put("/v1/objects/" + id, "d", "Mistore-Lock", lock.getString("token") + "x").statusCode())
        .isEqualTo(409);
    JsonObject read = new JsonObject(dev.lock(id, "read", 5000, 0, "hg-1-1").body());
    dev.delete("/v1/locks/" + lock.getString("token"));
    read = new JsonObject(dev.lock(id, "read", 5000, 0, "hg-1-1").body());
    assertThat(dev.put("/v1/objects/" + id, "d", "Mistore-Lock", read.getString("token")).statusCode()).isEqualTo(409);
    dev.delete("/v1/locks/" + read.getString("token"));

    HttpResponse<String> deleted = dev.delete("/v1/objects/" + id);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(deleted.body()).getLong("version")).isEqualTo(7);
    HttpResponse<String> gone = dev.get("/v1/objects/" + id);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(gone.headers().firstValue("Mistore-Version")).hasValue("7");
    assertThat(gone.headers().firstValue("Mistore-Source")).as("an error carries no body source").isEmpty();
    assertThat(dev.get("/v1/objects/" + id + "?version=6").body()).isEqualTo("c");
    HttpResponse<String> listed = dev.get("/v1/objects/" + id + "/versions");
    JsonArray versions = new JsonArray(listed.body());
    assertThat(versions.getJsonObject(6).getBoolean("deleted")).isTrue();
    assertThat(listed.headers().firstValue("Mistore-Version")).hasValue("7");
    assertThat(listed.headers().firstValue("ETag")).hasValue("\"" + id + ".7\"");
  }

  @Test
  void bodiesAroundOneBlockAreStoredWhole() {
    start(new JsonObject());
    String id = dev.create("a", "hg-1-1");
    for (int size : new int[] {65535, 65536, 65537, 0}) {
      byte[] body = bytes(size, size);
      HttpResponse<String> w = putBytes("/v1/objects/" + id, body, "Mistore-Gateway", "hg-2-1");
      assertThat(w.statusCode()).as("PUT of %d bytes: %s", size, w.body()).isEqualTo(200);
      assertThat(new JsonObject(w.body()).getLong("size")).isEqualTo(size);
      assertThat(getBytes("/v1/objects/" + id, "Mistore-Gateway", "hg-3-1").body()).isEqualTo(body);
    }
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(5);
  }

  @Test
  void rangesGive206AndUnsatisfiableRangesGive416() {
    start(new JsonObject());
    byte[] content = bytes(150_000, 7);
    String id = new JsonObject(dev.send(dev.request("/v1/objects")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content))).body()).getString("id");
    HttpResponse<byte[]> middle = getBytes("/v1/objects/" + id, "Range", "bytes=65530-131080");
    assertThat(middle.statusCode()).isEqualTo(206);
    assertThat(middle.body()).isEqualTo(java.util.Arrays.copyOfRange(content, 65530, 131081));
    assertThat(middle.headers().firstValue("Content-Range")).hasValue("bytes 65530-131080/150000");
    assertThat(getBytes("/v1/objects/" + id, "Range", "bytes=-10").body())
        .isEqualTo(java.util.Arrays.copyOfRange(content, 149_990, 150_000));
    assertThat(getBytes("/v1/objects/" + id, "Range", "bytes=149999-").body()).hasSize(1);
    HttpResponse<byte[]> beyond = getBytes("/v1/objects/" + id, "Range", "bytes=150000-");
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */150000");
    assertThat(beyond.headers().firstValue("Mistore-Source")).as("no bytes came from anywhere").isEmpty();
    assertThat(getBytes("/v1/objects/" + id, "Range", "bytes=-0").statusCode()).isEqualTo(416);
    // Numbers past what a long holds are still numbers: an end is clamped, a start is past the end.
    HttpResponse<byte[]> huge = getBytes("/v1/objects/" + id, "Range", "bytes=149990-99999999999999999999999");
    assertThat(huge.statusCode()).isEqualTo(206);
    assertThat(huge.headers().firstValue("Content-Range")).hasValue("bytes 149990-149999/150000");
    assertThat(getBytes("/v1/objects/" + id, "Range", "bytes=-99999999999999999999999").body()).isEqualTo(content);
    assertThat(getBytes("/v1/objects/" + id, "Range", "bytes=99999999999999999999999-").statusCode()).isEqualTo(416);
    // A Range that is not one well-formed bytes range is ignored (RFC 9110): the whole content.
    for (String ignored : new String[] {"lines=1-2", "bytes=5-2", "bytes=abc", "bytes=0-1,5-6"}) {
      HttpResponse<byte[]> whole = getBytes("/v1/objects/" + id, "Range", ignored);
      assertThat(whole.statusCode()).as(ignored).isEqualTo(200);
      assertThat(whole.body()).as(ignored).isEqualTo(content);
    }
    // Resuming with If-Range: the range holds only for the version the client's first bytes came from.
    String etag = "\"" + id + ".1\"";
    HttpResponse<byte[]> resumed = getBytes("/v1/objects/" + id, "Range", "bytes=149990-", "If-Range", etag);
    assertThat(resumed.statusCode()).isEqualTo(206);
    assertThat(resumed.body()).isEqualTo(java.util.Arrays.copyOfRange(content, 149_990, 150_000));
    byte[] second = bytes(20, 9);
    assertThat(dev.send(dev.request("/v1/objects/" + id).PUT(HttpRequest.BodyPublishers.ofByteArray(second)))
        .statusCode()).isEqualTo(200);
    for (String validator : new String[] {etag, "W/\"" + id + ".2\"", "Wed, 25 Nov 2026 10:00:00 GMT"}) {
      HttpResponse<byte[]> changed = getBytes("/v1/objects/" + id, "Range", "bytes=10-", "If-Range", validator);
      assertThat(changed.statusCode()).as(validator).isEqualTo(200);
      assertThat(changed.body()).as(validator).isEqualTo(second);
    }
    assertThat(getBytes("/v1/objects/" + id, "Range", "bytes=10-", "If-Range", "\"" + id + ".2\"").statusCode())
        .isEqualTo(206);
    // The last bytes of an empty object are all of it.
    String empty = new JsonObject(dev.send(dev.request("/v1/objects").POST(HttpRequest.BodyPublishers.noBody())).body())
        .getString("id");
    HttpResponse<byte[]> tail = getBytes("/v1/objects/" + empty, "Range", "bytes=-1");
    assertThat(tail.statusCode()).isEqualTo(200);
    assertThat(tail.body()).isEmpty();
    assertThat(getBytes("/v1/objects/" + empty, "Range", "bytes=0-").statusCode()).isEqualTo(416);
  }

  @Test
  void anErrorAnswerToARequestWithoutABodyKeepsTheConnection() throws Exception {
    start(new JsonObject());
    String id = dev.create("short", "hg-1-1");
    // Two requests on one connection: the second is answered only if the first's 416 and 404 left it open.
    String answers = rawResponse("GET /v1/objects/" + id + " HTTP/1.1\r\nHost: x\r\nRange: bytes=999-\r\n\r\n"
        + "GET /v1/objects/pop-1.pop-2.hg-1-1.999 HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(answers).contains("HTTP/1.1 416 ", "HTTP/1.1 404 ", "HTTP/1.1 200 ").doesNotContain("Connection: close\r\n\r\n{\"type\"");
  }

  @Test
  void badInputIs4xxNeverA500() throws Exception {
    start(new JsonObject());
    String id = dev.create("a", "hg-1-1");
    assertThat(dev.get("/v1/objects/not-an-id").statusCode()).isEqualTo(400);
    assertThat(dev.get("/v1/objects/pop-1.pop-2.hg-1-1.zzz").statusCode()).isEqualTo(404);
    assertThat(dev.get("/v1/objects/" + id + "?consistency=strong").statusCode()).isEqualTo(400);
    assertThat(dev.get("/v1/objects/" + id + "?version=0").statusCode()).isEqualTo(400);
    assertThat(dev.get("/v1/objects/" + id + "?version=x").statusCode()).isEqualTo(400);
    // Digits alone name a version: Long.parseLong's reading of a sign would make "+1" an alias of 1.
    assertThat(dev.get("/v1/objects/" + id + "?version=%2B1").statusCode()).isEqualTo(400);
    assertThat(dev.get("/v1/objects/" + id + "?version=1").statusCode()).isEqualTo(200);
    // The largest version a long holds is a well-formed number: no such version, not a malformed one.
    assertThat(dev.get("/v1/objects/" + id + "?version=" + Long.MAX_VALUE).statusCode()).isEqualTo(404);
    assertThat(dev.get("/v1/objects/" + id + "?version=9223372036854775808").statusCode()).isEqualTo(400);
    assertThat(dev.put("/v1/objects/" + id, "x", "Mistore-Lock-Wait", "+5").statusCode()).isEqualTo(400);
    assertThat(dev.get("/v1/objects/" + id + "?consistency=monotonic", "Mistore-Min-Version", "-3").statusCode())
        .isEqualTo(400);
    assertThat(dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-9-9").statusCode()).isEqualTo(400);
    assertThat(dev.put("/v1/objects/pop-1.pop-2.hg-1-1.zzz", "x").statusCode()).isEqualTo(404);
    assertThat(dev.put("/v1/objects/" + id, "x", "Mistore-Lock-Wait", "soon").statusCode()).isEqualTo(400);
    assertThat(dev.post("/v1/objects", "x", "Mistore-Stripes", "99").statusCode()).isEqualTo(400);
    HttpResponse<String> bigLock = dev.post("/v1/objects/" + id + "/locks", "{\"type\":\"write\",\"pad\":\""
        + "a".repeat(5000) + "\"}");
    assertThat(bigLock.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(bigLock.body()).getString("title")).as("RFC 9110's name, as every 413 here")
        .isEqualTo("Content Too Large");
    HttpResponse<String> problem = dev.get("/v1/objects/" + id + "?version=x");
    assertThat(problem.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    for (String path : new String[] {"/health", "/ready", "/v1/cluster", "/v1/objects/" + id + "/versions", "/metrics"}) {
      HttpResponse<String> head = dev.send(dev.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
      assertThat(head.statusCode()).as("HEAD " + path).isEqualTo(200);
      // The lengths of /v1/cluster and /metrics change from one call to the next (bytes used, counters).
      if (!path.equals("/metrics") && !path.equals("/v1/cluster")) {
        assertThat(head.headers().firstValue("Content-Length")).as("HEAD " + path)
            .hasValue(Integer.toString(dev.get(path).body().getBytes(StandardCharsets.UTF_8).length));
      } else {
        assertThat(head.headers().firstValue("Content-Length")).as("HEAD " + path).isPresent();
      }
    }
    // An error answer to a HEAD says how long the same GET's problem document is.
    for (String path : new String[] {"/v1/objects/" + id + "?version=x", "/v1/objects/pop-1.pop-2.hg-1-1.999"}) {
      HttpResponse<String> head = dev.send(dev.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
      HttpResponse<String> get = dev.get(path);
      assertThat(head.statusCode()).as("HEAD " + path).isEqualTo(get.statusCode()).isGreaterThanOrEqualTo(400);
      assertThat(head.headers().firstValue("Content-Length")).as("HEAD " + path)
          .hasValue(Integer.toString(get.body().getBytes(StandardCharsets.UTF_8).length));
    }
    HttpResponse<String> notWebSocket = dev.get("/v1/ws");
    assertThat(notWebSocket.statusCode()).isEqualTo(400);
    assertThat(notWebSocket.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    HttpResponse<String> notAllowed = dev.send(dev.request("/health").DELETE());
    assertThat(notAllowed.statusCode()).isEqualTo(405);
    assertThat(notAllowed.headers().firstValue("Allow")).hasValue("GET, HEAD");
    HttpResponse<String> noPost = dev.send(dev.request("/v1/objects/" + id).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(noPost.statusCode()).isEqualTo(405);
    assertThat(noPost.headers().firstValue("Allow").orElseThrow()).contains("GET", "PUT", "DELETE", "HEAD");
    // A path with a trailing slash is routed as the path without it: so is its Allow.
    HttpResponse<String> slash = dev.get("/v1/objects/");
    assertThat(slash.statusCode()).isEqualTo(405);
    assertThat(slash.headers().firstValue("Allow")).hasValue("POST");
    // Broken percent-encoding (which java.net.URI refuses to send, hence a raw request).
    for (String target : new String[] {"/v1/objects/%zz", "/v1/objects/abc%", "/v1/objects/" + id + "?version=%z1",
        "/v1/locks/%zz"}) {
      assertThat(rawStatusLine("GET " + target)).as(target).startsWith("HTTP/1.1 400");
    }
  }

  @Test
  void requestsTheHttpDecoderRefusesGetProblemDocumentsToo() throws Exception {
    start(new JsonObject());
    String id = dev.create("kept", "hg-1-1");
    String longTarget = "/v1/objects/" + "a".repeat(10_000);
    String bigHeader = "X-Big: " + "b".repeat(10_000) + "\r\n";
    Map<String, String> sent = Map.of(
        "GET " + longTarget + " HTTP/1.1\r\nHost: x\r\n\r\n", "414",
        "GET /health HTTP/1.1\r\nHost: x\r\n" + bigHeader + "\r\n", "431",
        "PUT /v1/objects/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400",
        "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", "400",
        // A body whose length the codec cannot know (it would read none): refused, never stored as empty.
        "PUT /v1/objects/" + id + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello", "400",
        "POST /v1/objects HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\nhello", "400",
        "POST /v1/objects HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400");
    for (Map.Entry<String, String> e : sent.entrySet()) {
      String response = rawResponse(e.getKey());
      String what = response.lines().findFirst().orElse("");
      assertThat(what).as("status line").matches("HTTP/1\\.[01] " + e.getValue() + " .*");
      assertThat(response).as(what).containsIgnoringCase("content-type: application/problem+json");
      JsonObject problem = new JsonObject(response.substring(response.indexOf("\r\n\r\n") + 4));
      assertThat(problem.getInteger("status")).isEqualTo(Integer.parseInt(e.getValue()));
      assertThat(problem.getString("detail")).isNotBlank().doesNotContain("Exception")
          .as("a reason, not the status's name").isNotEqualTo(problem.getString("title"));
    }
    // WebSocket upgrades the handshake cannot take: problem documents too, not plain text.
    String upgrade = "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n";
    for (String[] bad : new String[][] {{upgrade + "Sec-WebSocket-Version: 13\r\n\r\n", "400"},
        {upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", "426"}}) {
      String response = rawResponse(bad[0]);
      assertThat(response.lines().findFirst().orElse("")).as(response).startsWith("HTTP/1.1 " + bad[1]);
      assertThat(response).containsIgnoringCase("content-type: application/problem+json");
    }
    HttpResponse<String> versions = dev.get("/v1/objects/" + id + "/versions");
    assertThat(new io.vertx.core.json.JsonArray(versions.body()).size()).as("no version was written").isEqualTo(1);
    assertThat(dev.get("/v1/objects/" + id).body()).isEqualTo("kept");
    // Another spelling of an existing id (a leading zero in its counter) names no object: 400, not an alias.
    String alias = id.substring(0, id.lastIndexOf('.') + 1) + "0" + id.substring(id.lastIndexOf('.') + 1);
    assertThat(dev.get("/v1/objects/" + alias).statusCode()).isEqualTo(400);
  }

  @Test
  void headersAndParametersAreTakenAsTheContractSpellsThem() throws Exception {
    start(new JsonObject());
    String id = dev.create("one", "hg-1-1");
    assertThat(dev.put("/v1/objects/" + id, "two").statusCode()).isEqualTo(200);
    String get = "GET /v1/objects/" + id;
    // Query names match exactly: Version is an unknown parameter, ignored (the head is read).
    String ignored = rawResponse(get + "?Version=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(ignored).startsWith("HTTP/1.1 200").endsWith("\r\n\r\ntwo");
    assertThat(rawResponse(get + "?version=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).endsWith("one");
    // A header that names one value, given twice: 400 with a reason, as a repeated query parameter.
    for (String twice : new String[] {"Mistore-Min-Version: 1\r\nMistore-Min-Version: 2",
        "Mistore-Lock-Wait: 0\r\nMistore-Lock-Wait: 10"}) {
      String response = rawResponse(get + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + twice + "\r\n\r\n");
      assertThat(response).as(twice).startsWith("HTTP/1.1 400").contains("given more than once");
    }
    // Two Range headers ask for several ranges, which are ignored: the whole body.
    String ranges = rawResponse(get + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=0-0\r\n"
        + "Range: bytes=1-1\r\n\r\n");
    assertThat(ranges).startsWith("HTTP/1.1 200").endsWith("two");
    // An expectation other than 100-continue cannot be met, and nothing is written.
    String expect = rawResponse("PUT /v1/objects/" + id + " HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n"
        + "Content-Length: 5\r\nConnection: close\r\n\r\nthree");
    assertThat(expect).startsWith("HTTP/1.1 417").containsIgnoringCase("content-type: application/problem+json")
        .contains("only Expect: 100-continue");
    assertThat(dev.get("/v1/objects/" + id).body()).isEqualTo("two");
    HttpResponse<String> continued = dev.send(dev.request("/v1/objects/" + id).expectContinue(true)
        .PUT(HttpRequest.BodyPublishers.ofString("three")));
    assertThat(continued.statusCode()).as(continued.body()).isEqualTo(200);
    HttpResponse<String> nowhere = dev.get("/v1/nope");
    assertThat(nowhere.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(nowhere.body()).getString("detail")).isEqualTo("no resource at /v1/nope");
  }

  /** The whole response to {@code request}, sent as is; the server closes the connection after it. */
  private String rawResponse(String request) throws java.io.IOException {
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  /** The status line of a request sent as is (only the request line is given). */
  private String rawStatusLine(String requestLine) throws java.io.IOException {
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
    }
  }

  /** Opens a connection and sends a request's head and the first {@code bodyBytes} of its body. */
  private Socket sendPart(String head, int bodyBytes) throws java.io.IOException {
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(15_000);
    OutputStream out = socket.getOutputStream();
    out.write((head + "Host: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(new byte[bodyBytes]);
    out.flush();
    return socket;
  }

  private static String statusLine(Socket socket) throws java.io.IOException {
    return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
        .readLine();
  }

  @Test
  void stalledUploadsHoldNoMoreThanTheUploadBufferAndGetA408WhichFreesTheirLock() throws Exception {
    // Room for two blocks of uploads, and stalled bodies are given up after 3 s.
    start(new JsonObject().put("block-size", 65536).put("upload-buffer-bytes", 131072).put("upload-stall-ms", 3000)
        .put("max-object-bytes", 250000));
    String id = dev.create("v1", "hg-1-1");
    // A PUT (under the lock the gateway takes for it) and a chunked POST each send a little, then stall.
    Socket put = sendPart("PUT /v1/objects/" + id + " HTTP/1.1\r\nContent-Length: 200000\r\n", 1000);
    Socket post = sendPart("POST /v1/objects HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", 0);
    post.getOutputStream().write(("3e8\r\n" + "x".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    post.getOutputStream().flush();
    org.mistore.testing.Eventually.await("both stalled uploads hold their block's room", java.time.Duration.ofSeconds(10),
        () -> dev.get("/metrics").body().contains("mistore_upload_budget_used_bytes 131072.0"));
    // A third upload, sent whole, finds no room: it waits.
    try (Socket third = sendPart("POST /v1/objects HTTP/1.1\r\nContent-Length: 100000\r\n", 100000)) {
      third.setSoTimeout(500);
      String early = null;
      try {
        early = statusLine(third);
      } catch (java.net.SocketTimeoutException expected) {
        // no answer while two stalled uploads hold all the room
      }
      assertThat(early).as("no answer while two stalled uploads hold all the room").isNull();
      third.setSoTimeout(10_000);
      post.close(); // its room comes back
      String created = statusLine(third);
      assertThat(created).as("the waiting upload goes on once room is back").isEqualTo("HTTP/1.1 201 Created");
    }
    assertThat(statusLine(put)).as("a body that stopped coming").isEqualTo("HTTP/1.1 408 Request Timeout");
    put.close();
    HttpResponse<String> next = dev.put("/v1/objects/" + id, "v2");
    assertThat(next.statusCode()).as("the stalled write's lock is released: %s", next.body()).isEqualTo(200);
    assertThat(new JsonObject(next.body()).getLong("version")).isEqualTo(2);

    HttpResponse<String> tooLarge = dev.put("/v1/objects/" + id, "x".repeat(260000));
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.headers().firstValue("Mistore-Version")).as("an answer about an object names its version")
        .hasValue("2");
  }

  @Test
  void aLockRequestBodyIsReadAsItCameWithinItsLimitAndNotWaitedForForever() throws Exception {
    start(new JsonObject().put("upload-stall-ms", 1000));
    String id = dev.create("v1", "hg-1-1");
    // JSON under any Content-Type, a form's included: the bytes are read as they came.
    String padded = new JsonObject().put("type", "read").put("pad", "p".repeat(2000)).encode();
    HttpResponse<String> form = dev.post("/v1/objects/" + id + "/locks", padded,
        "Content-Type", "application/x-www-form-urlencoded");
    assertThat(form.statusCode()).as(form.body()).isEqualTo(201);
    HttpResponse<String> tooLarge = dev.post("/v1/objects/" + id + "/locks",
        new JsonObject().put("type", "read").put("pad", "p".repeat(5000)).encode());
    assertThat(tooLarge.statusCode()).as(tooLarge.body()).isEqualTo(413);
    assertThat(tooLarge.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    // A client that sends its body only once told to continue is told.
    String small = "{\"type\":\"read\"}";
    try (Socket waiting = sendPart("POST /v1/objects/" + id + "/locks HTTP/1.1\r\nContent-Length: " + small.length()
        + "\r\nExpect: 100-continue\r\n", 0)) {
      java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(waiting.getInputStream(),
          StandardCharsets.US_ASCII));
      assertThat(in.readLine()).isEqualTo("HTTP/1.1 100 Continue");
      assertThat(in.readLine()).isEmpty();
      waiting.getOutputStream().write(small.getBytes(StandardCharsets.US_ASCII));
      assertThat(in.readLine()).isEqualTo("HTTP/1.1 201 Created");
    }
    // A body that stops coming gets 408 after upload-stall-ms, declared or chunked.
    try (Socket declared = sendPart("POST /v1/objects/" + id + "/locks HTTP/1.1\r\nContent-Length: 100\r\n", 0);
        Socket chunked = sendPart("POST /v1/objects/" + id + "/locks HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", 0)) {
      declared.getOutputStream().write("{\"type\":\"read\"".getBytes(StandardCharsets.US_ASCII));
      chunked.getOutputStream().write("5\r\n{\"typ\r\n".getBytes(StandardCharsets.US_ASCII));
      declared.setSoTimeout(20_000);
      chunked.setSoTimeout(20_000);
      assertThat(statusLine(declared)).isEqualTo("HTTP/1.1 408 Request Timeout");
      assertThat(statusLine(chunked)).isEqualTo("HTTP/1.1 408 Request Timeout");
    }
  }

  @Test
  void aNodeServingThroughItsOwnPopLabelsItsCachePopCache() {
    start(new JsonObject());
    String id = dev.create("cached", "hg-1-1");
    ObjectService service = new ObjectService(org.mistore.testing.DevHarness.tunables(new JsonObject()).limits());
    // As a POP-only node's front door: its gateway is the POP itself.
    org.mistore.hg.Gateway popGateway = new org.mistore.hg.Gateway(dev.cluster.vertx(), "pop-1", "pop-1",
        new org.mistore.store.VersionCache(1 << 20), org.mistore.hg.Gateway.linkTo(dev.cluster.vertx(), "pop-1", () -> false));
    org.mistore.hg.Gateway hgGateway = new org.mistore.hg.Gateway(dev.cluster.vertx(), "hg-1-1", "pop-1",
        new org.mistore.store.VersionCache(1 << 20), org.mistore.hg.Gateway.linkTo(dev.cluster.vertx(), "pop-1", () -> false));
    for (org.mistore.hg.Gateway g : List.of(popGateway, hgGateway)) {
      org.mistore.codecs.ObjectId oid = org.mistore.codecs.ObjectId.parse(id);
      ObjectService.ReadPlan atomic = service.read(g, oid, "atomic", 0, 0, null, 0).await();
      assertThat(atomic.source()).isEqualTo("primary");
      service.block(g, atomic.meta(), 0).await();
      assertThat(service.read(g, oid, null, 1, 0, null, 0).await().source())
          .isEqualTo(g == popGateway ? "pop-cache" : "hg-cache");
    }
    // A gateway that knows the version but holds none of its blocks does not say its cache served it.
    org.mistore.hg.Gateway metadataOnly = new org.mistore.hg.Gateway(dev.cluster.vertx(), "hg-1-1", "pop-1",
        new org.mistore.store.VersionCache(1 << 20), org.mistore.hg.Gateway.linkTo(dev.cluster.vertx(), "pop-1", () -> false));
    org.mistore.codecs.ObjectId oid = org.mistore.codecs.ObjectId.parse(id);
    metadataOnly.cache().putVersion(service.read(metadataOnly, oid, "atomic", 0, 0, null, 0).await().meta());
    assertThat(service.read(metadataOnly, oid, null, 1, 0, null, 0).await().source())
        .as("the bytes come from the POP").isNotEqualTo("hg-cache");
  }

  @Test
  void idsNamingPopsOutsideTheClusterAre404() {
    start(new JsonObject());
    // Neither POP exists; then only the backup does (it answers as acting primary once the
    // directory has listened long enough to count the unknown primary as down).
    for (String id : new String[] {"pop-9.pop-8.hg-1-1.1", "pop-9.pop-2.hg-1-1.1"}) {
      HttpResponse<String> read = dev.get("/v1/objects/" + id);
      assertThat(read.statusCode()).as(read.body()).isEqualTo(404);
      assertThat(dev.put("/v1/objects/" + id, "x").statusCode()).isEqualTo(404);
      assertThat(dev.get("/v1/objects/" + id + "/versions").statusCode()).isEqualTo(404);
      assertThat(dev.lock(id, "write", 5000, 0, "hg-1-1").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void bodiesOverTheMaximumGet413AndStoreNothing() {
    start(new JsonObject().put("max-object-bytes", 100_000));
    String id = dev.create("small", "hg-1-1");
    HttpResponse<String> tooBig = putBytes("/v1/objects/" + id, bytes(100_001, 3));
    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(tooBig.body()).getInteger("status")).isEqualTo(413);
    assertThat(dev.post("/v1/objects", "x".repeat(100_001)).statusCode()).isEqualTo(413);
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(1);
    assertThat(dev.put("/v1/objects/" + id, "fits").statusCode()).as("the lock was released").isEqualTo(200);
  }

  @Test
  void anEarly413LetsTheClientFinishSendingAndEndsWithAClose() throws Exception {
    start(new JsonObject().put("max-object-bytes", 100_000));
    String id = dev.create("small", "hg-1-1");
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      java.io.InputStream in = socket.getInputStream();
      byte[] body = bytes(150_000, 11);
      out.write(("PUT /v1/objects/" + id + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // The answer comes from the headers alone, before any of the body is sent.
      StringBuilder head = new StringBuilder();
      while (head.indexOf("\r\n\r\n") < 0) {
        int c = in.read();
        assertThat(c).as("answer cut short: " + head).isNotNegative();
        head.append((char) c);
      }
      assertThat(head.toString()).startsWith("HTTP/1.1 413 Content Too Large\r\n").contains("Connection: close");
      int length = Integer.parseInt(head.toString().replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
      assertThat(new String(in.readNBytes(length), StandardCharsets.US_ASCII)).contains("\"status\":413");
      // The server reads the rest of the body (so the client's writes do not fail), then closes.
      for (int off = 0; off < body.length; off += 1000) {
        out.write(body, off, 1000);
        out.flush();
      }
      assertThat(in.read()).as("closed after the body").isEqualTo(-1);
    }
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(1);
  }

  @Test
  void aChunkedBodyOverTheMaximumIsCutWith413() throws Exception {
    start(new JsonObject().put("max-object-bytes", 100_000));
    String id = dev.create("small", "hg-1-1");
    HttpRequest request = dev.request("/v1/objects/" + id).PUT(HttpRequest.BodyPublishers.ofInputStream(
        () -> new java.io.ByteArrayInputStream(bytes(300_000, 5)))).build();
    HttpResponse<String> r = org.mistore.testing.Http.send(request);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(1);
  }

  @Test
  void aClientThatDisconnectsMidUploadLeavesNoVersion() throws Exception {
    start(new JsonObject());
    String id = dev.create("original", "hg-1-1");
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /v1/objects/" + id + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(bytes(300_000, 9));
      out.flush();
    }
    // The write lock the gateway took is released once the upload fails, so a new write goes through.
    HttpResponse<String> next = dev.put("/v1/objects/" + id, "next", "Mistore-Lock-Wait", "10000");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(new JsonObject(next.body()).getLong("version")).isEqualTo(2);
    assertThat(dev.get("/v1/objects/" + id).body()).isEqualTo("next");
  }

  @Test
  void aClientThatLeavesWhileItsWriteWaitsForTheLockLeavesNoVersionAndNoLock() throws Exception {
    start(new JsonObject());
    String id = dev.create("original", "hg-1-1");
    JsonObject held = new JsonObject(dev.lock(id, "write", 30_000, 0, "hg-1-1").body());
    double connections = openConnections();
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /v1/objects/" + id + " HTTP/1.1\r\nHost: x\r\nMistore-Lock-Wait: 30000\r\n"
          + "Content-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes(300_000, 9));
      out.flush();
    }
    // The gateway saw the client go while its write still waited for the lock; then it gets the lock.
    // (Judged by the count coming back down once: read again, it may count a new connection of the
    // test's own client, which made this test fail now and then.)
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    boolean closed = false;
    while (!closed && System.nanoTime() < until) {
      closed = openConnections() <= connections;
    }
    assertThat(closed).as("the server closed the client's connection").isTrue();
    assertThat(dev.delete("/v1/locks/" + held.getString("token")).statusCode()).isEqualTo(204);
    // The gateway releases the lock at once instead of holding it for an upload that never comes.
    HttpResponse<String> next = dev.put("/v1/objects/" + id, "next", "Mistore-Lock-Wait", "10000");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(new JsonObject(next.body()).getLong("version")).isEqualTo(2);
    assertThat(dev.get("/v1/objects/" + id).body()).isEqualTo("next");
  }

  /** The HTTP server's open connections, per its metrics. */
  private double openConnections() {
    return java.util.Arrays.stream(dev.get("/metrics").body().split("\n"))
        .filter(l -> l.startsWith("vertx_http_server_active_connections"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** Reads one response head (status line and headers) from a raw HTTP/1.1 connection. */
  private static String readHead(java.io.InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (head.indexOf("\r\n\r\n") < 0) {
      int c = in.read();
      assertThat(c).as("answer cut short: " + head).isNotNegative();
      head.append((char) c);
    }
    return head.toString();
  }

  /** A request sent as a client expecting 100 Continue sends it: the final answer's head and body. */
  private record Continued(String head, String body) {
    static Continued send(Socket socket, String methodAndPath, byte[] body) throws java.io.IOException {
      OutputStream out = socket.getOutputStream();
      java.io.InputStream in = socket.getInputStream();
      out.write((methodAndPath + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readHead(in)).startsWith("HTTP/1.1 100 Continue");
      out.write(body);
      out.flush();
      String head = readHead(in);
      int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
      return new Continued(head, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }
  }

  @Test
  void aClientExpecting100ContinueIsToldToSendItsBodyUnlessTheWriteIsRefusedFirst() throws Exception {
    start(new JsonObject());
    String id = dev.create("original", "hg-1-1");
    int port = Integer.parseInt(dev.base.substring(dev.base.lastIndexOf(':') + 1));
    byte[] large = bytes(200_000, 21); // several blocks: streamed
    byte[] small = bytes(3_000, 22); // inline
    try (Socket socket = new Socket("127.0.0.1", port)) {
      // Without the interim answer the read of it times out: the client waits for it to send the body.
      socket.setSoTimeout(5_000);
      Continued put = Continued.send(socket, "PUT /v1/objects/" + id, large);
      assertThat(put.head()).startsWith("HTTP/1.1 200");

      // Same connection: a creation, inline.
      Continued post = Continued.send(socket, "POST /v1/objects", small);
      assertThat(post.head()).startsWith("HTTP/1.1 201");
      String newId = new JsonObject(post.body()).getString("id");
      assertThat(getBytes("/v1/objects/" + newId).body()).isEqualTo(small);

      // A small body under the gateway's lock: the lock first, then 100 Continue.
      byte[] tiny = bytes(2_000, 23);
      assertThat(Continued.send(socket, "PUT /v1/objects/" + newId, tiny).head()).startsWith("HTTP/1.1 200");
      assertThat(getBytes("/v1/objects/" + newId).body()).isEqualTo(tiny);
      assertThat(new JsonArray(dev.get("/v1/objects/" + newId + "/versions").body())).hasSize(2);
    }
    assertThat(getBytes("/v1/objects/" + id).body()).isEqualTo(large);

    // A write refused before its body is needed is answered at once, without asking for it: a
    // client's bad lock, an object that does not exist, a lock another client holds (small bodies too).
    assertThat(dev.lock(id, "write", 30_000, 0, "hg-2-1").statusCode()).isEqualTo(201);
    String[][] refused = {
        {id, "Mistore-Lock: not-a-lock\r\n", String.valueOf(large.length), "409"},
        {id.substring(0, id.lastIndexOf('.')) + ".999999", "", String.valueOf(small.length), "404"},
        {id, "Mistore-Lock-Wait: 0\r\n", String.valueOf(small.length), "423"},
        {id, "Mistore-Lock-Wait: 0\r\n", String.valueOf(large.length), "423"}};
    for (String[] r : refused) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(5_000);
        OutputStream out = socket.getOutputStream();
        out.write(("PUT /v1/objects/" + r[0] + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" + r[1]
            + "Content-Length: " + r[2] + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertThat(readHead(socket.getInputStream())).as(String.join(" ", r)).startsWith("HTTP/1.1 " + r[3]);
      }
    }
    assertThat(new JsonArray(dev.get("/v1/objects/" + id + "/versions").body())).hasSize(2);
  }

  @Test
  void anExclusiveReadLongerThanTheLeaseKeepsWritesOutToItsEnd() throws Exception {
    // Leases of a second: the download below lasts many of them.
    start(new JsonObject().put("lock-default-ttl-ms", 1000));
    byte[] content = new byte[16 << 20];
    new java.util.Random(7).nextBytes(content);
    String id = new JsonObject(dev.send(dev.request("/v1/objects").POST(HttpRequest.BodyPublishers.ofByteArray(content)))
        .body()).getString("id");
    io.vertx.core.Vertx client = io.vertx.core.Vertx.vertx();
    try {
      java.net.URI base = java.net.URI.create(dev.base);
      java.security.MessageDigest got = java.security.MessageDigest.getInstance("SHA-256");
      io.vertx.core.Promise<Long> ended = io.vertx.core.Promise.promise();
      long[] received = new long[1];
      io.vertx.core.http.HttpClientResponse reading = client.createHttpClient(
              new io.vertx.core.http.HttpClientOptions().setReceiveBufferSize(8192))
          .request(io.vertx.core.http.HttpMethod.GET, base.getPort(), base.getHost(),
              "/v1/objects/" + id + "?consistency=rw-exclusive")
          .compose(r -> r.send())
          .map(r -> {
            r.pause(); // the client takes nothing for now
            r.handler(b -> {
              received[0] += b.length();
              got.update(b.getBytes());
            });
            r.endHandler(v -> ended.complete(received[0]));
            return r;
          }).await(30, TimeUnit.SECONDS);
      assertThat(reading.statusCode()).isEqualTo(200);
      // Three leases and more of waiting: the gateway's read lock must still be held.
      HttpResponse<String> write = dev.put("/v1/objects/" + id, "during", "Mistore-Lock-Wait", "3500");
      assertThat(write.statusCode()).as("a write while the exclusive read goes on: " + write.body()).isEqualTo(423);
      reading.resume();
      assertThat(ended.future().await(60, TimeUnit.SECONDS)).isEqualTo(content.length);
      assertThat(got.digest()).isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(content));
    } finally {
      client.close().await();
    }
    HttpResponse<String> after = dev.put("/v1/objects/" + id, "after", "Mistore-Lock-Wait", "3500");
    assertThat(after.statusCode()).as("the read's lock is released at its end: " + after.body()).isEqualTo(200);
  }
}
