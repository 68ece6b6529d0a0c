package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.VersionRef;
import org.mistore.store.Checksums;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/** A POP drops blocks of an upload whose gateway went away without committing or aborting it. */
class IdleUploadTest extends DevClusterTestBase {
  private boolean holds(EventBus bus, String pop, BlockRef ref) {
    try {
      bus.<Buffer>request(Addresses.pop(pop, Addresses.OWNER_READ_BLOCK), ref).await();
      return true;
    } catch (ReplyException e) {
      return false;
    }
  }

  @Test
  void anUploadLeftIdleIsDroppedAndTheObjectStaysWritable() {
    start(2, 1, new JsonObject().put("upload-idle-ms", 1000));
    ObjectId id = ObjectId.parse(dev.create("first", "hg-1-1"));
    EventBus bus = dev.cluster.vertx().eventBus();
    // A gateway stores block 0 of version 2 at the primary, then is never heard of again.
    Buffer data = Buffer.buffer("half of an upload ".repeat(100));
    BlockRef ref = new BlockRef(new VersionRef(id, 2), 0, data.length(), Checksums.sha256(data));
    bus.request(Addresses.pop(id.primaryPop(), Addresses.OWNER_BLOCK), new StoreBlock(ref, data)).await();
    assertThat(holds(bus, id.primaryPop(), ref)).isTrue();

    Eventually.await("the idle upload dropped", Duration.ofSeconds(15), () -> !holds(bus, id.primaryPop(), ref));
    assertThat(dev.get("/v1/objects/" + id.render()).body()).isEqualTo("first");
    assertThat(dev.put("/v1/objects/" + id.render(), "second").statusCode()).isEqualTo(200);
    assertThat(dev.get("/v1/objects/" + id.render()).body()).isEqualTo("second");
  }
}
