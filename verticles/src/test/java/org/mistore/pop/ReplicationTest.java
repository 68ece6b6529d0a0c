package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.testing.DevClusterTestBase;
import org.mistore.testing.Eventually;

/** After a write is acknowledged, primary and backup each place every block on an HG of their region. */
class ReplicationTest extends DevClusterTestBase {
  private JsonArray placement(String pop, ObjectId id, long version) {
    return dev.cluster.vertx().eventBus().<JsonObject>request(Addresses.pop(pop, Addresses.PLACEMENT),
        new JsonObject().put("id", id.render()).put("version", version)).await().body().getJsonArray("blocks");
  }

  @Test
  void everyBlockGetsAnHgCopyInThePrimaryAndTheBackupRegion() {
    start(3, 2, new JsonObject().put("block-size", 65536));
    byte[] content = new byte[200_000];
    new Random(3).nextBytes(content);
    String created = dev.send(dev.request("/v1/objects").header("Mistore-Gateway", "hg-2-2")
        .POST(HttpRequest.BodyPublishers.ofByteArray(content))).body();
    ObjectId id = ObjectId.parse(new JsonObject(created).getString("id"));
    VersionMeta meta = dev.cluster.vertx().eventBus().<VersionMeta>request(Addresses.pop("pop-2", Addresses.OWNER_META),
        new JsonObject().put("id", id.render()).put("version", 1)).await().body();
    assertThat(meta.blockCount()).isEqualTo(4);

    for (String pop : new String[] {id.primaryPop(), id.backupPop()}) {
      String region = pop.substring(pop.indexOf('-') + 1);
      Eventually.await("blocks placed by " + pop, Duration.ofSeconds(10),
          () -> placement(pop, id, 1).stream().allMatch(hgs -> !((JsonArray) hgs).isEmpty()));
      JsonArray blocks = placement(pop, id, 1);
      Set<String> used = new HashSet<>();
      for (int i = 0; i < blocks.size(); i++) {
        String hg = blocks.getJsonArray(i).getString(0);
        assertThat(hg).as("block %d of %s stays in its region", i, pop).startsWith("hg-" + region + "-");
        used.add(hg);
        Buffer held = dev.cluster.vertx().eventBus().<Buffer>request(Addresses.hg(hg, Addresses.HG_READ_BLOCK),
            meta.block(i)).await().body();
        int from = i * 65536;
        assertThat(held.getBytes()).isEqualTo(Arrays.copyOfRange(content, from, Math.min(content.length, from + 65536)));
      }
      assertThat(used).as("round-robin over the region's HGs").hasSize(2);
    }
  }
}
