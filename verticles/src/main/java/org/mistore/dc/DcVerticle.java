package org.mistore.dc;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.CommitRequest;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;
import org.mistore.pop.OwnerService;
import org.mistore.pop.Owners;
import org.mistore.pop.PopObjectStore;

/**
 * The datacenter: durable metadata of every object (its {@link Catalog}), the monitoring view of
 * the whole cluster (its node directory, fed by every heartbeat), and the stand-in copy-holder: while
 * an object's primary or backup POP is down, the DC receives the second copy of its blocks, versions
 * and locks, so every acknowledged write stays on two durable nodes. It never serves as primary.
 */
public final class DcVerticle extends RoleVerticle {
  private OwnerService standIn;
  private Catalog catalog;
  private Owners owners;
  private PopObjectStore objects;

  public DcVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.DC) {
      throw new IllegalArgumentException("DcVerticle needs a DC identity");
    }
  }

  @Override
  protected Future<?> openRoleStores() {
    owners = new Owners(services.directory());
    return PopObjectStore.open(store)
        .onSuccess(held -> {
          objects = held;
          standIn = OwnerService.forStandIn(vertx, identity.id(), held, owners, services.registry());
        })
        .compose(v -> Catalog.open(store))
        .onSuccess(c -> catalog = c);
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    EventBus bus = vertx.eventBus();
    List<Future<?>> all = new ArrayList<>();
    all.add(bus.<StoreBlock>consumer(address(Addresses.OWNER_BLOCK), standIn::storeBlock).completion());
    all.add(bus.<BlockRef>consumer(address(Addresses.OWNER_READ_BLOCK), standIn::readBlock).completion());
    all.add(bus.<CommitRequest>consumer(address(Addresses.OWNER_MIRROR_COMMIT), standIn::mirrorCommit).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_ABORT), standIn::abort).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_MIRROR_LOCK), standIn::mirrorLock).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_CEILING), standIn::ceiling).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_SYNC), standIn::sync).completion());
    all.add(bus.<JsonObject>consumer(Addresses.VERSION_EVENTS, m -> catalog.heard(vertx, m.body())).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.DC_WHERE), this::where).completion());
    all.add(bus.<io.vertx.core.json.JsonArray>consumer(address(Addresses.DC_HEADS), m ->
        m.body().forEach(e -> catalog.heard(vertx, (JsonObject) e))).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.DC_SUMMARY), this::summary).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.MINTED), this::minted).completion());
    return all;
  }

  /** Body {@code {"primary"}}: the highest counters of that POP's ids in the catalog and the stand-in copies. */
  private void minted(Message<JsonObject> m) {
    String primary = m.body().getString("primary", "");
    catalog.highestMintedBy(primary)
        .compose(known -> objects.highestMintedBy(primary).map(held -> {
          held.forEach((hg, n) -> known.merge(hg, n, Math::max));
          return known;
        }))
        .onSuccess(known -> m.reply(new JsonObject().put("highest", new JsonObject(new java.util.HashMap<>(known)))))
        .onFailure(e -> m.fail(org.mistore.codecs.FailureCode.UNAVAILABLE.code, e.getMessage()));
  }

  /** Body {@code {"id"}}: the catalog entry, with the POPs acting now. */
  private void where(Message<JsonObject> m) {
    ObjectId id;
    try {
      id = ObjectId.parse(m.body().getString("id"));
    } catch (RuntimeException e) {
      m.fail(FailureCode.BAD_REQUEST.code, "malformed object id");
      return;
    }
    catalog.where(id).onSuccess(found -> {
      if (found.isEmpty()) {
        m.fail(FailureCode.NOT_FOUND.code, "the DC knows no version of " + id.render());
        return;
      }
      JsonObject entry = found.get();
      owners.actingPrimary(id).ifPresent(p -> {
        entry.put("actingPrimary", p);
        owners.actingBackup(id, p).ifPresent(b -> entry.put("actingBackup", b.id()));
      });
      m.reply(entry);
    }).onFailure(e -> m.fail(FailureCode.INTERNAL.code, "catalog unreadable"));
  }

  /** {@code {"dc","objects"}}: how many objects the catalog holds. */
  private void summary(Message<JsonObject> m) {
    catalog.size().onSuccess(n -> m.reply(new JsonObject().put("dc", identity.id()).put("objects", n)))
        .onFailure(e -> m.fail(FailureCode.INTERNAL.code, "catalog unreadable"));
  }

  @Override
  public Future<?> stop() {
    if (standIn != null) {
      standIn.close();
    }
    return (catalog == null ? Future.succeededFuture() : catalog.flush()).eventually(super::stop);
  }

  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, report);
  }
}
