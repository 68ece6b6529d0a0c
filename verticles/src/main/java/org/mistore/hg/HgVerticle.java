package org.mistore.hg;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockBytes;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.OwedPage;
import org.mistore.codecs.OwedReply;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.StoreBlocks;
import org.mistore.node.Limits;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;
import org.mistore.store.KeptReplies;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tag;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A home gateway: serves its owner's apps (through the API verticle) and holds blocks its POP places
 * on it, durably, in its MapDB store. It talks only to its POP.
 */
public final class HgVerticle extends RoleVerticle {
  private HgBlocks blocks;
  private KeptReplies delivered;
  private Gauge deliveredGauge;
  private Counter answeredFromDelivered;

  public HgVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.HG) {
      throw new IllegalArgumentException("HgVerticle needs an HG identity");
    }
  }

  @Override
  protected Future<?> openRoleStores() {
    Limits limits = services.limits();
    return HgBlocks.open(store, services.capacityBytes()).onSuccess(b -> blocks = b)
        .compose(b -> KeptReplies.open(store, limits.owedRepliesPerHg(), limits.owedRepliesTtlMs(),
            System::currentTimeMillis))
        .onSuccess(d -> delivered = d);
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    EventBus bus = vertx.eventBus();
    Counter refused = services.registry().counter("mistore.hg.refused.blocks", "hg", identity.id());
    services.registry().gauge("mistore.hg.held.bytes", List.of(Tag.of("hg", identity.id())), this,
        v -> v.blocks == null ? 0 : v.blocks.heldBytes());
    deliveredGauge = Gauge.builder("mistore.hg.delivered.replies", delivered, KeptReplies::total)
        .description("Results of writes this HG's POP kept while it was down, held for its clients' retries")
        .tag("hg", identity.id()).strongReference(true).register(services.registry());
    answeredFromDelivered = services.registry().counter("mistore.hg.delivered.answers", "hg", identity.id());
    long ttl = services.limits().owedRepliesTtlMs();
    vertx.setPeriodic(Math.max(1000, Math.min(ttl / 10, 60_000)), t -> delivered.expire());
    return List.of(
        bus.<OwedPage>consumer(address(Addresses.HG_OWED), this::takeOwed).completion(),
        bus.<JsonObject>consumer(address(Addresses.HG_DELIVERED), this::findDelivered).completion(),
        bus.<StoreBlock>consumer(address(Addresses.HG_STORE_BLOCK), m -> blocks.put(m.body())
            .onSuccess(v -> m.reply("stored"))
            .onFailure(e -> {
              if (e instanceof HgBlocks.QuotaExceeded) {
                refused.increment();
              }
              m.fail(failureCode(e).code, failureMessage(e));
            })).completion(),
        bus.<StoreBlocks>consumer(address(Addresses.HG_STORE_BLOCKS), m -> blocks.putAll(m.body().blocks())
            .onSuccess(outcomes -> {
              JsonArray answer = new JsonArray();
              for (RuntimeException e : outcomes) {
                if (e instanceof HgBlocks.QuotaExceeded) {
                  refused.increment();
                }
                answer.add(e == null ? null
                    : new JsonObject().put("code", failureCode(e).code).put("message", failureMessage(e)));
              }
              m.reply(answer);
            })
            .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()))).completion(),
        bus.<BlockRef>consumer(address(Addresses.HG_READ_BLOCK), m -> blocks.get(m.body())
            .onSuccess(found -> found.ifPresentOrElse(data -> m.reply(data, BlockBytes.options()),
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


  private String failureMessage(Throwable e) {
    return e instanceof HgBlocks.QuotaExceeded ? "HG " + identity.id() + " " + e.getMessage() : e.getMessage();
  }

  private static FailureCode failureCode(Throwable e) {
    return e instanceof HgBlocks.QuotaExceeded ? FailureCode.FULL
        : e instanceof IllegalArgumentException ? FailureCode.BAD_REQUEST : FailureCode.INTERNAL;
  }

  /** Results the POP kept while this HG was down: held durably before the POP hears they arrived. */
  private void takeOwed(Message<OwedPage> m) {
    long now = System.currentTimeMillis();
    // The time to live counts from delivery: the clients could not retry here before.
    delivered.keep(m.body().replies().stream().filter(r -> r.hg().equals(identity.id()))
            .map(r -> r.keptSince(now)).toList())
        .onSuccess(dropped -> m.reply(delivered.total()))
        .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()));
  }

  /** This HG's gateway asks for the delivered result of a retried write. */
  private void findDelivered(Message<JsonObject> m) {
    String key;
    try {
      String id = m.body().getString("id");
      key = OwedReply.lookupKey(id == null ? null : ObjectId.parse(id), m.body().getString("requestId"));
    } catch (IllegalArgumentException | ClassCastException e) {
      m.fail(FailureCode.BAD_REQUEST.code, "bad delivered-result query: " + e.getMessage());
      return;
    }
    delivered.find(identity.id(), key)
        .onSuccess(found -> found.ifPresentOrElse(r -> {
          answeredFromDelivered.increment();
          m.reply(r);
        }, () -> m.fail(FailureCode.NOT_FOUND.code, "no delivered result")))
        .onFailure(e -> m.fail(FailureCode.INTERNAL.code, e.getMessage()));
  }

  @Override
  public Future<?> stop() {
    if (deliveredGauge != null) {
      // A restarted HG in the same process registers its own gauge.
      services.registry().remove(deliveredGauge);
    }
    return super.stop();
  }

  /**
   * To its POP, which relays it to everyone; while this node sees its POP down, to everyone directly,
   * so the rest of the cluster does not take the HG for down with its POP.
   */
  @Override
  protected void sendHeartbeat(NodeReport report) {
    if (services.directory().knownDown(Role.POP, identity.pop())) {
      vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, report);
    } else {
      vertx.eventBus().send(Addresses.pop(identity.pop(), Addresses.HEARTBEAT), report);
    }
  }
}
