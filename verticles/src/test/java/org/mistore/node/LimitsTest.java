package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class LimitsTest {
  private static final long MIB = 1L << 20;

  @Test
  void theCachesOfTheRolesOfOneJvmShareItsHeap() {
    Limits defaults = DevCluster.tunables(new JsonObject()).limits();
    assertThat(defaults.popCacheBytes()).isEqualTo(64 * MIB);
    assertThat(defaults.hgCacheBytes()).isEqualTo(8 * MIB);

    // A dev cluster (3 POPs, 12 HGs) in 256 MiB: an eighth for the POPs' caches, a sixteenth for the HGs'.
    Limits dev = defaults.sharingHeap(256 * MIB, 3, 12);
    assertThat(dev.popCacheBytes()).isEqualTo(256 * MIB / 8 / 3);
    assertThat(dev.hgCacheBytes()).isEqualTo(256 * MIB / 16 / 12);
    assertThat(dev.blockSize()).isEqualTo(defaults.blockSize());
    assertThat(dev.uploadBufferBytes()).isEqualTo(defaults.uploadBufferBytes());

    // One POP and one HG in a large heap keep what they were given; so does a smaller setting.
    assertThat(defaults.sharingHeap(8192 * MIB, 1, 1)).isEqualTo(defaults);
    Limits small = DevCluster.tunables(new JsonObject().put("pop-cache-bytes", MIB).put("hg-cache-bytes", 0)).limits();
    assertThat(small.sharingHeap(256 * MIB, 3, 12)).isEqualTo(small);
  }
}
