package org.mistore.codecs;

import java.util.regex.Pattern;

/** Block {@code index} of a version: its length in bytes and its SHA-256 (lower-case hex). */
public record BlockRef(VersionRef version, int index, int length, String sha256) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public BlockRef {
    if (version == null) {
      throw new IllegalArgumentException("block ref without version");
    }
    if (index < 0 || length < 0) {
      throw new IllegalArgumentException("block index " + index + " / length " + length + " negative");
    }
    if (sha256 == null || !HEX64.matcher(sha256).matches()) {
      throw new IllegalArgumentException("block checksum is not 64 lower-case hex digits");
    }
  }

  void write(WireWriter w) {
    version.write(w);
    w.writeInt(index).writeInt(length).writeString(sha256);
  }

  static BlockRef read(WireReader r) {
    VersionRef v = VersionRef.read(r);
    int index = r.readInt();
    int length = r.readInt();
    String sha = r.readString();
    try {
      return new BlockRef(v, index, length, sha);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("block ref: " + e.getMessage());
    }
  }
}
