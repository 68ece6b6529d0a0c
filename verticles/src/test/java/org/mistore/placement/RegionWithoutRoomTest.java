package org.mistore.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/** POPs whose regions cannot hold copies (no HG, or none with room) keep every block and say so once, not per version. */
class RegionWithoutRoomTest extends DevClusterTestBase {
  private final Logger placement = Logger.getLogger(RegionPlacement.class.getName());
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  private Level before;

  @AfterEach
  void detach() {
    placement.removeHandler(capture);
    placement.setLevel(before);
  }

  @Test
  void versionsThatCannotBePlacedAreToldOnceNotOneWarningEach() {
    before = placement.getLevel();
    // Debug records too: they show each version deferred.
    placement.setLevel(Level.ALL);
    placement.addHandler(capture);
    // HGs that donate one byte: every block is refused, as in a region with no HG at all.
    start(2, 1, new JsonObject().put("capacity-bytes", 1));
    String id = dev.create("v1", "hg-1-1");
    for (int v = 2; v <= 12; v++) {
      assertThat(dev.put("/v1/objects/" + id, "v" + v, "Mistore-Gateway", "hg-1-1").statusCode()).isEqualTo(200);
    }
    // Each of the two POPs holding the object defers the blocks of all 12 versions.
    Eventually.await("every version deferred on both POPs", Duration.ofSeconds(10), () -> records.stream()
        .filter(r -> r.getMessage().contains(" v12: the region cannot hold")).map(r -> r.getMessage().substring(0, 9))
        .distinct().count() == 2);
    List<String> warnings = records.stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage)
        .toList();
    assertThat(warnings).as("one warning per POP, not one per version").hasSize(2)
        .allMatch(w -> w.contains(" v1: the region cannot hold"));
    assertThat(dev.get("/v1/objects/" + id, "Mistore-Gateway", "hg-1-1").body()).isEqualTo("v12");
  }
}
