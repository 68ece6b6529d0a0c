package org.mistore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/** {@code /v1/ws} through a dev cluster, with the JDK's WebSocket client. */
class WebSocketApiTest extends DevClusterTestBase {
  /** A client socket whose incoming frames queue up for the test. */
  private static final class Client implements WebSocket.Listener {
    final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    final StringBuilder partial = new StringBuilder();
    WebSocket socket;
    int rid;

    static Client connect(String base, String gateway) {
      Client c = new Client();
      c.socket = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create(base.replace("http", "ws") + "/v1/ws?gateway=" + gateway), c).join();
      return c;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence text, boolean last) {
      partial.append(text);
      if (last) {
        frames.add(new JsonObject(partial.toString()));
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    /** The status of the server's close frame, once one came. */
    final java.util.concurrent.CompletableFuture<Integer> closed = new java.util.concurrent.CompletableFuture<>();

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    JsonObject next() throws InterruptedException {
      JsonObject f = frames.poll(20, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 20 s").isNotNull();
      return f;
    }

    /** Sends a request and returns its reply (events arriving meanwhile are kept aside). */
    JsonObject call(JsonObject request) throws InterruptedException {
      int id = ++rid;
      socket.sendText(request.put("rid", id).encode(), true).join();
      while (true) {
        JsonObject f = next();
        if (f.getValue("rid") != null && f.getInteger("rid") == id) {
          return f;
        }
        frames.add(f);
        Thread.sleep(5);
      }
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void putGetAndWatchAcrossGateways() throws Exception {
    start(3, 1, new JsonObject());
    Client writer = Client.connect(dev.base, "hg-1-1");
    Client watcher = Client.connect(dev.base, "hg-3-1");

    JsonObject created = writer.call(new JsonObject().put("op", "create").put("data", b64("one"))
        .put("contentType", "text/plain"));
    assertThat(created.getInteger("status")).isEqualTo(201);
    String id = created.getString("id");
    assertThat(created.getLong("version")).isEqualTo(1);

    JsonObject watching = watcher.call(new JsonObject().put("op", "watch").put("id", id));
    assertThat(watching.getInteger("status")).isEqualTo(200);
    assertThat(watching.getLong("version")).as("the version the watch starts from").isEqualTo(1);
    String unknown = id.substring(0, id.lastIndexOf('.') + 1) + "999999";
    JsonObject nothing = watcher.call(new JsonObject().put("op", "watch").put("id", unknown));
    assertThat(nothing.getInteger("status")).as("an id naming no object, as for any call").isEqualTo(404);
    assertThat(nothing.fieldNames()).contains("type", "title", "detail");
    JsonObject put = writer.call(new JsonObject().put("op", "put").put("id", id).put("data", b64("two")));
    assertThat(put.getInteger("status")).isEqualTo(200);
    assertThat(put.getLong("version")).isEqualTo(2);
    JsonObject event = watcher.next();
    assertThat(event.getString("event")).isEqualTo("version");
    assertThat(event.getString("id")).isEqualTo(id);
    assertThat(event.getLong("version")).isEqualTo(2);

    JsonObject got = watcher.call(new JsonObject().put("op", "get").put("id", id));
    assertThat(got.getInteger("status")).isEqualTo(200);
    assertThat(new String(Base64.getDecoder().decode(got.getString("data")), StandardCharsets.UTF_8)).isEqualTo("two");
    assertThat(got.getLong("version")).isEqualTo(2);
    JsonObject first = watcher.call(new JsonObject().put("op", "get").put("id", id).put("version", 1));
    assertThat(Base64.getDecoder().decode(first.getString("data"))).isEqualTo("one".getBytes(StandardCharsets.UTF_8));
    assertThat(writer.call(new JsonObject().put("op", "versions").put("id", id)).getJsonArray("versions")).hasSize(2);
    JsonObject stale = writer.call(new JsonObject().put("op", "put").put("id", id).put("data", b64("x")).put("ifMatch", 1));
    assertThat(stale.getInteger("status")).isEqualTo(412);
    assertThat(stale.getLong("version")).as("the current version").isEqualTo(2);

    JsonObject lock = writer.call(new JsonObject().put("op", "lock").put("id", id).put("type", "write")
        .put("ttlMs", 5000));
    assertThat(lock.getInteger("status")).isEqualTo(201);
    assertThat(lock.getLong("fence")).isPositive();
    JsonObject refused = watcher.call(new JsonObject().put("op", "lock").put("id", id).put("type", "read"));
    assertThat(refused.getInteger("status")).isEqualTo(423);
    assertThat(refused.getLong("version")).as("refusals name the current version, as over HTTP").isEqualTo(2);
    JsonObject waitedOut = watcher.call(new JsonObject().put("op", "put").put("id", id).put("data", b64("no"))
        .put("lockWait", 50));
    assertThat(waitedOut.getInteger("status")).isEqualTo(423);
    assertThat(waitedOut.getLong("version")).isEqualTo(2);
    JsonObject notALock = watcher.call(new JsonObject().put("op", "put").put("id", id).put("data", b64("no"))
        .put("lock", id + "~AAAAAAAAAAAAAAAAAAAAAA"));
    assertThat(notALock.getInteger("status")).isEqualTo(409);
    assertThat(notALock.getLong("version")).isEqualTo(2);
    assertThat(writer.call(new JsonObject().put("op", "renew").put("token", lock.getString("token")))
        .getInteger("status")).isEqualTo(200);
    JsonObject underLock = writer.call(new JsonObject().put("op", "put").put("id", id).put("data", b64("three"))
        .put("lock", lock.getString("token")));
    assertThat(underLock.getLong("version")).isEqualTo(3);
    assertThat(writer.call(new JsonObject().put("op", "unlock").put("token", lock.getString("token")))
        .getInteger("status")).isEqualTo(204);
    JsonObject deleted = writer.call(new JsonObject().put("op", "delete").put("id", id));
    assertThat(deleted.getLong("version")).isEqualTo(4);
    JsonObject gone = watcher.call(new JsonObject().put("op", "get").put("id", id));
    assertThat(gone.getInteger("status")).isEqualTo(404);
    assertThat(gone.fieldNames()).contains("type", "title", "detail");
    assertThat(watcher.call(new JsonObject().put("op", "unwatch").put("id", id)).getInteger("status")).isEqualTo(200);
  }

  @Test
  void aWatchIsAnsweredBeforeAnyEventAndEventsFollowTheVersionItNames() throws Exception {
    start(2, 1, new JsonObject());
    Client writer = Client.connect(dev.base, "hg-1-1");
    String id = writer.call(new JsonObject().put("op", "create").put("data", b64("v"))).getString("id");
    Client watcher = Client.connect(dev.base, "hg-2-1");
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread puts = new Thread(() -> {
      try {
        while (!stop.get()) {
          writer.call(new JsonObject().put("op", "put").put("id", id).put("data", b64("w")));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    puts.start();
    // Frames in the order they came, over many watch and unwatch rounds while versions commit.
    List<JsonObject> seen = new ArrayList<>();
    try {
      for (int round = 0; round < 60; round++) {
        for (String op : List.of("watch", "unwatch")) {
          int rid = ++watcher.rid;
          watcher.socket.sendText(new JsonObject().put("rid", rid).put("op", op).put("id", id).encode(), true).join();
          JsonObject f;
          do {
            f = watcher.next();
            seen.add(f);
          } while (!Integer.valueOf(rid).equals(f.getInteger("rid")));
          assertThat(f.getInteger("status")).as(op).isEqualTo(200);
        }
      }
    } finally {
      stop.set(true);
      puts.join(20_000);
    }
    long since = -1;
    int events = 0;
    for (JsonObject f : seen) {
      if (f.containsKey("event")) {
        assertThat(since).as("an event only between a watch's answer and the next unwatch: " + f).isPositive();
        assertThat(f.getLong("version")).as("events follow the version the watch named, in order").isGreaterThan(since);
        since = f.getLong("version");
        events++;
      } else if (f.getValue("version") != null) {
        since = f.getLong("version");
      } else {
        since = -1;
      }
    }
    assertThat(events).as("versions committed while watched were announced").isPositive();
  }

  @Test
  void malformedFramesGet400AndTheConnectionStaysOpen() throws Exception {
    start(2, 1, new JsonObject());
    Client c = Client.connect(dev.base, "hg-1-1");
    c.socket.sendText("this is not json", true).join();
    JsonObject bad = c.next();
    assertThat(bad.getInteger("status")).isEqualTo(400);
    assertThat(bad.fieldNames()).contains("title", "detail");
    assertThat(c.call(new JsonObject().put("op", "teleport")).getInteger("status")).isEqualTo(400);
    JsonObject notString = c.call(new JsonObject().put("op", 5));
    assertThat(notString.getInteger("status")).isEqualTo(400);
    assertThat(notString.getString("detail")).isEqualTo("op must be a string");
    assertThat(c.call(new JsonObject()).getString("detail")).isEqualTo("op is missing");
    assertThat(c.call(new JsonObject().put("op", "get").put("id", "nope")).getInteger("status")).isEqualTo(400);
    assertThat(c.call(new JsonObject().put("op", "get").put("id", "pop-1.pop-2.hg-1-1.zz")).getInteger("status"))
        .isEqualTo(404);
    assertThat(c.call(new JsonObject().put("op", "create").put("data", "***")).getInteger("status")).isEqualTo(400);
    assertThat(c.call(new JsonObject().put("op", "lock").put("id", "pop-1.pop-2.hg-1-1.1").put("type", "x"))
        .getInteger("status")).isEqualTo(400);
    c.socket.sendBinary(ByteBuffer.wrap(new byte[] {1, 2}), true).join();
    assertThat(c.next().getInteger("status")).isEqualTo(400);
    // A JSON request sent as a binary frame is refused, under its rid.
    c.socket.sendBinary(ByteBuffer.wrap("{\"rid\":30,\"op\":\"versions\",\"id\":\"pop-1.pop-2.hg-1-1.1\"}"
        .getBytes(StandardCharsets.UTF_8)), true).join();
    JsonObject binary = c.next();
    assertThat(binary.getInteger("status")).isEqualTo(400);
    assertThat(binary.getInteger("rid")).isEqualTo(30);
    // A rid JSON numbers cannot carry back (it parses as infinity): refused, and the reply is valid JSON.
    c.socket.sendText("{\"rid\":1e400,\"op\":\"versions\",\"id\":\"pop-1.pop-2.hg-1-1.1\"}", true).join();
    JsonObject infinite = c.next();
    assertThat(infinite.getInteger("status")).isEqualTo(400);
    assertThat(infinite.containsKey("rid")).as("no rid at all, not a null one").isFalse();
    // Without a rid (or with one that is not a number) nothing is done: the client could not tell
    // which request the reply answers. Version 1 only, checked below.
    String id = c.call(new JsonObject().put("op", "create").put("data", b64("still here"))).getString("id");
    for (String rid : new String[] {"", "\"rid\":\"abc\",", "\"rid\":null,", "\"rid\":[1],"}) {
      c.socket.sendText("{" + rid + "\"op\":\"put\",\"id\":\"" + id + "\",\"data\":\"" + b64("lost") + "\"}", true).join();
      JsonObject refused = c.next();
      assertThat(refused.getInteger("status")).as(rid).isEqualTo(400);
      assertThat(refused.containsKey("rid")).as(rid).isFalse();
    }
    // A put or create without data (here a misspelt field) is refused, not stored as an empty version.
    assertThat(c.call(new JsonObject().put("op", "put").put("id", id).put("Data", b64("x"))).getInteger("status"))
        .isEqualTo(400);
    assertThat(c.call(new JsonObject().put("op", "create")).getInteger("status")).isEqualTo(400);
    assertThat(c.call(new JsonObject().put("op", "versions").put("id", id)).getJsonArray("versions")).hasSize(1);
    JsonObject empty = c.call(new JsonObject().put("op", "put").put("id", id).put("data", ""));
    assertThat(empty.getInteger("status")).isEqualTo(200);
    assertThat(empty.getLong("size")).isZero();
  }

  /** A raw connection to {@code base}, upgraded to a WebSocket (answered 101). */
  private static java.net.Socket upgraded(String base) throws java.io.IOException {
    URI uri = URI.create(base);
    java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort());
    socket.setSoTimeout(20_000);
    java.io.InputStream in = socket.getInputStream();
    socket.getOutputStream().write(("GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    StringBuilder head = new StringBuilder();
    while (head.indexOf("\r\n\r\n") < 0) {
      int c = in.read();
      assertThat(c).as("handshake cut short: " + head).isNotNegative();
      head.append((char) c);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 101");
    return socket;
  }

  /** {@code payload} as one final text frame, masked as a client's must be (a mask of zeros: as is). */
  private static byte[] oneFrame(byte[] payload) throws java.io.IOException {
    java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
    f.write(0x81);
    // The shortest length encoding: decoders refuse any other.
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(ByteBuffer.allocate(2).putShort((short) payload.length).array());
    } else {
      f.write(0x80 | 127);
      f.write(ByteBuffer.allocate(8).putLong(payload.length).array());
    }
    f.write(new byte[4]);
    f.write(payload);
    return f.toByteArray();
  }

  /** The text of a create of {@code content}, as one message's bytes. */
  private static byte[] createMessage(String content) {
    return new JsonObject().put("rid", 1).put("op", "create").put("data", b64(content)).encode()
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Sends {@code frame} on a fresh connection; the status of the close frame the server answers with. */
  private int closeStatusAfter(byte[] frame) throws java.io.IOException {
    try (java.net.Socket socket = upgraded(dev.base)) {
      java.io.OutputStream out = socket.getOutputStream();
      out.write(frame);
      out.flush();
      return closeStatus(new java.io.DataInputStream(socket.getInputStream()));
    }
  }

  /** Reads the server's next frame, which must be a close frame with a status: that status. */
  private static int closeStatus(java.io.DataInputStream in) throws java.io.IOException {
    int opcode = in.readUnsignedByte() & 0x0f;
    int len = in.readUnsignedByte() & 0x7f;
    assertThat(opcode).as("a close frame, not a reply").isEqualTo(8);
    assertThat(len).as("a close frame with a status").isGreaterThanOrEqualTo(2);
    return in.readUnsignedShort();
  }

  @Test
  void aWholeMessageInOneFrameOverSixtyFourKibIsTaken() throws Exception {
    start(2, 1, new JsonObject());
    // The JDK's client splits long messages into frames; browsers send one frame, as this raw socket does.
    try (java.net.Socket socket = upgraded(dev.base)) {
      java.io.OutputStream out = socket.getOutputStream();
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      String big = "0123456789".repeat(10_000);
      byte[] frame = createMessage(big);
      assertThat(frame.length).isGreaterThan(128 * 1024);
      out.write(oneFrame(frame));
      out.flush();
      int opcode = in.readUnsignedByte() & 0x0f;
      int len = in.readUnsignedByte() & 0x7f;
      long length = len == 126 ? in.readUnsignedShort() : len == 127 ? in.readLong() : len;
      assertThat(opcode).as("a text reply, not a close").isEqualTo(1);
      byte[] reply = new byte[(int) length];
      in.readFully(reply);
      JsonObject created = new JsonObject(new String(reply, StandardCharsets.UTF_8));
      assertThat(created.getInteger("status")).as(created.encode()).isEqualTo(201);
      assertThat(created.getLong("size")).isEqualTo(big.length());
    }
  }

  @Test
  void aFrameWithAReservedBitSetClosesTheConnectionAsAProtocolError() throws Exception {
    start(2, 1, new JsonObject());
    byte[] frame = oneFrame(createMessage("rsv1"));
    // RSV1 names an extension (compression), and none was negotiated: the frame cannot be read as sent.
    frame[0] |= 0x40;
    assertThat(closeStatusAfter(frame)).isEqualTo(1002);
  }

  @Test
  void aTextMessageThatIsNotUtf8ClosesTheConnectionWith1007() throws Exception {
    start(2, 1, new JsonObject());
    byte[] json = "{\"rid\":7,\"op\":\"??\"}".getBytes(StandardCharsets.US_ASCII);
    json[json.length - 4] = (byte) 0xff;
    json[json.length - 3] = (byte) 0xfe;
    assertThat(closeStatusAfter(oneFrame(json))).isEqualTo(1007);
  }

  @Test
  void afterItsCloseFrameTheServerAnswersNothing() throws Exception {
    start(2, 1, new JsonObject());
    byte[] json = "{\"rid\":7,\"op\":\"??\"}".getBytes(StandardCharsets.US_ASCII);
    json[json.length - 4] = (byte) 0xff;
    try (java.net.Socket socket = upgraded(dev.base)) {
      java.io.OutputStream out = socket.getOutputStream();
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      out.write(oneFrame(json));
      out.flush();
      assertThat(closeStatus(in)).isEqualTo(1007);
      // A request the client sent before it read the close frame, then its own close frame.
      out.write(oneFrame("{\"rid\":8,\"op\":\"nonsense\"}".getBytes(StandardCharsets.US_ASCII)));
      out.write(new byte[] {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, 0x03, (byte) 0xe8});
      out.flush();
      // The rest of the close frame (its reason), then the end of the connection: no reply in between.
      assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("text message is not valid UTF-8");
    }
  }

  @Test
  void aFramePastTheAllowanceGetsACloseFrameWith1009() throws Exception {
    // Objects of at most 64 KiB: frames of at most 64 KiB * 4/3 + 64 KiB.
    start(2, 1, new JsonObject().put("websocket-max-bytes", 65536));
    try (java.net.Socket socket = upgraded(dev.base)) {
      java.io.OutputStream out = socket.getOutputStream();
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      byte[] frame = createMessage("x".repeat(200_000));
      try {
        out.write(oneFrame(frame));
        out.flush();
      } catch (java.io.IOException e) {
        // the server may close before it has read it all: its close frame is still there to read
      }
      assertThat(closeStatus(in)).isEqualTo(1009);
    }
    // The same message in many frames (as the JDK's client sends it): the same close.
    Client client = Client.connect(dev.base, "hg-1-1");
    client.socket.sendText(new JsonObject().put("rid", 1).put("op", "create").put("data", b64("x".repeat(200_000)))
        .encode(), true);
    assertThat(client.closed.get(20, TimeUnit.SECONDS)).isEqualTo(1009);
  }

  @Test
  void aClientThatSendsLargeGetsWithoutReadingHoldsLittleAndThenGetsEveryReply() throws Exception {
    // 300 replies of 267 KB (80 MB): the budget share lets one be built at a time.
    pipelinedGetsWithoutReading(200_000, 300);
  }

  @Test
  void aClientThatSendsThousandsOfSmallGetsWithoutReadingIsReadNoFurther() throws Exception {
    // 20,000 replies of 2.7 KB (54 MB): the in-flight bound stops reading at 64 requests.
    pipelinedGetsWithoutReading(2_000, 20_000);
  }

  /**
   * Sends {@code gets} gets of one object of {@code size} bytes and reads nothing: what the gateway
   * holds for the client levels off within its bounds; then every reply arrives, right, and what
   * was held (and taken from the read budget) is let go.
   */
  private void pipelinedGetsWithoutReading(int size, int gets) throws Exception {
    int max = 256 * 1024;
    start(2, 1, new JsonObject().put("websocket-max-bytes", max));
    java.util.Random random = new java.util.Random(7);
    StringBuilder text = new StringBuilder();
    while (text.length() < size) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    String body = text.toString();
    String id = dev.create(body, "hg-1-1");
    java.io.ByteArrayOutputStream requests = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < gets; i++) {
      requests.write(oneFrame(new JsonObject().put("rid", i).put("op", "get").put("id", id).encode()
          .getBytes(StandardCharsets.UTF_8)));
    }
    try (java.net.Socket socket = upgraded(dev.base)) {
      // Sent from another thread: once the gateway stops reading, the send blocks.
      java.util.concurrent.CompletableFuture<Void> sent = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          socket.getOutputStream().write(requests.toByteArray());
          socket.getOutputStream().flush();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      List<Double> samples = new ArrayList<>();
      try {
        Eventually.await("what the server holds for this client levels off", Duration.ofSeconds(30), () -> {
          samples.add(metric("mistore_websocket_held_bytes"));
          int n = samples.size();
          return n >= 6 && samples.get(n - 1) > 0 && samples.subList(n - 6, n).stream().distinct().count() == 1;
        });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + ": " + samples.subList(Math.max(0, samples.size() - 40),
            samples.size()), e);
      }
      assertThat(samples.get(samples.size() - 1)).as("bytes held while the client reads nothing: " + samples)
          .isLessThanOrEqualTo(4.0 * max);

      java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
      java.util.Set<Integer> answered = new java.util.HashSet<>();
      for (int i = 0; i < gets; i++) {
        assertThat(in.readUnsignedByte() & 0x0f).as("a text reply").isEqualTo(1);
        int len = in.readUnsignedByte() & 0x7f;
        long length = len == 126 ? in.readUnsignedShort() : len == 127 ? in.readLong() : len;
        byte[] reply = new byte[(int) length];
        in.readFully(reply);
        JsonObject got = new JsonObject(new String(reply, StandardCharsets.UTF_8));
        assertThat(got.getInteger("status")).as(got.getString("detail")).isEqualTo(200);
        assertThat(new String(Base64.getDecoder().decode(got.getString("data")), StandardCharsets.UTF_8)).isEqualTo(body);
        answered.add(got.getInteger("rid"));
      }
      assertThat(answered).hasSize(gets);
      sent.get(10, TimeUnit.SECONDS);
    }
    Eventually.await("nothing held once the client read all", Duration.ofSeconds(10),
        () -> metric("mistore_websocket_held_bytes") == 0.0 && metric("mistore_read_budget_used_bytes") == 0.0);
  }

  private double metric(String name) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(name)
        + "(\\{[^}]*\\})? (\\S+)$").matcher(dev.get("/metrics").body());
    assertThat(m.find()).as(name + " in /metrics").isTrue();
    return Double.parseDouble(m.group(2));
  }
}
