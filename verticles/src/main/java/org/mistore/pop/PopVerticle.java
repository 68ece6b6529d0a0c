package org.mistore.pop;

import io.vertx.core.Future;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;

/**
 * A point of presence: the hub of a region. Here it takes its HGs' heartbeats and relays them to the
 * whole cluster, so every directory knows every HG while HGs talk only to their POP.
 */
public final class PopVerticle extends RoleVerticle {
  private final Set<String> strangers = ConcurrentHashMap.newKeySet();

  public PopVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.POP) {
      throw new IllegalArgumentException("PopVerticle needs a POP identity");
    }
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    return List.of(vertx.eventBus().<NodeReport>consumer(address(Addresses.HEARTBEAT), m -> relay(m.body()))
        .completion());
  }

  private void relay(NodeReport hg) {
    if (hg.role() != Role.HG || !hg.pop().equals(identity.id())) {
      if (strangers.add(hg.nodeId())) {
        System.getLogger(PopVerticle.class.getName()).log(System.Logger.Level.WARNING,
            "POP {0} ignores heartbeats of {1} {2}, which names POP ''{3}''", identity.id(),
            hg.role().wireName(), hg.nodeId(), hg.pop());
      }
      return;
    }
    vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, hg);
  }

  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, report);
  }
}
