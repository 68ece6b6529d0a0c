package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;

/**
 * Request to store one block durably; {@code data.length()} must equal {@code ref.length()}.
 * {@code hashed} says that the sender computed {@code ref.sha256()} from these very bytes in this
 * process: it survives the event bus's in-process delivery (a copy of the bytes), never the wire,
 * so a receiver may skip hashing again only what cannot have changed on the way.
 */
public record StoreBlock(BlockRef ref, Buffer data, boolean hashed) {
  public StoreBlock {
    if (ref == null || data == null) {
      throw new IllegalArgumentException("store-block needs a ref and data");
    }
    if (data.length() != ref.length()) {
      throw new IllegalArgumentException("block data is " + data.length() + " bytes, ref says " + ref.length());
    }
  }

  /** A block whose checksum the receiver must check. */
  public StoreBlock(BlockRef ref, Buffer data) {
    this(ref, data, false);
  }

  StoreBlock copy() {
    return new StoreBlock(ref, data.copy(), hashed);
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
