package org.mistore.hg;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import org.mapdb.DB;
import org.mapdb.Serializer;
import org.mistore.codecs.BlockRef;
import org.mistore.store.BlockStore;
import org.mistore.store.RoleStore;

/**
 * The blocks an HG holds for its POP, within the quota the HG donates. The bytes held are counted in
 * the same commit as each put and delete, so the quota survives restarts exactly.
 */
final class HgBlocks {
  private static final String HELD = "held-bytes";
  private final RoleStore store;
  private final BlockStore blocks;
  private final ConcurrentMap<String, Long> counters;
  private final long quota;
  private volatile long held;

  /** Refused because the block would take the HG past its quota. */
  static final class QuotaExceeded extends RuntimeException {
    QuotaExceeded(String message) {
      super(message, null, false, false);
    }
  }

  private HgBlocks(RoleStore store, DB db, long quota) {
    this.store = store;
    this.blocks = new BlockStore(store);
    this.counters = store.hashMap("hg-counters", Serializer.STRING, Serializer.LONG);
    this.quota = quota;
    Long known = counters.get(HELD);
    if (known == null) {
      // A store written before the count existed: count once.
      known = blocks.heldBytes();
      counters.put(HELD, known);
    }
    held = known;
  }

  /** Opens the maps on the store's writer thread. */
  static Future<HgBlocks> open(RoleStore store, long quota) {
    return store.write(db -> new HgBlocks(store, db, quota));
  }

  long heldBytes() {
    return held;
  }

  long quotaBytes() {
    return quota;
  }

  /**
   * Stores a block durably after checking it against its ref; a block already held is acknowledged
   * again. Fails with {@link QuotaExceeded} when it does not fit, {@link IllegalArgumentException} when
   * it does not match its ref.
   */
  Future<Void> put(BlockRef ref, Buffer data) {
    return store.checked(data, ref.length(), ref.sha256(), "block " + ref.index()).compose(bytes -> store.write(db -> {
      String key = BlockStore.key(ref);
      long old = blocks.lengthOf(key);
      long now = counters.getOrDefault(HELD, 0L);
      long after = now - Math.max(0, old) + bytes.length;
      if (after > quota && after > now) {
        throw new QuotaExceeded("holds " + now + " of its " + quota + " bytes quota");
      }
      blocks.putNow(key, bytes);
      counters.put(HELD, after);
      held = after;
      return null;
    }));
  }

  Future<Optional<Buffer>> get(BlockRef ref) {
    return store.read(db -> Optional.ofNullable(blocks.getNow(BlockStore.key(ref))).map(Buffer::buffer));
  }

  Future<Void> delete(BlockRef ref) {
    return store.write(db -> {
      long old = blocks.removeNow(BlockStore.key(ref));
      if (old >= 0) {
        long after = Math.max(0, counters.getOrDefault(HELD, 0L) - old);
        counters.put(HELD, after);
        held = after;
      }
      return null;
    });
  }

  /** Every block key held, in key order. */
  Future<List<String>> keys() {
    return store.read(db -> new ArrayList<>(blocks.keys()));
  }
}
