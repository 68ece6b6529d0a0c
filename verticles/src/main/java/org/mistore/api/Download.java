package org.mistore.api;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayDeque;
import java.util.function.IntFunction;
import org.mistore.codecs.VersionMeta;

/**
 * Streams bytes {@code [from, to]} of a version to the response block by block, fetching up to
 * {@code maxInFlight} blocks ahead, so memory stays bounded:
 * <ul>
 *   <li>a block is handed to the response only while less than a block's worth of earlier writes
 *   waits for the socket (the response's write queue counts messages, not bytes, and would let
 *   many whole blocks pile up in front of a slow client);
 *   <li>every block fetched counts against the process's {@link MemoryBudget} until the socket took it,
 *   so many slow clients together hold at most the budget (plus one block each).
 * </ul>
 * Every block is checked against its checksum before a byte of it is written. A client that takes
 * none of the bytes waiting for it for {@code stallMs} has its connection cut (the download fails with {@link Stalled}),
 * so it holds neither memory nor what the read holds (a read lock) for longer. Call on the
 * response's context.
 */
final class Download {
  private final HttpServerResponse response;
  private final IntFunction<Future<Buffer>> fetch;
  private final VersionMeta meta;
  private final long from;
  private final long to;
  private final int maxInFlight;
  private final MemoryBudget budget;
  private final Context context;
  private final ArrayDeque<Fetched> ahead = new ArrayDeque<>();
  private final Promise<Void> done = Promise.promise();
  private int nextToFetch;
  private final int lastBlock;
  /** Bytes handed to the response whose write has not completed yet. */
  private long unsent;
  /** Set once the download ended, well or not: nothing more is fetched or written. */
  private boolean finished;
  private boolean waitingForBudget;
  private boolean waitingForDrain;
  private boolean pumping;
  private boolean again;
  /** The block whose arrival was asked to call {@link #pump()}, so it is asked once. */
  private Future<Buffer> awaited;
  private final long stallMs;
  /** Bytes per write to the response: the unit in which a client's progress is seen. */
  static final int PIECE = 64 * 1024;
  /** When the client last took bytes (a write completed), or the download began. */
  private long lastTaken = System.nanoTime();
  private long stallTimer = -1;

  /** A block asked for, and the bytes of the budget it holds. */
  private record Fetched(int index, long bytes, Future<Buffer> block) {
  }

  /** {@code fetch} gives a checked block by index. */
  Download(HttpServerResponse response, IntFunction<Future<Buffer>> fetch, VersionMeta meta,
      long from, long to, int maxInFlight, MemoryBudget budget, long stallMs) {
    this.stallMs = stallMs;
    this.response = response;
    this.fetch = fetch;
    this.meta = meta;
    this.from = from;
    this.to = to;
    this.maxInFlight = maxInFlight;
    this.budget = budget;
    this.context = Vertx.currentContext();
    this.nextToFetch = (int) (from / meta.blockSize());
    this.lastBlock = (int) (to / meta.blockSize());
  }

  Future<Void> run() {
    if (to < from) {
      return response.end();
    }
    Vertx vertx = context.owner();
    stallTimer = vertx.setPeriodic(Math.max(50, stallMs / 4), t -> {
      if (unsent > 0 && System.nanoTime() - lastTaken > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(stallMs)) {
        fail(new Stalled(stallMs));
      }
    });
    pump();
    return done.future().andThen(r -> vertx.cancelTimer(stallTimer));
  }

  /**
   * Does what can be done now: fetch ahead, write the blocks that arrived while the socket keeps up,
   * end. A call from within (a write that completed at once) only asks for another round, so the
   * stack does not grow with the blocks.
   */
  private void pump() {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        step();
      } while (again && !finished);
    } finally {
      pumping = false;
    }
  }

  private void step() {
    while (!finished) {
      fill();
      Fetched head = ahead.peek();
      if (head == null) {
        if (nextToFetch > lastBlock) {
          finished = true;
          response.end().onComplete(done);
        }
        return; // else waiting for the budget: its release calls again
      }
      if (!head.block().isComplete()) {
        if (awaited != head.block()) {
          awaited = head.block();
          head.block().onComplete(x -> pump());
        }
        return;
      }
      if (head.block().failed()) {
        fail(head.block().cause());
        return;
      }
      if (unsent > meta.blockSize()) {
        return; // a write's completion calls again
      }
      if (response.writeQueueFull()) {
        if (!waitingForDrain) {
          waitingForDrain = true;
          response.drainHandler(v -> {
            waitingForDrain = false;
            pump();
          });
        }
        return;
      }
      ahead.poll();
      write(head);
    }
  }

  private void fill() {
    while (ahead.size() < maxInFlight && nextToFetch <= lastBlock) {
      long bytes = meta.blockLength(nextToFetch);
      if (!budget.tryTake(bytes, ahead.isEmpty() && unsent == 0)) {
        if (!waitingForBudget) {
          waitingForBudget = true;
          budget.whenReleased(context, () -> {
            waitingForBudget = false;
            pump();
          });
        }
        return;
      }
      int index = nextToFetch++;
      ahead.add(new Fetched(index, bytes, fetch.apply(index)));
    }
  }

  private void write(Fetched fetched) {
    Buffer block = fetched.block().result();
    long blockStart = (long) fetched.index() * meta.blockSize();
    int sliceFrom = (int) Math.max(0, from - blockStart);
    int sliceTo = (int) Math.min(block.length(), to - blockStart + 1);
    Buffer slice = sliceFrom == 0 && sliceTo == block.length() ? block : block.getBuffer(sliceFrom, sliceTo);
    if (unsent == 0) {
      lastTaken = System.nanoTime(); // the client owed nothing until now (the block was on its way)
    }
    unsent += slice.length();
    // Written in pieces: each one the client takes counts as progress (a whole block may take a slow
    // client longer than the stall time while it reads steadily).
    int length = slice.length();
    for (int at = 0; at < length; at += PIECE) {
      Buffer piece = length <= PIECE ? slice : slice.slice(at, Math.min(length, at + PIECE));
      boolean last = at + PIECE >= length;
      response.write(piece).onComplete(written -> {
        lastTaken = System.nanoTime();
        unsent -= piece.length();
        if (last) {
          budget.release(fetched.bytes());
        }
        if (written.failed()) {
          // The client went away: fetch and write nothing more.
          stop();
          done.tryFail(written.cause());
        } else if (last) {
          pump();
        }
      });
    }
  }

  /** The failure of a download whose client took none of its bytes for the stall time: the client's doing. */
  static final class Stalled extends RuntimeException {
    Stalled(long ms) {
      super("the client took no bytes for " + ms + " ms (download-stall-ms): connection cut", null, false, false);
    }
  }

  /** Ends the download: the blocks fetched and not written give their budget back (written ones do as they complete). */
  private void stop() {
    finished = true;
    long held = 0;
    for (Fetched f : ahead) {
      held += f.bytes();
    }
    ahead.clear();
    if (held > 0) {
      budget.release(held);
    }
  }

  private void fail(Throwable e) {
    stop();
    if (!response.headWritten()) {
      // Nothing sent yet (the first block failed): the caller answers with a problem instead.
      response.headers().remove("Content-Length").remove("Content-Range");
      done.tryFail(e);
      return;
    }
    // Headers are out: the only honest signal left is to cut the stream short.
    response.reset();
    done.tryFail(e);
  }
}
