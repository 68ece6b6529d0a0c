package org.mistore.node;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.ArrayList;
import java.util.List;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.store.RoleStore;

/**
 * Common life of HG, POP and DC verticles: open the role's store, register the role's consumers and a
 * {@code ping} consumer, then send a heartbeat every interval. {@link #start()} completes only when
 * the store is open and every consumer is registered cluster-wide.
 */
public abstract class RoleVerticle extends VerticleBase {
  protected final RoleIdentity identity;
  protected final NodeServices services;
  protected RoleStore store;
  private final long startedAt = System.currentTimeMillis();
  private volatile long usedBytes;
  private long heartbeatTimer = -1;

  protected RoleVerticle(RoleIdentity identity, NodeServices services) {
    this.identity = identity;
    this.services = services;
  }

  public RoleIdentity identity() {
    return identity;
  }

  /** The role's store once opened (empty before). */
  public java.util.Optional<RoleStore> store() {
    return java.util.Optional.ofNullable(store);
  }

  @Override
  public Future<?> start() {
    return RoleStore.open(vertx, services.storeFile(identity), identity.id(), identity.role(),
        services.limits().checkpointMs())
        .compose(opened -> {
          store = opened;
          return openRoleStores();
        })
        .recover(e -> Future.failedFuture(e instanceof org.mistore.store.StoreException ? e
            : new org.mistore.store.StoreException("cannot open store " + services.storeFile(identity)
                + ": it is damaged or not a Mistore store (" + rootOf(e) + "); restore it, or start the node on "
                + "another --data")))
        .compose(v -> {
          List<Future<?>> registrations = new ArrayList<>(registerConsumers());
          registrations.add(vertx.eventBus()
              .<Object>consumer(address(Addresses.PING), m -> m.reply(report()))
              .completion());
          return Future.all(registrations);
        })
        .onSuccess(v -> {
          beat();
          heartbeatTimer = vertx.setPeriodic(services.heartbeatIntervalMs(), id -> beat());
        });
  }

  /** The innermost cause of a failure, with its type: an index past an end says little without it. */
  private static String rootOf(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  @Override
  public Future<?> stop() {
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    return store == null ? Future.succeededFuture() : store.close();
  }

  /** Declares the role's maps in its store; runs before the consumers register. */
  protected Future<?> openRoleStores() {
    return Future.succeededFuture();
  }

  /** The role's own consumers; each future completes when the registration has reached the cluster. */
  protected abstract List<Future<?>> registerConsumers();

  /** Where this role's heartbeat goes: an HG to its POP, POPs and the DC to everyone. */
  protected abstract void sendHeartbeat(NodeReport report);

  protected String address(String verb) {
    return Addresses.of(identity.role(), identity.id(), verb);
  }

  protected NodeReport report() {
    // A store that stopped taking writes (its disk failed) has no room: placement passes it by, and
    // the cluster view shows it full.
    boolean stopped = store != null && store.isStopped();
    return new NodeReport(identity.id(), identity.role(), identity.region(), identity.pop(), services.memberId(),
        stopped ? Math.min(usedBytes, services.capacityBytes()) : services.capacityBytes(), usedBytes, startedAt,
        System.currentTimeMillis());
  }

  private void beat() {
    NodeReport report = report();
    services.directory().heard(report);
    sendHeartbeat(report);
    // Listing the data folder is a worker-thread job; once every few seconds is enough for a report.
    long now = System.nanoTime();
    if (now - lastSized >= SIZE_EVERY_NANOS) {
      lastSized = now;
      store.sizeOnDisk().onSuccess(size -> usedBytes = size);
    }
  }

  private static final long SIZE_EVERY_NANOS = 5_000_000_000L;
  private long lastSized = System.nanoTime() - SIZE_EVERY_NANOS;
}
