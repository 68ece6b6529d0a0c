package org.mistore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.testing.Eventually;

/**
 * A download through a real HTTP server to a real client over loopback: what it holds in memory in
 * front of a client that reads slowly or not at all, and what it does when the client goes away.
 * The block source is the boundary: it makes blocks and counts how many were asked for.
 */
class DownloadTest {
  private static final int BLOCK = 1 << 20;
  private static final int BLOCKS = 40;
  private static final int AHEAD = 2;
  /** Small socket buffers, so the kernel holds a fraction of a block and the rest waits in the process. */
  private static final int SOCKET_BUFFER = 64 * 1024;

  private Vertx vertx;
  private HttpServer server;
  private HttpClient client;
  private final AtomicInteger fetched = new AtomicInteger();
  private final CompletableFuture<Future<Void>> download = new CompletableFuture<>();
  /** How long the server waits for a client that takes nothing before it cuts the download. */
  private volatile long stallMs = 60_000;
  /** Unbounded unless a test sets its own. */
  private volatile MemoryBudget budget = new MemoryBudget(Long.MAX_VALUE / 4);

  private static Buffer block(int index) {
    byte[] bytes = new byte[BLOCK];
    new java.util.Random(index).nextBytes(bytes);
    return Buffer.buffer(bytes);
  }

  @BeforeEach
  void serve() {
    vertx = Vertx.vertx();
    List<String> sums = new ArrayList<>();
    for (int i = 0; i < BLOCKS; i++) {
      sums.add("0".repeat(64));
    }
    VersionMeta meta = new VersionMeta(new VersionRef(ObjectId.parse("pop-1.pop-2.hg-1.1"), 1), (long) BLOCK * BLOCKS,
        "application/octet-stream", "0".repeat(64), BLOCK, sums, 0, "hg-1", false);
    server = vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(SOCKET_BUFFER))
        .requestHandler(request -> {
          request.response().putHeader("Content-Length", Long.toString(meta.size()));
          // Blocks arrive later on the request's context, as blocks fetched over the event bus do.
          Download d = new Download(request.response(), index -> {
            fetched.incrementAndGet();
            Promise<Buffer> p = Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> p.complete(block(index)));
            return p.future();
          }, meta, 0, meta.size() - 1, AHEAD, budget, stallMs);
          download.complete(d.run());
        })
        .listen(0, "127.0.0.1").await();
    client = vertx.createHttpClient(new HttpClientOptions().setReceiveBufferSize(SOCKET_BUFFER),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(16));
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** Waits until the server has asked for no new block for half a second, and returns how many it asked for. */
  private int fetchedOnceStalled() {
    long[] last = {-1, System.nanoTime()};
    Eventually.await("the download to stall in front of a client that does not read", Duration.ofSeconds(20), () -> {
      int now = fetched.get();
      if (now != last[0]) {
        last[0] = now;
        last[1] = System.nanoTime();
        return false;
      }
      return System.nanoTime() - last[1] > 500_000_000L;
    });
    return fetched.get();
  }

  private static String expectedSha256() throws Exception {
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < BLOCKS; i++) {
      expected.update(block(i).getBytes());
    }
    return HexFormat.of().formatHex(expected.digest());
  }

  /** A GET whose client reads nothing until resumed; {@link #sha256} completes with what it read once it ends. */
  private final class Reader {
    final io.vertx.core.http.HttpClientResponse response;
    final Promise<String> sha256 = Promise.promise();
    final AtomicLong received = new AtomicLong();

    Reader() throws Exception {
      MessageDigest got = MessageDigest.getInstance("SHA-256");
      response = client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(r -> r.send())
          .map(r -> {
            r.pause();
            r.handler(b -> {
              received.addAndGet(b.length());
              got.update(b.getBytes());
            });
            r.endHandler(v -> sha256.complete(HexFormat.of().formatHex(got.digest())));
            return r;
          }).await();
      assertThat(response.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aClientThatDoesNotReadHoldsTheDownloadToAFewBlocksThenGetsEveryByte() throws Exception {
    Reader reader = new Reader();

    int held = fetchedOnceStalled();
    // At most the blocks fetched ahead, one being written and one waiting for the socket, plus the
    // one that crossed into the kernel's buffers: not the whole queue's worth of blocks.
    assertThat(held).isLessThanOrEqualTo(AHEAD + 3).isLessThan(BLOCKS);

    reader.response.resume();
    assertThat(reader.sha256.future().await(30, TimeUnit.SECONDS)).isEqualTo(expectedSha256());
    assertThat(reader.received.get()).isEqualTo((long) BLOCK * BLOCKS);
    assertThat(download.get(5, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS)).isNull();
    assertThat(fetched.get()).isEqualTo(BLOCKS);
  }

  @Test
  void manyClientsThatDoNotReadTogetherHoldTheBudgetPlusOneBlockEachAndAllFinish() throws Exception {
    int clients = 6;
    int budgetBlocks = 4;
    budget = new MemoryBudget((long) budgetBlocks * BLOCK);
    List<Reader> readers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      readers.add(new Reader());
    }

    int held = fetchedOnceStalled();
    // Alone, each would hold AHEAD + 3 blocks (30 here); together they stay within the budget, plus
    // one block each for a download that held none when it asked, plus the blocks already in the
    // kernel's buffers.
    assertThat(budget.used()).isLessThanOrEqualTo((long) (budgetBlocks + clients) * BLOCK);
    assertThat(held).isLessThanOrEqualTo(budgetBlocks + 2 * clients);

    readers.forEach(r -> r.response.resume());
    String expected = expectedSha256();
    for (Reader r : readers) {
      assertThat(r.sha256.future().await(60, TimeUnit.SECONDS)).isEqualTo(expected);
    }
    assertThat(fetched.get()).isEqualTo(clients * BLOCKS);
    Eventually.await("every block's budget given back", Duration.ofSeconds(5), () -> budget.used() == 0);
  }

  @Test
  void aClientThatGoesAwayEndsTheDownloadAndNoMoreBlocksAreFetched() throws Exception {
    var response = client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(r -> r.send())
        .map(r -> {
          r.pause();
          return r;
        }).await();
    assertThat(response.statusCode()).isEqualTo(200);
    fetchedOnceStalled();

    response.request().connection().close().await();
    Future<Void> ended = download.get(5, TimeUnit.SECONDS);
    Eventually.await("the download to end once its client is gone", Duration.ofSeconds(10), ended::isComplete);
    assertThat(ended.failed()).isTrue();
    int atEnd = fetched.get();
    assertThat(atEnd).isLessThan(BLOCKS);
    // Nothing more is asked for after the end.
    assertThat(fetchedOnceStalled()).isEqualTo(atEnd);
  }

  @Test
  void aClientThatTakesNothingForTheStallTimeHasItsDownloadCutAndItsMemoryGivenBack() throws Exception {
    stallMs = 1000;
    budget = new MemoryBudget(8L * BLOCK);
    Reader reader = new Reader();
    Promise<Void> closed = Promise.promise();
    reader.response.request().connection().closeHandler(v -> closed.tryComplete());
    Future<Void> ended = download.get(5, TimeUnit.SECONDS);
    Eventually.await("the download to end", Duration.ofSeconds(20), ended::isComplete);
    assertThat(ended.failed()).as("cut, not finished").isTrue();
    assertThat(ended.cause()).isInstanceOf(Download.Stalled.class).hasMessageContaining("took no bytes for 1000 ms");
    reader.response.resume();
    closed.future().await(10, TimeUnit.SECONDS);
    assertThat(reader.sha256.future().isComplete()).as("the client never got the end of the body").isFalse();
    assertThat(reader.received.get()).isLessThan((long) BLOCK * BLOCKS);
    Eventually.await("every block's budget given back", Duration.ofSeconds(5), () -> budget.used() == 0);
  }

  @Test
  void aClientThatReadsSlowlyButSteadilyIsNeverCut() throws Exception {
    stallMs = 1000;
    Reader reader = new Reader();
    // A few buffers every 200 ms for three stall times: far slower than the socket, never idle for long.
    long slowUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * stallMs);
    long timer = vertx.setPeriodic(200, t -> reader.response.fetch(16));
    Future<Void> ended = download.get(5, TimeUnit.SECONDS);
    Eventually.await("three stall times of slow reading", Duration.ofSeconds(20),
        () -> System.nanoTime() > slowUntil && reader.received.get() > BLOCK);
    vertx.cancelTimer(timer);
    assertThat(ended.isComplete()).as("not cut while the client took bytes").isFalse();
    reader.response.resume();
    assertThat(reader.sha256.future().await(30, TimeUnit.SECONDS)).isEqualTo(expectedSha256());
    assertThat(ended.await(5, TimeUnit.SECONDS)).isNull();
  }
}
