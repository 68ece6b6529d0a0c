package org.mistore.codecs;

/** A node's acknowledgement that it holds {@code ref} durably. */
public record Ack(String nodeId, VersionRef ref) {
  public Ack {
    NodeIds.require(nodeId, "acknowledging node");
    if (ref == null) {
      throw new IllegalArgumentException("ack without version ref");
    }
  }

  void write(WireWriter w) {
    w.writeString(nodeId);
    ref.write(w);
  }

  static Ack read(WireReader r) {
    String node = r.readString();
    VersionRef ref = VersionRef.read(r);
    try {
      return new Ack(node, ref);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("ack: " + e.getMessage());
    }
  }
}
