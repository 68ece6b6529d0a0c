package org.mistore.codecs;

/** Block {@code index} of a version: its length in bytes and its SHA-256 (lower-case hex). */
public record BlockRef(VersionRef version, int index, int length, String sha256) {
  public BlockRef {
    if (version == null) {
      throw new IllegalArgumentException("block ref without version");
    }
    if (index < 0 || length < 0) {
      throw new IllegalArgumentException("block index " + index + " / length " + length + " negative");
    }
    if (!isSha256(sha256)) {
      throw new IllegalArgumentException("block checksum is not 64 lower-case hex digits");
    }
  }

  /** Whether {@code text} is a SHA-256 as the wire carries it: 64 lower-case hex digits. */
  public static boolean isSha256(String text) {
    if (text == null || text.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
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
