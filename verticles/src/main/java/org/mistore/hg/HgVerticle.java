package org.mistore.hg;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;
import org.mistore.store.BlockStore;

/**
 * A home gateway: serves its owner's apps (through the API verticle) and holds blocks its POP places
 * on it, durably, in its MapDB store. It talks only to its POP.
 */
public final class HgVerticle extends RoleVerticle {
  private BlockStore blocks;

  public HgVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.HG) {
      throw new IllegalArgumentException("HgVerticle needs an HG identity");
    }
  }

  @Override
  protected Future<?> openRoleStores() {
    return store.write(db -> new BlockStore(store, db)).onSuccess(b -> blocks = b);
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    EventBus bus = vertx.eventBus();
    return List.of(
        bus.<StoreBlock>consumer(address(Addresses.HG_STORE_BLOCK), m -> blocks.put(m.body().ref(), m.body().data())
            .onSuccess(v -> m.reply("stored"))
            .onFailure(e -> m.fail(e instanceof IllegalArgumentException ? FailureCode.BAD_REQUEST.code
                : FailureCode.INTERNAL.code, e.getMessage()))).completion(),
        bus.<BlockRef>consumer(address(Addresses.HG_READ_BLOCK), m -> blocks.get(m.body())
            .onSuccess(found -> found.ifPresentOrElse(m::reply,
                () -> m.fail(FailureCode.NOT_FOUND.code, "block not held by " + identity.id())))
            .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()))).completion());
  }

  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().send(Addresses.pop(identity.pop(), Addresses.HEARTBEAT), report);
  }
}
