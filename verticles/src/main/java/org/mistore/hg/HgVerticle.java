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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tag;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A home gateway: serves its owner's apps (through the API verticle) and holds blocks its POP places
 * on it, durably, in its MapDB store. It talks only to its POP.
 */
public final class HgVerticle extends RoleVerticle {
  private HgBlocks blocks;

  public HgVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.HG) {
      throw new IllegalArgumentException("HgVerticle needs an HG identity");
    }
  }

  @Override
  protected Future<?> openRoleStores() {
    return HgBlocks.open(store, services.capacityBytes()).onSuccess(b -> blocks = b);
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    EventBus bus = vertx.eventBus();
    Counter refused = services.registry().counter("mistore.hg.refused.blocks", "hg", identity.id());
    services.registry().gauge("mistore.hg.held.bytes", List.of(Tag.of("hg", identity.id())), this,
        v -> v.blocks == null ? 0 : v.blocks.heldBytes());
    return List.of(
        bus.<StoreBlock>consumer(address(Addresses.HG_STORE_BLOCK), m -> blocks.put(m.body().ref(), m.body().data())
            .onSuccess(v -> m.reply("stored"))
            .onFailure(e -> {
              if (e instanceof HgBlocks.QuotaExceeded) {
                refused.increment();
                m.fail(FailureCode.FULL.code, "HG " + identity.id() + " " + e.getMessage());
              } else {
                m.fail(e instanceof IllegalArgumentException ? FailureCode.BAD_REQUEST.code
                    : FailureCode.INTERNAL.code, e.getMessage());
              }
            })).completion(),
        bus.<BlockRef>consumer(address(Addresses.HG_READ_BLOCK), m -> blocks.get(m.body())
            .onSuccess(found -> found.ifPresentOrElse(m::reply,
                () -> m.fail(FailureCode.NOT_FOUND.code, "block not held by " + identity.id())))
            .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()))).completion(),
        bus.<BlockRef>consumer(address(Addresses.HG_DELETE_BLOCK), m -> blocks.delete(m.body())
            .onSuccess(v -> m.reply("deleted"))
            .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()))).completion(),
        bus.<JsonObject>consumer(address(Addresses.HG_LIST_BLOCKS), m -> blocks.keys()
            .onSuccess(keys -> m.reply(new JsonObject().put("keys", new JsonArray(keys))
                .put("heldBytes", blocks.heldBytes()).put("quotaBytes", blocks.quotaBytes())))
            .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()))).completion());
  }


  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().send(Addresses.pop(identity.pop(), Addresses.HEARTBEAT), report);
  }
}
