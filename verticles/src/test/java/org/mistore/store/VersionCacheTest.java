package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;


class VersionCacheTest {
  private final ObjectId id = new ObjectId("pop-1", "pop-2", "hg-1", 1);

  @Test
  void blocksAreBoundedByBytesNotByCount() {
    VersionCache cache = new VersionCache(1 << 20);
    for (int i = 0; i < 100; i++) {
      Buffer data = Buffer.buffer(new byte[100 * 1024]);
      data.setInt(0, i);
      cache.putBlock(new BlockRef(new VersionRef(id, 1), i, data.length(), Checksums.sha256(data)), data);
    }
    assertThat(cache.bytes()).isPositive().isLessThanOrEqualTo(1 << 20);
  }

  @Test
  void aBlockLargerThanAnEighthOfTheCacheIsNotKept() {
    VersionCache cache = new VersionCache(1 << 20);
    Buffer big = Buffer.buffer(new byte[200 * 1024]);
    BlockRef ref = new BlockRef(new VersionRef(id, 1), 0, big.length(), Checksums.sha256(big));
    cache.putBlock(ref, big);
    assertThat(cache.block(ref)).isEmpty();
  }

  @Test
  void newestKeepsTheHighestVersionSeen() {
    VersionCache cache = new VersionCache(1 << 20);
    VersionMeta v2 = meta(2);
    cache.putVersion(v2);
    cache.putVersion(meta(1));
    assertThat(cache.newest(id)).contains(v2);
    assertThat(cache.version(id, 1)).isPresent();
  }

  private VersionMeta meta(long version) {
    return new VersionMeta(new VersionRef(id, version), 0, "", "0".repeat(64), 65536, List.of(), 1, "hg-1", false);
  }
}
