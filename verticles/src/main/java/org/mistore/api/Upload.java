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
 *
 * <p>The bytes an upload holds (the block being filled, and blocks on their way) come out of the
 * gateway's {@link MemoryBudget} for uploads: an upload starts reading once it has room for one block
 * and takes room for more as it goes, or waits for its own blocks to arrive. However many clients
 * upload at once, or stall mid-body, together they hold at most the budget. A client that sends
 * nothing for {@code stallMs} while its body is wanted gets {@code 408}, and its connection closes.
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
  /** Null for an in-memory body ({@link #runWhole}): it is already held. */
  private final MemoryBudget budget;
  private final long stallMs;
  /** Bytes taken from {@link #budget}; bytes of blocks on their way. */
  private long held;
  private long inFlightBytes;
  /** Whether the request is paused until the budget has room for the next block. */
  private boolean waitingForRoom;
  private long lastRead = System.nanoTime();
  private boolean admitting;
  private long stallTimer = -1;
  /** Set by {@link #close}: nothing of this upload is held any more. */
  private boolean closed;

  /** {@code request} is null for {@link #runWhole}; {@code budget} may be null for it. */
  Upload(HttpServerRequest request, Gateway gateway, VersionRef ref, int blockSize, int maxInFlight, long maxBytes,
      MemoryBudget budget, long stallMs) {
    this.budget = request == null ? null : budget;
    this.stallMs = stallMs;
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
    done.future().onComplete(x -> {
      // Not left armed for its whole time: thousands of small uploads a second would pile timers up.
      if (stallTimer >= 0) {
        gateway.vertx().cancelTimer(stallTimer);
      }
      rebalance();
    });
    long first = nextBlockBytes();
    if (budget == null || first == 0 || request.isEnded()) {
      start();
    } else {
      admit(first, System.nanoTime());
    }
    return done.future();
  }

  /** Starts reading once the budget has room for the first block; 503 when none came within {@code stallMs}. */
  private void admit(long first, long since) {
    if (done.future().isComplete()) {
      return;
    }
    if (budget.tryTake(first, false)) {
      held += first;
      start();
    } else if (System.nanoTime() - since >= stallMs * 1_000_000) {
      done.tryFail(HttpProblem.unavailable("this gateway holds as many uploads as its memory allows "
          + "(upload-buffer-bytes); retry"));
    } else {
      io.vertx.core.Context context = gateway.vertx().getOrCreateContext();
      budget.whenReleased(context, () -> admit(first, since));
      if (!admitting) {
        // Released room wakes this at once; the timer only ends the wait.
        admitting = true;
        gateway.vertx().setTimer(stallMs, t -> context.runOnContext(v -> admit(first, since)));
      }
    }
  }

  /**
   * Gives back all the room this upload took. Call once its result is no longer needed (the commit
   * that carried its inline block is over): until then, the inline block still counts.
   */
  void close() {
    closed = true;
    rebalance();
  }

  private void start() {
    if (expectsContinue(request)) {
      // The body is wanted now: a client waiting for this (curl does, for bodies over 1 MiB) would
      // otherwise send it only after its own timeout. An answer given before this point went without it.
      request.response().writeContinue();
    }
    lastRead = System.nanoTime();
    request.resume();
    if (!ended && !done.future().isComplete()) {
      stallTimer = gateway.vertx().setTimer(stallMs, t -> checkStall());
    }
  }

  /** Fails the upload when its client sent nothing for {@code stallMs} while its body was wanted. */
  private void checkStall() {
    if (ended || done.future().isComplete()) {
      return;
    }
    long quietMs = (System.nanoTime() - lastRead) / 1_000_000;
    if (paused || waitingForRoom) {
      // Not the client's doing: the gateway stopped reading.
      lastRead = System.nanoTime();
      quietMs = 0;
    } else if (quietMs >= stallMs) {
      fail(new HttpProblem(408, "Request Timeout", "the client sent no part of its body for " + quietMs
          + " ms (upload-stall-ms is " + stallMs + ")"));
      return;
    }
    stallTimer = gateway.vertx().setTimer(Math.max(1, stallMs - quietMs), t -> checkStall());
  }

  /**
   * Room the block being filled needs: a whole block, or what the declared length leaves for it (its
   * bytes so far included); 0 once the body ended.
   */
  private long nextBlockBytes() {
    if (ended) {
      return 0;
    }
    java.util.OptionalLong declared = declaredLength(request);
    long filled = current == null ? 0 : current.length();
    return declared.isPresent() ? Math.max(0, Math.min(blockSize, declared.getAsLong() - size + filled)) : blockSize;
  }

  /**
   * Gives back room this upload no longer needs (blocks arrived, or it is over); when it waits for
   * room, takes what it needs if the budget has it, and reads again.
   */
  private void rebalance() {
    if (budget == null) {
      return;
    }
    long needed = needed();
    if (held > needed) {
      budget.release(held - needed);
      held = needed;
    }
    if (waitingForRoom && !done.future().isComplete() && tookRoom()) {
      waitingForRoom = false;
      lastRead = System.nanoTime();
      if (!paused) {
        request.resume();
      }
    }
  }

  /** The room this upload needs now: its blocks on their way and the block being filled (the inline body once it is over). */
  private long needed() {
    return closed ? 0 : done.future().isComplete() ? inFlightBytes + inline.length() : inFlightBytes + nextBlockBytes();
  }

  /** Whether this upload holds the room it {@link #needed needs}, taking it if the budget has it; if not, {@link #rebalance} runs at the next release. */
  private boolean tookRoom() {
    long needed = needed();
    if (held >= needed) {
      return true;
    }
    if (budget.tryTake(needed - held, false)) {
      held = needed;
      return true;
    }
    budget.whenReleased(gateway.vertx().getOrCreateContext(), this::rebalance);
    return false;
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
    lastRead = System.nanoTime();
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
    inFlightBytes += block.length();
    if (inFlight >= maxInFlight && !paused && !ended && request != null) {
      paused = true;
      request.pause();
    }
    if (budget != null && !ended && !waitingForRoom && !tookRoom()) {
      // No room for the next block: read again once a block of this upload (or another's) is through.
      waitingForRoom = true;
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
          inFlightBytes -= block.length();
          if (paused && inFlight < maxInFlight && !ended) {
            paused = false;
            if (!waitingForRoom) {
              request.resume();
            }
          }
          rebalance();
          finishIfDone();
        })
        .onFailure(e -> {
          inFlight--;
          inFlightBytes -= block.length();
          fail(BusErrors.toHttp(e));
          rebalance();
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
