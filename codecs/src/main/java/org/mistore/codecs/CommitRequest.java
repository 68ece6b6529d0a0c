package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;

/**
 * Commit of a version at an object's primary (and its mirror at the backup). A version of at most
 * one block may carry that block inline, so block and version become durable in one commit.
 *
 * @param inline the only block of the version, or an empty buffer when its blocks were sent before
 * @param hashed the sender computed the version's first block checksum from these very inline bytes
 *     in this process: like {@link StoreBlock#hashed}, it survives the event bus's in-process delivery
 *     (a copy of the bytes), never the wire
 */
public record CommitRequest(VersionMeta meta, Buffer inline, boolean hashed) {
  public CommitRequest {
    if (meta == null || inline == null) {
      throw new IllegalArgumentException("commit request needs a version and an inline buffer (may be empty)");
    }
    if (inline.length() > 0 && (meta.blockCount() != 1 || inline.length() != meta.blockLength(0))) {
      throw new IllegalArgumentException("an inline block must be the version's only block");
    }
  }

  /** A commit whose inline block (if any) the receiver must check. */
  public CommitRequest(VersionMeta meta, Buffer inline) {
    this(meta, inline, false);
  }

  public static CommitRequest of(VersionMeta meta) {
    return new CommitRequest(meta, Buffer.buffer());
  }

  public boolean hasInline() {
    return inline.length() > 0;
  }

  CommitRequest copy() {
    return new CommitRequest(meta, inline.copy(), hashed);
  }

  void write(WireWriter w) {
    meta.write(w);
    w.writeBuffer(inline);
  }

  static CommitRequest read(WireReader r) {
    VersionMeta meta = VersionMeta.read(r);
    Buffer inline = r.readBuffer();
    try {
      return new CommitRequest(meta, inline);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("commit request: " + e.getMessage());
    }
  }
}
