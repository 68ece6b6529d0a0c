package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.Optional;
import java.util.concurrent.ConcurrentNavigableMap;
import org.mapdb.DB;
import org.mapdb.Serializer;
import org.mistore.codecs.BlockRef;

/**
 * Blocks in a role's MapDB file, keyed by object, version, index and checksum (sorted, so one
 * version's blocks are a key range). A block is checked against its checksum before it is stored;
 * a write is acknowledged after the commit that makes it durable. Used by POPs and HGs alike.
 */
public final class BlockStore {
  private final RoleStore store;
  private final ConcurrentNavigableMap<String, byte[]> blocks;

  /** Declares the block map; call on a worker thread (inside {@link RoleStore#write}). */
  public BlockStore(RoleStore store, DB db) {
    this.store = store;
    this.blocks = store.treeMap("blocks", Serializer.STRING, Serializer.BYTE_ARRAY);
  }

  /** {@code id/version(19 digits)} — the prefix of every block key of one version. */
  public static String versionKey(String id, long version) {
    return id + "/" + String.format("%019d", version);
  }

  public static String key(BlockRef ref) {
    return versionKey(ref.version().id().render(), ref.version().version()) + "/" + String.format("%010d", ref.index())
        + "/" + ref.sha256();
  }

  /** The raw map, for maintenance passes run on the store's writer thread. */
  public ConcurrentNavigableMap<String, byte[]> map() {
    return blocks;
  }

  /** Stores a block durably; fails with {@link IllegalArgumentException} when it does not match its ref. */
  public Future<Void> put(BlockRef ref, Buffer data) {
    return store.checked(data, ref.length(), ref.sha256(), "block " + ref.index()).compose(bytes -> store.write(db -> {
      blocks.put(key(ref), bytes);
      return null;
    }));
  }

  public Future<Optional<Buffer>> get(BlockRef ref) {
    return store.read(db -> Optional.ofNullable(blocks.get(key(ref))).map(Buffer::buffer));
  }
}
