package org.mistore.codecs;

/** One version of one object. Versions start at 1. */
public record VersionRef(ObjectId id, long version) {
  public VersionRef {
    if (id == null) {
      throw new IllegalArgumentException("version ref without object id");
    }
    if (version < 1) {
      throw new IllegalArgumentException("version " + version + " < 1");
    }
  }

  void write(WireWriter w) {
    id.write(w);
    w.writeLong(version);
  }

  static VersionRef read(WireReader r) {
    ObjectId id = ObjectId.read(r);
    long version = r.readLong();
    try {
      return new VersionRef(id, version);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("version ref: " + e.getMessage());
    }
  }
}
