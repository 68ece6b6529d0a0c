package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.CommitRequest;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.store.Checksums;
import org.mistore.testing.DevClusterTestBase;

/** A backup that committed a version its primary never finished (its answer was lost) does not block the object. */
class HoldersDisagreeTest extends DevClusterTestBase {
  @Test
  void aBackupAheadOfItsPrimaryIsCopiedAfterOneRefusedWrite() {
    start(2, 1, new JsonObject());
    ObjectId id = ObjectId.parse(dev.create("first", "hg-1-1"));
    // The backup commits version 2 as the primary's mirror commit would; the primary never hears back.
    Buffer lost = Buffer.buffer("its answer was lost");
    String sha = Checksums.sha256(lost);
    VersionMeta two = new VersionMeta(new VersionRef(id, 2), lost.length(), "text/plain", sha, 1 << 20, List.of(sha),
        System.currentTimeMillis(), "hg-1-1", false);
    dev.cluster.vertx().eventBus().request(Addresses.pop(id.backupPop(), Addresses.OWNER_MIRROR_COMMIT),
        new CommitRequest(two, lost), new DeliveryOptions().addHeader(Addresses.HEADER_FROM, id.primaryPop())).await();
    assertThat(dev.get("/v1/objects/" + id.render()).body()).as("the primary's head is still 1").isEqualTo("first");

    int refused = dev.put("/v1/objects/" + id.render(), "third").statusCode();
    assertThat(refused).as("the write that found the copies disagreeing").isEqualTo(503);
    var retried = dev.put("/v1/objects/" + id.render(), "third");
    assertThat(retried.statusCode()).as("its retry").isEqualTo(200);
    assertThat(new JsonObject(retried.body()).getLong("version")).isEqualTo(3);
    assertThat(dev.get("/v1/objects/" + id.render() + "?version=2").body()).isEqualTo("its answer was lost");
    assertThat(dev.get("/v1/objects/" + id.render()).body()).isEqualTo("third");
  }
}
