package org.mistore.placement;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.StoreBlocks;
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
  private final org.mistore.directory.NodeDirectory directory;
  /** Reads in flight per HG: one seen down fails them at once (the next copy is asked), not at the timeout. */
  private final java.util.Map<String, org.mistore.directory.NodeLink> links = new java.util.concurrent.ConcurrentHashMap<>();

  HgCopies(Vertx vertx, long readTimeoutMs, org.mistore.directory.NodeDirectory directory) {
    this.vertx = vertx;
    this.readTimeoutMs = readTimeoutMs;
    this.directory = directory;
    directory.onDown(e -> {
      if (e.report().role() == org.mistore.codecs.Role.HG) {
        org.mistore.directory.NodeLink link = links.get(e.report().nodeId());
        if (link != null) {
          link.wentDown();
        }
      }
    });
  }

  /** Reads a block from one HG; never fails: a bad, missing or late copy is an outcome. */
  Future<Read> read(String hg, BlockRef ref) {
    org.mistore.directory.NodeLink link = links.computeIfAbsent(hg, h -> new org.mistore.directory.NodeLink(vertx,
        () -> directory.knownDown(org.mistore.codecs.Role.HG, h), () -> new Unread(Outcome.FAILED)));
    return link.guard(vertx.eventBus().<Buffer>request(Addresses.hg(hg, Addresses.HG_READ_BLOCK), ref,
            new DeliveryOptions().setSendTimeout(readTimeoutMs)))
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

  /** Blocks up to this size wait a little to travel to their HG with others, in one message. */
  static final int BATCHED_BLOCK_BYTES = 64 * 1024;
  /** The longest a small block waits for others bound to the same HG. */
  static final long BATCH_LINGER_MS = 5;
  /** A batch leaves at once when its blocks reach this many bytes. */
  private static final long BATCH_BYTES = 1L << 20;

  /** Small blocks waiting to go to one HG, and their callers' promises in the same order. */
  private static final class Outgoing {
    final List<StoreBlock> blocks = new ArrayList<>();
    final List<Promise<Void>> stored = new ArrayList<>();
    long bytes;
    long timer = -1;
  }

  private final Map<String, Outgoing> outgoing = new HashMap<>();

  /**
   * Stores a block on an HG; fails with the HG's failure ({@link FailureCode#FULL} when over quota).
   * Small blocks go with the others bound to the same HG within {@link #BATCH_LINGER_MS}: one message
   * and one batch of the HG's store for all. {@code hashed}: as {@link StoreBlock#hashed}. Call on
   * the POP's context.
   */
  Future<Void> store(String hg, BlockRef ref, Buffer data, boolean hashed) {
    if (data.length() > BATCHED_BLOCK_BYTES) {
      return storeOne(hg, new StoreBlock(ref, data, hashed));
    }
    Outgoing batch = outgoing.computeIfAbsent(hg, k -> new Outgoing());
    Promise<Void> stored = Promise.promise();
    batch.blocks.add(new StoreBlock(ref, data, hashed));
    batch.stored.add(stored);
    batch.bytes += data.length();
    if (batch.blocks.size() >= StoreBlocks.MAX_BLOCKS || batch.bytes >= BATCH_BYTES) {
      send(hg, batch);
    } else if (batch.timer < 0) {
      batch.timer = vertx.setTimer(BATCH_LINGER_MS, t -> {
        batch.timer = -1;
        send(hg, batch);
      });
    }
    return stored.future();
  }

  private void send(String hg, Outgoing batch) {
    if (!outgoing.remove(hg, batch)) {
      return; // already sent
    }
    if (batch.timer >= 0) {
      vertx.cancelTimer(batch.timer);
    }
    vertx.eventBus().<JsonArray>request(Addresses.hg(hg, Addresses.HG_STORE_BLOCKS), new StoreBlocks(batch.blocks),
            new DeliveryOptions().setSendTimeout(Math.max(30_000, readTimeoutMs)))
        .onSuccess(m -> {
          JsonArray outcomes = m.body();
          for (int i = 0; i < batch.stored.size(); i++) {
            Object outcome = i < outcomes.size() ? outcomes.getValue(i) : FAILED_WITHOUT_ANSWER;
            if (outcome == null) {
              batch.stored.get(i).complete();
            } else {
              JsonObject failure = outcome instanceof JsonObject j ? j : FAILED_WITHOUT_ANSWER;
              batch.stored.get(i).fail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE,
                  failure.getInteger("code", FailureCode.INTERNAL.code), failure.getString("message")));
            }
          }
        })
        .onFailure(e -> {
          if (e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
            // An HG of an earlier version knows only the one-block verb.
            for (int i = 0; i < batch.blocks.size(); i++) {
              StoreBlock b = batch.blocks.get(i);
              storeOne(hg, b).onComplete(batch.stored.get(i));
            }
          } else {
            batch.stored.forEach(p -> p.fail(e));
          }
        });
  }

  private static final JsonObject FAILED_WITHOUT_ANSWER =
      new JsonObject().put("code", FailureCode.INTERNAL.code).put("message", "the HG gave no answer for this block");

  private Future<Void> storeOne(String hg, StoreBlock block) {
    return vertx.eventBus().request(Addresses.hg(hg, Addresses.HG_STORE_BLOCK), block,
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
