package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Samples;
import org.mistore.testing.Ports;

/** Every wire type crosses a real Hazelcast-clustered event bus between two Vert.x instances. */
class ClusteredCodecTest {
  private ClusterBootstrap.Booted a;
  private ClusterBootstrap.Booted b;

  @AfterEach
  void close() {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  private static NodeSettings member(String id, String cluster, int port, String members) {
    return NodeSettings.from(new JsonObject().put("roles", "dc").put("id", id).put("region", "test")
        .put("cluster-name", cluster).put("cluster-port", port).put("members", members));
  }

  @Test
  void everyWireTypeRoundTripsAcrossTwoClusteredInstances() {
    String cluster = "codec-" + UUID.randomUUID().toString().substring(0, 8);
    int portA = Ports.free();
    int portB = Ports.free();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    a = ClusterBootstrap.clustered(member("a", cluster, portA, members), m -> { });
    b = ClusterBootstrap.clustered(member("b", cluster, portB, members), m -> { });
    b.vertx().eventBus().consumer("mistore.test.b.echo", m -> m.reply(m.body())).completion().await();
    for (Object value : Samples.all()) {
      Object back = a.vertx().eventBus().request("mistore.test.b.echo", value).await().body();
      assertThat(back).as(value.getClass().getSimpleName()).isEqualTo(value).isNotSameAs(value);
    }
  }
}
