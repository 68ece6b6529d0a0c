package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Samples;
import org.mistore.testing.TwoMembers;

/** Every wire type crosses a real Hazelcast-clustered event bus between two Vert.x instances. */
class ClusteredCodecTest {
  private TwoMembers cluster;

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyWireTypeRoundTripsAcrossTwoClusteredInstances() {
    cluster = TwoMembers.start("codec");
    cluster.b.vertx().eventBus().consumer("mistore.test.b.echo", m -> m.reply(m.body())).completion().await();
    for (Object value : Samples.all()) {
      Object back = cluster.a.vertx().eventBus().request("mistore.test.b.echo", value).await().body();
      assertThat(back).as(value.getClass().getSimpleName()).isEqualTo(value).isNotSameAs(value);
    }
  }
}
