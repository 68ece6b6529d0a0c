package org.mistore.codecs;

/**
 * A granted lease: an unguessable token, the fence (rises with every write-lock grant on the object),
 * the object's version at grant time and the expiry instant (epoch millis).
 */
public record LockGrant(String token, LockType type, ObjectId id, long fence, long version, long expiresAt) {
  public LockGrant {
    if (token == null || token.isEmpty() || type == null || id == null) {
      throw new IllegalArgumentException("lock grant needs a token, a type and an object id");
    }
    if (fence < 0 || version < 0) {
      throw new IllegalArgumentException("lock grant fence/version negative");
    }
  }

  void write(WireWriter w) {
    w.writeString(token).writeEnum(type);
    id.write(w);
    w.writeLong(fence).writeLong(version).writeLong(expiresAt);
  }

  static LockGrant read(WireReader r) {
    String token = r.readString();
    LockType type = r.readEnum(LockType.class);
    ObjectId id = ObjectId.read(r);
    long fence = r.readLong();
    long version = r.readLong();
    long expiresAt = r.readLong();
    try {
      return new LockGrant(token, type, id, fence, version, expiresAt);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("lock grant: " + e.getMessage());
    }
  }
}
