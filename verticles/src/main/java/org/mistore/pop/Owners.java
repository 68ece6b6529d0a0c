package org.mistore.pop;

import java.util.Optional;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.directory.NodeDirectory;
import org.mistore.directory.NodeStatus;

/**
 * Which POP serves an object now: its primary, or its backup while the primary is down. A POP the
 * directory has not heard of yet counts as up: only a node known down is failed over.
 */
public final class Owners {
  private final NodeDirectory directory;

  public Owners(NodeDirectory directory) {
    this.directory = directory;
  }

  public NodeDirectory directory() {
    return directory;
  }

  public boolean isDown(String popId) {
    return directory.find(Role.POP, popId).map(e -> e.status() == NodeStatus.DOWN).orElse(false);
  }

  /** The POP acting as primary of {@code id}, empty when primary and backup are both down. */
  public Optional<String> actingPrimary(ObjectId id) {
    if (!isDown(id.primaryPop())) {
      return Optional.of(id.primaryPop());
    }
    return isDown(id.backupPop()) ? Optional.empty() : Optional.of(id.backupPop());
  }

  /** The other copy-holder when {@code self} acts as primary, empty when it is down. */
  public Optional<String> peerOf(ObjectId id, String self) {
    String peer = self.equals(id.primaryPop()) ? id.backupPop() : id.primaryPop();
    return isDown(peer) ? Optional.empty() : Optional.of(peer);
  }
}
