package org.mistore.codecs;

/**
 * The result of a client's write that its gateway (an HG) may never have heard, because it was down
 * when the write committed: kept by the HG's POP and delivered to the HG when it returns, so the
 * client's retry with the same request id is answered from it.
 *
 * @param hg the gateway the write came through
 * @param requestId the client's request id ({@code Mistore-Request-Id})
 * @param ref the version the write made (version 1: the write created the object)
 * @param keptAt when the node holding it began to keep it (epoch millis); its time to live counts from there
 */
public record OwedReply(String hg, String requestId, VersionRef ref, long size, String sha256, boolean deleted,
    long keptAt) {
  /** Longest request id (the API accepts 128 characters). */
  public static final int MAX_REQUEST_ID = 128;

  public OwedReply {
    NodeIds.require(hg, "gateway");
    if (requestId == null || requestId.isEmpty() || requestId.length() > MAX_REQUEST_ID || ref == null) {
      throw new IllegalArgumentException("owed reply needs a request id of 1-" + MAX_REQUEST_ID
          + " characters and a version");
    }
    if (size < 0 || !BlockRef.isSha256(sha256)) {
      throw new IllegalArgumentException("owed reply size negative or checksum not 64 lower-case hex digits");
    }
  }

  /** Whether the write created the object (a retried {@code POST /v1/objects}). */
  public boolean created() {
    return ref.version() == 1;
  }

  /**
   * The key a gateway finds this result by: {@code create|<request id>} for a creation (the retry
   * does not know the object id yet), else {@code <object id>|<request id>}.
   */
  public String lookupKey() {
    return lookupKey(created() ? null : ref.id(), requestId);
  }

  /** See {@link #lookupKey()}; {@code id} null for a creation. */
  public static String lookupKey(ObjectId id, String requestId) {
    return (id == null ? "create" : id.render()) + "|" + requestId;
  }

  /** The same result, kept from {@code at} on (by the node that now holds it). */
  public OwedReply keptSince(long at) {
    return new OwedReply(hg, requestId, ref, size, sha256, deleted, at);
  }

  void write(WireWriter w) {
    w.writeString(hg).writeString(requestId);
    ref.write(w);
    w.writeLong(size).writeString(sha256).writeBoolean(deleted).writeLong(keptAt);
  }

  static OwedReply read(WireReader r) {
    String hg = r.readString();
    String requestId = r.readString();
    VersionRef ref = VersionRef.read(r);
    long size = r.readLong();
    String sha = r.readString();
    boolean deleted = r.readBoolean();
    long keptAt = r.readLong();
    try {
      return new OwedReply(hg, requestId, ref, size, sha, deleted, keptAt);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("owed reply: " + e.getMessage());
    }
  }
}
