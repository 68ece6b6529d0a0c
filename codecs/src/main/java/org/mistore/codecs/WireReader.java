package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked reader over a slice of a {@link Buffer}. Every read checks that the bytes it needs
 * are inside the slice and throws {@link MalformedWireException} otherwise.
 */
public final class WireReader {
  private final Buffer buffer;
  private final int end;
  private int pos;

  public WireReader(Buffer buffer, int start, int end) {
    if (start < 0 || end > buffer.length() || start > end) {
      throw new MalformedWireException("slice [" + start + "," + end + ") outside buffer of " + buffer.length());
    }
    this.buffer = buffer;
    this.pos = start;
    this.end = end;
  }

  public static WireReader of(Buffer buffer) {
    return new WireReader(buffer, 0, buffer.length());
  }

  private void need(int n, String what) {
    if (n < 0 || end - pos < n) {
      throw new MalformedWireException("truncated " + what + ": need " + n + " bytes, " + (end - pos) + " left");
    }
  }

  public byte readByte() {
    need(1, "byte");
    return buffer.getByte(pos++);
  }

  public boolean readBoolean() {
    byte b = readByte();
    if (b != 0 && b != 1) {
      throw new MalformedWireException("boolean byte " + b);
    }
    return b == 1;
  }

  public int readInt() {
    need(4, "int");
    int v = buffer.getInt(pos);
    pos += 4;
    return v;
  }

  public long readLong() {
    need(8, "long");
    long v = buffer.getLong(pos);
    pos += 8;
    return v;
  }

  private int readLength(String what) {
    int n = readInt();
    if (n < 0) {
      throw new MalformedWireException("negative length " + n + " for " + what);
    }
    need(n, what);
    return n;
  }

  public String readString() {
    int n = readLength("string");
    byte[] bytes = buffer.getBytes(pos, pos + n);
    pos += n;
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedWireException("string is not valid UTF-8");
    }
  }

  public byte[] readBytes() {
    int n = readLength("bytes");
    byte[] bytes = buffer.getBytes(pos, pos + n);
    pos += n;
    return bytes;
  }

  /** A copy of the next length-prefixed run of bytes, so the value does not alias the frame. */
  public Buffer readBuffer() {
    int n = readLength("buffer");
    Buffer b = buffer.slice(pos, pos + n).copy();
    pos += n;
    return b;
  }

  public <E extends Enum<E>> E readEnum(Class<E> type) {
    byte tag = readByte();
    E[] values = type.getEnumConstants();
    if (tag < 0 || tag >= values.length) {
      throw new MalformedWireException("unknown " + type.getSimpleName() + " tag " + tag);
    }
    return values[tag];
  }

  public int readCount(int max, String what) {
    int n = readInt();
    if (n < 0 || n > max) {
      throw new MalformedWireException(what + " count " + n + " outside 0.." + max);
    }
    return n;
  }

  public void expectEnd() {
    if (pos != end) {
      throw new MalformedWireException((end - pos) + " trailing bytes");
    }
  }
}
