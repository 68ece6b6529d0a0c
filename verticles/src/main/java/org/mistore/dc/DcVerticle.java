package org.mistore.dc;

import io.vertx.core.Future;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;

/** The datacenter: metadata, monitoring and stand-in backup. Here it has its identity, store and liveness. */
public final class DcVerticle extends RoleVerticle {

  public DcVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.DC) {
      throw new IllegalArgumentException("DcVerticle needs a DC identity");
    }
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    return List.of();
  }

  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, report);
  }
}
