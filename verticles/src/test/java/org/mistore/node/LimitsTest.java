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

    // A JVM without a POP (a DC, an HG) has no transit cache to cap, nor warn about.
    java.util.List<String> warned = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(Limits.class.getName());
    java.util.logging.Handler listen = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        warned.add(r.getMessage());
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    log.addHandler(listen);
    try {
      assertThat(defaults.sharingHeap(256 * MIB, 0, 1)).isEqualTo(defaults);
      assertThat(warned).isEmpty();
      defaults.sharingHeap(256 * MIB, 1, 1);
      assertThat(warned).as("a POP's cache over its share is still capped, with a warning").hasSize(1);
    } finally {
      log.removeHandler(listen);
    }
  }
}
