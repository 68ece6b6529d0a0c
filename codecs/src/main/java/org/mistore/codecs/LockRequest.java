package org.mistore.codecs;

/** A request for a lock lease on an object, made on behalf of {@code requester} (an HG id). */
public record LockRequest(ObjectId id, LockType type, long ttlMs, long waitMs, String requester) {
  public LockRequest {
    if (id == null || type == null) {
      throw new IllegalArgumentException("lock request needs an object id and a type");
    }
    if (ttlMs <= 0 || waitMs < 0) {
      throw new IllegalArgumentException("lock ttl must be > 0 and wait >= 0");
    }
    NodeIds.require(requester, "lock requester");
  }

  void write(WireWriter w) {
    id.write(w);
    w.writeEnum(type).writeLong(ttlMs).writeLong(waitMs).writeString(requester);
  }

  static LockRequest read(WireReader r) {
    ObjectId id = ObjectId.read(r);
    LockType type = r.readEnum(LockType.class);
    long ttl = r.readLong();
    long wait = r.readLong();
    String requester = r.readString();
    try {
      return new LockRequest(id, type, ttl, wait, requester);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("lock request: " + e.getMessage());
    }
  }
}
