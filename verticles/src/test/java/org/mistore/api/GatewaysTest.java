package org.mistore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mistore.directory.NodeDirectory;

@ExtendWith(VertxExtension.class)
class GatewaysTest {

  private static List<String> warningsWhileBuilding(Vertx vertx, long cacheBytes) {
    List<String> seen = new CopyOnWriteArrayList<>();
    Logger logger = Logger.getLogger(Gateways.class.getName());
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        seen.add(r.getLevel() + " " + r.getMessage());
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    logger.addHandler(handler);
    try {
      Gateways.of(vertx, Map.of("hg-1", "pop-1"), false, cacheBytes, new NodeDirectory(vertx, 5000));
    } finally {
      logger.removeHandler(handler);
    }
    return seen;
  }

  @Test
  void anHgCacheOverItsHeapShareIsCappedAndSaidSo(Vertx vertx) {
    long cap = Runtime.getRuntime().maxMemory() / 16;
    assertThat(warningsWhileBuilding(vertx, cap * 4))
        .singleElement().asString()
        .startsWith("WARNING hg-cache-bytes " + cap * 4 + " is over 1/16 of the heap")
        .endsWith("keeps at most " + cap + " bytes");
    assertThat(warningsWhileBuilding(vertx, cap)).isEmpty();
  }
}
