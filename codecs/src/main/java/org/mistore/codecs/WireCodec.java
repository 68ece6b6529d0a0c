package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Event-bus codec for one wire type. Frame: {@code int length} (of what follows), one format-version
 * byte, then the type's fields. Decoding checks the length, the version and that the fields use the
 * frame exactly; anything else is a {@link MalformedWireException}.
 */
public final class WireCodec<T> implements MessageCodec<T, T> {
  /** Bumped when any wire type changes its field layout. */
  public static final byte FORMAT_VERSION = 2;

  private final Class<T> type;
  private final BiConsumer<T, WireWriter> encoder;
  private final Function<WireReader, T> decoder;
  private final UnaryOperator<T> localCopy;

  WireCodec(Class<T> type, BiConsumer<T, WireWriter> encoder, Function<WireReader, T> decoder,
      UnaryOperator<T> localCopy) {
    this.type = type;
    this.encoder = encoder;
    this.decoder = decoder;
    this.localCopy = localCopy;
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    int lengthAt = buffer.length();
    buffer.appendInt(0).appendByte(FORMAT_VERSION);
    encoder.accept(value, new WireWriter(buffer));
    buffer.setInt(lengthAt, buffer.length() - lengthAt - 4);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    if (pos < 0 || buffer.length() - pos < 4) {
      throw new MalformedWireException(type.getSimpleName() + ": no length prefix");
    }
    int length = buffer.getInt(pos);
    if (length < 1 || length > buffer.length() - pos - 4) {
      throw new MalformedWireException(type.getSimpleName() + ": length " + length
          + " does not fit a buffer of " + (buffer.length() - pos - 4) + " bytes");
    }
    WireReader reader = new WireReader(buffer, pos + 4, pos + 4 + length);
    byte version = reader.readByte();
    if (version != FORMAT_VERSION) {
      throw new MalformedWireException(type.getSimpleName() + ": format version " + version
          + ", expected " + FORMAT_VERSION);
    }
    T value = decoder.apply(reader);
    reader.expectEnd();
    return value;
  }

  /** Encodes one value into a fresh buffer (tests, stores). */
  public Buffer encode(T value) {
    Buffer b = Buffer.buffer();
    encodeToWire(b, value);
    return b;
  }

  public T decode(Buffer buffer) {
    return decodeFromWire(0, buffer);
  }

  @Override
  public T transform(T value) {
    return localCopy.apply(value);
  }

  @Override
  public String name() {
    return "mistore." + type.getSimpleName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
