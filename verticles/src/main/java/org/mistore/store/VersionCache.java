package org.mistore.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.buffer.Buffer;
import java.util.Optional;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;

/**
 * A memory cache of versions: blocks, bounded by bytes, and the metadata of versions seen. An HG
 * keeps one as its owner cache, a POP as its transit cache. Versions are immutable, so a cached block or version is never stale; what a cache cannot
 * know is whether a newer version exists, which is why atomic reads still ask the primary. Evicting
 * never loses data: the durable copies are at the POPs.
 */
public final class VersionCache {
  private final Cache<String, Buffer> blocks;
  private final Cache<String, VersionMeta> versions;
  private final Cache<ObjectId, VersionMeta> newest;
  private final long maxBytes;

  public VersionCache(long maxBytes) {
    this.maxBytes = maxBytes;
    this.blocks = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String k, Buffer b) -> b.length() + k.length())
        .executor(Runnable::run)
        .build();
    this.versions = Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();
    this.newest = Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();
  }

  private static String key(BlockRef ref) {
    return ref.version().id().render() + "/" + ref.version().version() + "/" + ref.index() + "/" + ref.sha256();
  }

  private static String key(ObjectId id, long version) {
    return id.render() + "/" + version;
  }

  public Optional<Buffer> block(BlockRef ref) {
    return Optional.ofNullable(blocks.getIfPresent(key(ref)));
  }

  /** Whether the block is cached now (without counting as a use). */
  public boolean holds(BlockRef ref) {
    return blocks.asMap().containsKey(key(ref));
  }

  /** Whether every block of {@code meta} is cached now: only then may a cached version say its bytes come from here. */
  public boolean holdsAll(VersionMeta meta) {
    for (int i = 0; i < meta.blockCount(); i++) {
      if (!holds(meta.block(i))) {
        return false;
      }
    }
    return true;
  }

  /** Caches a block that passed its checksum; blocks larger than an eighth of the cache are not kept. */
  public void putBlock(BlockRef ref, Buffer data) {
    if (data.length() <= maxBytes / 8) {
      blocks.put(key(ref), data);
    }
  }

  public Optional<VersionMeta> version(ObjectId id, long version) {
    return Optional.ofNullable(versions.getIfPresent(key(id, version)));
  }

  /** The newest version of {@code id} this HG has seen (read or written). */
  public Optional<VersionMeta> newest(ObjectId id) {
    return Optional.ofNullable(newest.getIfPresent(id));
  }

  /** Caches a version's metadata; a cache of 0 bytes is off and keeps nothing. */
  public void putVersion(VersionMeta meta) {
    if (maxBytes == 0) {
      return;
    }
    versions.put(key(meta.ref().id(), meta.ref().version()), meta);
    newest.asMap().merge(meta.ref().id(), meta,
        (old, neu) -> neu.ref().version() > old.ref().version() ? neu : old);
  }

  /** Bytes of blocks held now (after pending evictions). */
  public long bytes() {
    blocks.cleanUp();
    return blocks.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
  }
}
