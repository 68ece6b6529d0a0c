package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.VersionRef;
import org.mistore.hg.Gateway;
import org.mistore.store.Checksums;

/**
 * Streams one request body into blocks sent through the gateway's POP to the object's primary and
 * backup. At most {@code maxInFlight} blocks travel at once: beyond, the request is paused, so memory
 * stays bounded whatever the object's size. The whole content's SHA-256 is computed on the way.
 */
final class Upload {
  /**
   * What was read: size, SHA-256, and each block's SHA-256 and CRC32C, in order. A body of at most
   * one block is not sent ahead: it comes back as {@code inline} (empty otherwise) to travel with the commit.
   */
  record Result(long size, String sha256, List<String> blockSha256, List<Integer> blockCrc32c, Buffer inline) {
  }

  private Buffer inline = Buffer.buffer();

  private final HttpServerRequest request;
  private final Gateway gateway;
  private final VersionRef ref;
  private final int blockSize;
  private final int maxInFlight;
  private final long maxBytes;
  private final MessageDigest whole = Checksums.sha256();
  private final List<String> blockShas = new ArrayList<>();
  private final List<Integer> blockCrcs = new ArrayList<>();
  /** The CRC32C of the block being filled, updated as its bytes come (much cheaper than the SHA-256 beside it). */
  private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
  private final Promise<Result> done = Promise.promise();
  private Buffer current;
  private long size;
  private int inFlight;
  private boolean ended;
  private boolean paused;

  /** {@code request} is null for {@link #runWhole}. */
  Upload(HttpServerRequest request, Gateway gateway, VersionRef ref, int blockSize, int maxInFlight, long maxBytes) {
    this.request = request;
    this.gateway = gateway;
    this.ref = ref;
    this.blockSize = blockSize;
    this.maxInFlight = maxInFlight;
    this.maxBytes = maxBytes;
    this.current = Buffer.buffer(firstBufferBytes(request, blockSize));
  }

  /**
   * Room for the first block: what the request declares when that is less (a 4 KiB body does not
   * take 64 KiB per upload), else up to 64 KiB, grown as the block fills.
   */
  private static int firstBufferBytes(HttpServerRequest request, int blockSize) {
    int most = Math.min(blockSize, 64 * 1024);
    java.util.OptionalLong declared = declaredLength(request);
    return declared.isPresent() ? (int) Math.max(0, Math.min(most, declared.getAsLong())) : most;
  }

  /** The body length {@code Content-Length} declares, if any (none for a chunked or in-memory body, or a malformed one). */
  static java.util.OptionalLong declaredLength(HttpServerRequest request) {
    String declared = request == null || request.getHeader("Transfer-Encoding") != null ? null
        : request.getHeader("Content-Length");
    if (declared == null) {
      return java.util.OptionalLong.empty();
    }
    try {
      return java.util.OptionalLong.of(Long.parseLong(declared.trim()));
    } catch (NumberFormatException e) {
      return java.util.OptionalLong.empty();
    }
  }

  /** Stores an in-memory body (WebSocket payloads). */
  Future<Result> runWhole(Buffer data) {
    chunk(data);
    end();
    return done.future();
  }

  private void end() {
    ended = true;
    if (current.length() > 0 && !done.future().isComplete()) {
      if (blockShas.isEmpty()) {
        // The only block is the whole body: its checksum is the body's (set by finishIfDone).
        inline = current;
        blockShas.add(null);
        blockCrcs.add((int) crc.getValue());
      } else {
        dispatch();
      }
    }
    finishIfDone();
  }

  Future<Result> run() {
    request.handler(this::chunk);
    request.endHandler(v -> end());
    request.exceptionHandler(e -> fail(HttpProblem.badRequest("upload interrupted: " + e.getMessage())));
    request.connection().closeHandler(v -> fail(HttpProblem.badRequest("client closed the connection mid-upload")));
    if (expectsContinue(request)) {
      // The body is wanted now: a client waiting for this (curl does, for bodies over 1 MiB) would
      // otherwise send it only after its own timeout. An answer given before this point went without it.
      request.response().writeContinue();
    }
    request.resume();
    return done.future();
  }

  /** Whether the client sends its body only once told {@code 100 Continue} (RFC 9110 section 10.1.1). */
  static boolean expectsContinue(HttpServerRequest request) {
    return request != null && !request.isEnded() && request.version() != HttpVersion.HTTP_1_0
        && "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
  }

  private void chunk(Buffer chunk) {
    if (done.future().isComplete()) {
      return;
    }
    size += chunk.length();
    if (size > maxBytes) {
      fail(new HttpProblem(413, "Content Too Large", "body exceeds the maximum object size of " + maxBytes + " bytes"));
      return;
    }
    Checksums.update(whole, chunk);
    int at = 0;
    while (at < chunk.length()) {
      int take = Math.min(blockSize - current.length(), chunk.length() - at);
      current.appendBuffer(chunk, at, take);
      crc.update(((io.vertx.core.internal.buffer.BufferInternal) chunk).getByteBuf().nioBuffer(at, take));
      at += take;
      if (current.length() == blockSize) {
        dispatch();
      }
    }
  }

  private void dispatch() {
    Buffer block = current;
    // A whole block came: more are likely to follow, so the next one is not grown step by step.
    current = Buffer.buffer(ended ? 0 : blockSize);
    int index = blockShas.size();
    blockShas.add(null); // set once hashed, before the block leaves: all are set when none is in flight
    blockCrcs.add((int) crc.getValue());
    crc.reset();
    inFlight++;
    if (inFlight >= maxInFlight && !paused && !ended && request != null) {
      paused = true;
      request.pause();
    }
    // Off the event loop for large blocks: it goes on reading (and hashing the whole body) meanwhile.
    Checksums.sha256(gateway.vertx(), block)
        .compose(sha -> {
          if (done.future().isComplete()) {
            return Future.failedFuture(new IllegalStateException("upload already ended"));
          }
          blockShas.set(index, sha);
          // Hashed here from these bytes: the POPs, in this process, need not hash them again.
          return gateway.writeBlock(new StoreBlock(new BlockRef(ref, index, block.length(), sha), block, true));
        })
        .onSuccess(v -> {
          inFlight--;
          if (paused && inFlight < maxInFlight && !ended) {
            paused = false;
            request.resume();
          }
          finishIfDone();
        })
        .onFailure(e -> {
          inFlight--;
          fail(BusErrors.toHttp(e));
        });
  }

  private void finishIfDone() {
    if (ended && inFlight == 0 && !done.future().isComplete()) {
      String sha256 = HexFormat.of().formatHex(whole.digest());
      if (inline.length() > 0) {
        blockShas.set(0, sha256);
      }
      done.tryComplete(new Result(size, sha256, List.copyOf(blockShas), List.copyOf(blockCrcs), inline));
    }
  }

  private void fail(Throwable e) {
    if (done.tryFail(e) && !ended && request != null) {
      // Stop reading: whatever else arrives is discarded.
      request.handler(b -> { });
      request.resume();
    }
  }
}
