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

  @Test
  void blockBytesAreHandedOverInProcessNotCopied(Vertx vertx) {
    Codecs.registerAll(vertx);
    io.vertx.core.buffer.Buffer block = io.vertx.core.buffer.Buffer.buffer(new byte[] {7, 8, 9});
    vertx.eventBus().consumer("block", m -> m.reply(block, BlockBytes.options())).completion().await();
    Object back = vertx.eventBus().request("block", "read").await().body();
    assertThat(back).isSameAs(block);
    vertx.eventBus().consumer("plain", m -> m.reply(block)).completion().await();
    Object copied = vertx.eventBus().request("plain", "read").await().body();
    assertThat(copied).as("Vert.x's own Buffer codec, for contrast, copies").isNotSameAs(block).isEqualTo(block);
  }

  @Test
  void blockBytesCrossTheWireAsLengthAndBytes() {
    io.vertx.core.buffer.Buffer wire = io.vertx.core.buffer.Buffer.buffer().appendString("head");
    BlockBytes.CODEC.encodeToWire(wire, io.vertx.core.buffer.Buffer.buffer(new byte[] {1, 2, 3}));
    assertThat(BlockBytes.CODEC.decodeFromWire(4, wire).getBytes()).containsExactly(1, 2, 3);
    wire.setInt(4, 4);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BlockBytes.CODEC.decodeFromWire(4, wire))
        .isInstanceOf(MalformedWireException.class);
  }
}
