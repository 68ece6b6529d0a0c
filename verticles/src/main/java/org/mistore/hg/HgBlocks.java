package org.mistore.hg;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mapdb.DB;
import org.mapdb.Serializer;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.StoreBlock;
import org.mistore.store.BlockStore;
import org.mistore.store.RoleStore;

/**
 * The blocks an HG holds for its POP, within the quota the HG donates. The bytes held are the sum of
 * the block index's lengths (kept by {@link BlockStore} as blocks come and go), so the quota survives
 * restarts exactly without a counter written on every put.
 */
final class HgBlocks {
  private final RoleStore store;
  private final BlockStore blocks;
  private final long quota;
  /** Blocks smaller than this are stored with {@link RoleStore#writeSoon}. */
  static final int SHARED_SYNC_BYTES = 64 * 1024;

  /** Refused because the block would take the HG past its quota. */
  static final class QuotaExceeded extends RuntimeException {
    QuotaExceeded(String message) {
      super(message, null, false, false);
    }
  }

  private HgBlocks(RoleStore store, DB db, long quota) {
    this.store = store;
    this.blocks = new BlockStore(store);
    // Declared so that changes an earlier version journaled to it are replayed, not kept forever.
    store.hashMap("hg-counters", Serializer.STRING, Serializer.LONG);
    this.quota = quota;
  }

  /** Opens the maps on the store's writer thread. */
  static Future<HgBlocks> open(RoleStore store, long quota) {
    return store.write(db -> new HgBlocks(store, db, quota));
  }

  long heldBytes() {
    return blocks.heldBytes();
  }

  long quotaBytes() {
    return quota;
  }

  /**
   * Stores a block durably after checking it against its ref; a block already held is acknowledged
   * again. Fails with {@link QuotaExceeded} when it does not fit, {@link IllegalArgumentException} when
   * it does not match its ref.
   */
  Future<Void> put(StoreBlock block) {
    return putAll(List.of(block)).compose(outcomes -> outcomes.get(0) == null ? Future.succeededFuture()
        : Future.failedFuture(outcomes.get(0)));
  }

  /**
   * Stores several blocks as {@link #put} does each, in one batch of the store; the result has one
   * entry per block, in order: {@code null} when it is stored, else why not ({@link QuotaExceeded},
   * {@link IllegalArgumentException}). Fails as a whole only when the batch could not be made durable.
   */
  Future<List<RuntimeException>> putAll(List<StoreBlock> batch) {
    List<Future<byte[]>> checked = batch.stream()
        .map(b -> store.checked(b.data(), b.ref().length(), b.ref().sha256(), "block " + b.ref().index(), b.hashed()))
        .toList();
    return Future.join(checked).transform(x -> {
      List<RuntimeException> outcomes = new ArrayList<>(batch.size());
      long bytes = 0;
      for (Future<byte[]> c : checked) {
        bytes += c.succeeded() ? c.result().length : 0;
        outcomes.add(c.succeeded() ? null
            : c.cause() instanceof RuntimeException e ? e : new IllegalStateException(c.cause()));
      }
      if (checked.stream().allMatch(Future::failed)) {
        return Future.succeededFuture(outcomes); // nothing to store
      }
      java.util.function.Function<DB, List<RuntimeException>> op = db -> {
        for (int i = 0; i < batch.size(); i++) {
          if (outcomes.get(i) == null) {
            try {
              putNow(batch.get(i).ref(), checked.get(i).result());
            } catch (QuotaExceeded e) {
              outcomes.set(i, e);
            }
          }
        }
        return outcomes;
      };
      // Small blocks wait briefly for others to share their fsync (an HG's blocks come after the
      // client's answer); large ones are worth an fsync of their own.
      return bytes < SHARED_SYNC_BYTES ? store.writeSoon(op) : store.write(op);
    });
  }

  private Void putNow(BlockRef ref, byte[] bytes) {
    String key = BlockStore.key(ref);
    long now = blocks.heldBytes();
    // The block's earlier copy (a re-sent block) is looked up only when it decides the quota.
    long after = now + bytes.length <= quota ? now + bytes.length : now - Math.max(0, blocks.lengthOf(key)) + bytes.length;
    if (after > quota && after > now) {
      throw new QuotaExceeded("holds " + now + " of its " + quota + " bytes quota");
    }
    blocks.putNow(key, bytes);
    return null;
  }

  Future<Optional<Buffer>> get(BlockRef ref) {
    // Large blocks come as views of the mapped block file: no copy, and none of the (small) heap.
    return blocks.get(ref);
  }

  Future<Void> delete(BlockRef ref) {
    return store.write(db -> {
      blocks.removeNow(BlockStore.key(ref));
      return null;
    });
  }

  /** Every block key held, in key order. */
  Future<List<String>> keys() {
    return store.read(db -> blocks.sortedKeys());
  }
}
