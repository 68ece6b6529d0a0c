package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;

/** Request to store one block durably; {@code data.length()} must equal {@code ref.length()}. */
public record StoreBlock(BlockRef ref, Buffer data) {
  public StoreBlock {
    if (ref == null || data == null) {
      throw new IllegalArgumentException("store-block needs a ref and data");
    }
    if (data.length() != ref.length()) {
      throw new IllegalArgumentException("block data is " + data.length() + " bytes, ref says " + ref.length());
    }
  }

  StoreBlock copy() {
    return new StoreBlock(ref, data.copy());
  }

  void write(WireWriter w) {
    ref.write(w);
    w.writeBuffer(data);
  }

  static StoreBlock read(WireReader r) {
    BlockRef ref = BlockRef.read(r);
    Buffer data = r.readBuffer();
    try {
      return new StoreBlock(ref, data);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("store-block: " + e.getMessage());
    }
  }
}
