package org.mistore.codecs;

/**
 * Heartbeat of one role on one node: who it is, where it sits, the cluster member hosting it, its
 * capacity and use. HGs send theirs to their POP, which relays them; POPs and the DC publish theirs.
 *
 * @param pop the HG's POP, empty for POPs and the DC
 * @param memberId the cluster member (Hazelcast node id) hosting the role, or {@code local} in dev mode
 */
public record NodeReport(String nodeId, Role role, String region, String pop, String memberId,
    long capacityBytes, long usedBytes, long startedAt, long sentAt) {
  public NodeReport {
    NodeIds.require(nodeId, "node id");
    NodeIds.require(region, "region");
    if (role == null || pop == null || memberId == null) {
      throw new IllegalArgumentException("node report needs a role, a pop (may be empty) and a member id");
    }
    if (role == Role.HG) {
      NodeIds.require(pop, "POP of HG " + nodeId);
    }
    if (capacityBytes < 0 || usedBytes < 0) {
      throw new IllegalArgumentException("negative capacity or use");
    }
  }

  void write(WireWriter w) {
    w.writeString(nodeId).writeEnum(role).writeString(region).writeString(pop).writeString(memberId)
        .writeLong(capacityBytes).writeLong(usedBytes).writeLong(startedAt).writeLong(sentAt);
  }

  static NodeReport read(WireReader r) {
    String id = r.readString();
    Role role = r.readEnum(Role.class);
    String region = r.readString();
    String pop = r.readString();
    String member = r.readString();
    long capacity = r.readLong();
    long used = r.readLong();
    long started = r.readLong();
    long sent = r.readLong();
    try {
      return new NodeReport(id, role, region, pop, member, capacity, used, started, sent);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("node report: " + e.getMessage());
    }
  }
}
