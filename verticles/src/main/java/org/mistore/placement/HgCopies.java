package org.mistore.placement;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.StoreBlock;
import org.mistore.store.Checksums;

/**
 * The POP's calls to the block verbs of its HGs. Every block read is checked against its ref before it
 * is believed; the outcome says why a copy could not be used, so the caller can repair it.
 */
final class HgCopies {
  /** What one HG answered for a block. */
  enum Outcome { GOOD, CORRUPT, MISSING, FAILED }

  record Read(String hg, Outcome outcome, Buffer data) {
  }

  private final Vertx vertx;
  private final long readTimeoutMs;

  HgCopies(Vertx vertx, long readTimeoutMs) {
    this.vertx = vertx;
    this.readTimeoutMs = readTimeoutMs;
  }

  /** Reads a block from one HG; never fails: a bad, missing or late copy is an outcome. */
  Future<Read> read(String hg, BlockRef ref) {
    return vertx.eventBus().<Buffer>request(Addresses.hg(hg, Addresses.HG_READ_BLOCK), ref,
            new DeliveryOptions().setSendTimeout(readTimeoutMs))
        .recover(e -> Future.failedFuture(new Unread(
            e instanceof ReplyException r && r.failureCode() == FailureCode.NOT_FOUND.code ? Outcome.MISSING
                : Outcome.FAILED)))
        // Hashing a block is a few milliseconds of CPU: a worker's job, not the event loop's.
        .compose(m -> vertx.executeBlocking(() -> good(ref, m.body()), false)
            .map(ok -> ok ? new Read(hg, Outcome.GOOD, m.body()) : new Read(hg, Outcome.CORRUPT, null)))
        .recover(e -> Future.succeededFuture(new Read(hg, e instanceof Unread u ? u.outcome : Outcome.FAILED, null)));
  }

  private static final class Unread extends RuntimeException {
    final Outcome outcome;

    Unread(Outcome outcome) {
      super(null, null, false, false);
      this.outcome = outcome;
    }
  }

  static boolean good(BlockRef ref, Buffer data) {
    return Checksums.matches(data, ref.length(), ref.sha256());
  }

  /** Stores a block on an HG; fails with the HG's failure ({@link FailureCode#FULL} when over quota). */
  Future<Void> store(String hg, BlockRef ref, Buffer data) {
    return vertx.eventBus().request(Addresses.hg(hg, Addresses.HG_STORE_BLOCK), new StoreBlock(ref, data),
        new DeliveryOptions().setSendTimeout(Math.max(30_000, readTimeoutMs))).mapEmpty();
  }

  Future<Void> delete(String hg, BlockRef ref) {
    return vertx.eventBus().request(Addresses.hg(hg, Addresses.HG_DELETE_BLOCK), ref).mapEmpty();
  }

  /** Every block key an HG holds. */
  Future<List<String>> list(String hg) {
    return vertx.eventBus().<JsonObject>request(Addresses.hg(hg, Addresses.HG_LIST_BLOCKS), new JsonObject(),
            new DeliveryOptions().setSendTimeout(60_000))
        .map(m -> m.body().getJsonArray("keys").stream().map(String::valueOf).toList());
  }

  static boolean isFull(Throwable e) {
    return e instanceof ReplyException r && r.failureCode() == FailureCode.FULL.code;
  }
}
