package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Appends wire values to a {@link Buffer}: big-endian numbers, length-prefixed UTF-8 and bytes. */
public final class WireWriter {
  private final Buffer buffer;

  public WireWriter(Buffer buffer) {
    this.buffer = buffer;
  }

  public WireWriter writeByte(int b) {
    buffer.appendByte((byte) b);
    return this;
  }

  public WireWriter writeBoolean(boolean b) {
    return writeByte(b ? 1 : 0);
  }

  public WireWriter writeInt(int v) {
    buffer.appendInt(v);
    return this;
  }

  public WireWriter writeLong(long v) {
    buffer.appendLong(v);
    return this;
  }

  public WireWriter writeString(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
    return this;
  }

  public WireWriter writeBytes(byte[] bytes) {
    buffer.appendInt(bytes.length).appendBytes(bytes);
    return this;
  }

  public WireWriter writeBuffer(Buffer b) {
    buffer.appendInt(b.length()).appendBuffer(b);
    return this;
  }

  public WireWriter writeEnum(Enum<?> e) {
    return writeByte(e.ordinal());
  }
}
