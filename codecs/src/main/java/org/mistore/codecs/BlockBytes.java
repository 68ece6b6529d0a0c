package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Codec for a block's bytes sent as a {@link Buffer} (replies to block reads). On the wire it is a
 * length and the bytes, like Vert.x's own Buffer codec; in-process it hands over the same Buffer
 * instead of a copy: nobody writes into a block's bytes once they are read, and a large download
 * copied each MiB twice (owner to relaying POP to gateway) for nothing. Chosen per message with
 * {@link #options()}; receivers still get a Buffer.
 */
public final class BlockBytes implements MessageCodec<Buffer, Buffer> {
  public static final BlockBytes CODEC = new BlockBytes();
  public static final String NAME = "mistore.block-bytes";

  private BlockBytes() {
  }

  /** Delivery options that send a Buffer with this codec. */
  public static DeliveryOptions options() {
    return new DeliveryOptions().setCodecName(NAME);
  }

  /** Delivery options for a reply that may be a block's bytes: this codec for a Buffer, the default otherwise. */
  public static DeliveryOptions optionsFor(Object body) {
    return body instanceof Buffer ? options() : new DeliveryOptions();
  }

  @Override
  public void encodeToWire(Buffer buffer, Buffer bytes) {
    buffer.appendInt(bytes.length()).appendBuffer(bytes);
  }

  @Override
  public Buffer decodeFromWire(int pos, Buffer buffer) {
    if (pos < 0 || buffer.length() - pos < 4) {
      throw new MalformedWireException("block bytes: no length prefix");
    }
    int length = buffer.getInt(pos);
    if (length < 0 || length > buffer.length() - pos - 4) {
      throw new MalformedWireException("block bytes: length " + length + " does not fit a buffer of "
          + (buffer.length() - pos - 4) + " bytes");
    }
    return buffer.getBuffer(pos + 4, pos + 4 + length);
  }

  @Override
  public Buffer transform(Buffer bytes) {
    return bytes;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
