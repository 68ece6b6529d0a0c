package org.mistore.pop;

import java.util.Comparator;
import java.util.Optional;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.directory.NodeDirectory;
import org.mistore.directory.NodeStatus;

/**
 * Who holds an object's two durable copies now. Normally its primary and backup POPs. While one of
 * them is down, the other acts as primary and a stand-in holds the second copy: the DC, or, while the
 * DC is down too, the first live POP (in id order) that is neither primary nor backup. A node the
 * directory has not heard of counts as up while the directory may not have heard every live node
 * yet (its first failure-detection period), and as down after that.
 */
public final class Owners {
  /** A copy-holder: a POP or the DC. */
  public record Holder(Role role, String id) {
    public String address(String verb) {
      return Addresses.of(role, id, verb);
    }

    public String describe() {
      return role.name() + " " + id;
    }

    /** {@code <role>:<node id>}, as stored (see {@link #ofKey}). */
    public String key() {
      return role.wireName() + ":" + id;
    }

    /** The holder a {@link #key} names. */
    public static Holder ofKey(String key) {
      int colon = key.indexOf(':');
      return new Holder(Role.parse(key.substring(0, colon)), key.substring(colon + 1));
    }
  }

  private final NodeDirectory directory;

  public Owners(NodeDirectory directory) {
    this.directory = directory;
  }

  public NodeDirectory directory() {
    return directory;
  }

  /**
   * How long a copy-holder gets to answer a block store or a commit: twice the failure-detection time
   * plus a second. A holder that dies with such a request in flight fails the write in about that
   * time (the client retries; by then the holder is seen down and another stands in), instead of
   * after the event bus's default 30 s.
   */
  public long peerTimeoutMs() {
    return 2 * directory.detectionMillis() + 1000;
  }

  public boolean isDown(String popId) {
    return isDown(Role.POP, popId);
  }

  private boolean isDown(Role role, String id) {
    return directory.find(role, id).map(e -> e.status() == NodeStatus.DOWN).orElseGet(directory::unheardIsDown);
  }

  /**
   * Whether no POP of {@code id}'s pair has ever been heard of, long after every live node would have
   * been: the id names POPs that are not part of this cluster, so no object has it.
   */
  public boolean namesNoMember(ObjectId id) {
    return directory.unheardIsDown() && directory.find(Role.POP, id.primaryPop()).isEmpty()
        && directory.find(Role.POP, id.backupPop()).isEmpty();
  }

  /** The POP acting as primary of {@code id}, empty when primary and backup are both down. */
  public Optional<String> actingPrimary(ObjectId id) {
    if (!isDown(id.primaryPop())) {
      return Optional.of(id.primaryPop());
    }
    return isDown(id.backupPop()) ? Optional.empty() : Optional.of(id.backupPop());
  }

  /**
   * The holder of the second copy while {@code actingPrimary} serves {@code id}: the other POP of the
   * pair when it is up, else a stand-in; empty when nobody can hold it.
   */
  public Optional<Holder> actingBackup(ObjectId id, String actingPrimary) {
    String other = actingPrimary.equals(id.primaryPop()) ? id.backupPop() : id.primaryPop();
    if (!isDown(other)) {
      return Optional.of(new Holder(Role.POP, other));
    }
    return standIn(id);
  }

  /** Who stands in for a down copy-holder of {@code id}: the DC if up, else a live POP outside the pair. */
  public Optional<Holder> standIn(ObjectId id) {
    Optional<Holder> dc = directory.up(Role.DC).stream().map(NodeReport::nodeId).sorted().findFirst()
        .map(dcId -> new Holder(Role.DC, dcId));
    if (dc.isPresent()) {
      return dc;
    }
    return directory.up(Role.POP).stream().map(NodeReport::nodeId)
        .filter(p -> !p.equals(id.primaryPop()) && !p.equals(id.backupPop()))
        .min(Comparator.naturalOrder())
        .map(p -> new Holder(Role.POP, p));
  }

  /** The copy-holders of {@code id} now: acting primary first, then the acting backup. */
  public Optional<Holder[]> copySet(ObjectId id) {
    return actingPrimary(id).flatMap(primary -> actingBackup(id, primary)
        .map(backup -> new Holder[] {new Holder(Role.POP, primary), backup}));
  }

  /** The other copy-holder when {@code self} acts as primary: the other POP, else a stand-in. */
  public Optional<Holder> peerOf(ObjectId id, String self) {
    return actingBackup(id, self);
  }
}
