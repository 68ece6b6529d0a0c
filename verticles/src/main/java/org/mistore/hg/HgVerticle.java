package org.mistore.hg;

import io.vertx.core.Future;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;

/** A home gateway: serves its owner's apps and holds blocks for its region. It talks only to its POP. */
public final class HgVerticle extends RoleVerticle {

  public HgVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.HG) {
      throw new IllegalArgumentException("HgVerticle needs an HG identity");
    }
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    return List.of();
  }

  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().send(Addresses.pop(identity.pop(), Addresses.HEARTBEAT), report);
  }
}
