package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayDeque;
import org.mistore.codecs.VersionMeta;

/**
 * Streams bytes {@code [from, to]} of a version to the response block by block, fetching up to
 * {@code maxInFlight} blocks ahead, so memory stays bounded. A block is handed to the response only
 * while less than a block's worth of earlier writes is still waiting for the socket: the response's
 * write queue counts messages, not bytes, and lets many whole blocks pile up in front of a slow client.
 * Every block is checked against its checksum before a byte of it is written.
 */
final class Download {
  private final HttpServerResponse response;
  private final java.util.function.IntFunction<Future<Buffer>> fetch;
  private final VersionMeta meta;
  private final long from;
  private final long to;
  private final int maxInFlight;
  private final ArrayDeque<Future<Buffer>> ahead = new ArrayDeque<>();
  private final Promise<Void> done = Promise.promise();
  private int nextToFetch;
  private int nextToWrite;
  private final int lastBlock;
  /** Bytes handed to the response whose write has not completed yet. */
  private long unsent;
  /** Whether the next block waits for the socket (earlier writes to complete or the queue to drain). */
  private boolean waiting;
  /** Set once a write failed: the client is gone. */
  private boolean stopped;

  /** {@code fetch} gives a checked block by index. */
  Download(HttpServerResponse response, java.util.function.IntFunction<Future<Buffer>> fetch, VersionMeta meta,
      long from, long to, int maxInFlight) {
    this.response = response;
    this.fetch = fetch;
    this.meta = meta;
    this.from = from;
    this.to = to;
    this.maxInFlight = maxInFlight;
    this.nextToFetch = (int) (from / meta.blockSize());
    this.nextToWrite = nextToFetch;
    this.lastBlock = (int) (to / meta.blockSize());
  }

  Future<Void> run() {
    if (to < from) {
      return response.end();
    }
    fill();
    writeNext();
    return done.future();
  }

  private void fill() {
    while (!stopped && ahead.size() < maxInFlight && nextToFetch <= lastBlock) {
      int index = nextToFetch++;
      ahead.add(fetch.apply(index));
    }
  }

  /** Writes the next block once the socket has taken all but at most one block of what went before. */
  private void resume() {
    if (!waiting || stopped) {
      return;
    }
    if (unsent > meta.blockSize()) {
      return; // a write's completion calls again
    }
    if (response.writeQueueFull()) {
      response.drainHandler(v -> resume());
      return;
    }
    waiting = false;
    writeNext();
  }

  private void writeNext() {
    Future<Buffer> head = ahead.poll();
    if (head == null) {
      response.end().onComplete(done);
      return;
    }
    int index = nextToWrite++;
    head.onSuccess(block -> {
      long blockStart = (long) index * meta.blockSize();
      int sliceFrom = (int) Math.max(0, from - blockStart);
      int sliceTo = (int) Math.min(block.length(), to - blockStart + 1);
      Buffer slice = sliceFrom == 0 && sliceTo == block.length() ? block : block.getBuffer(sliceFrom, sliceTo);
      unsent += slice.length();
      response.write(slice).onComplete(written -> {
        unsent -= slice.length();
        if (written.failed()) {
          // The client went away: fetch and write nothing more.
          stopped = true;
          ahead.clear();
          done.tryFail(written.cause());
        } else {
          resume();
        }
      });
      fill();
      waiting = true;
      resume();
    }).onFailure(e -> {
      ahead.clear();
      if (!response.headWritten()) {
        // Nothing sent yet (the first block failed): the caller answers with a problem instead.
        response.headers().remove("Content-Length").remove("Content-Range");
        done.tryFail(e);
        return;
      }
      // Headers are out: the only honest signal left is to cut the stream short.
      response.reset();
      done.tryFail(e);
    });
  }
}
