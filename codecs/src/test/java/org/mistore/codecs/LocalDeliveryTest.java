package org.mistore.codecs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class LocalDeliveryTest {

  @Test
  void everyTypeTravelsTheLocalEventBusAfterRegistration(Vertx vertx) {
    Codecs.registerAll(vertx);
    vertx.eventBus().consumer("echo", m -> m.reply(m.body())).completion().await();
    for (Object value : Samples.all()) {
      Object back = vertx.eventBus().request("echo", value).await().body();
      assertThat(back).isEqualTo(value);
    }
  }
}
