package org.mistore.pop;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.OwedPage;
import org.mistore.codecs.OwedReply;
import org.mistore.codecs.Role;
import org.mistore.codecs.VersionMeta;
import org.mistore.directory.DirectoryEntry;
import org.mistore.directory.NodeDirectory;
import org.mistore.directory.NodeStatus;
import org.mistore.store.KeptReplies;

/**
 * Replies a POP owes to the lost HGs of its region (DESIGN section 7). When a write a gateway HG
 * relayed with its client's request id commits while that HG is down, its result is kept durably
 * ({@link KeptReplies}); results replied during the last failure-detection time are remembered in
 * memory ({@link RecentReplies}) and kept too once the HG is seen down or restarted, since the
 * reply may have died with it. When the HG is up again, its results are delivered in pages and
 * forgotten once it acknowledges them; what fails stays for the next try (every few seconds while
 * the HG is up). Writes whose request id the gateway named itself are not kept: no client can retry
 * them.
 *
 * <p>Runs on the POP verticle's event loop; directory events hop onto it.
 */
final class OwedReplies {
  private static final System.Logger LOG = System.getLogger(OwedReplies.class.getName());
  private static final int PAGE = 100;
  private static final long DELIVERY_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final Context context;
  private final String self;
  private final KeptReplies kept;
  private final RecentReplies recent;
  private final NodeDirectory directory;
  private final LongSupplier clock;
  private final long ttlMs;
  private final Set<String> delivering = new HashSet<>();
  private final MeterRegistry registry;
  private final Gauge owedGauge;
  private final Counter keptCount;
  private final Counter deliveredCount;
  private final Counter droppedCount;
  private long lastExpiry;
  private long timer = -1;
  private volatile boolean stopped;

  /**
   * @param windowMs how long a reply is remembered after it was sent (about the failure-detection time)
   */
  OwedReplies(Vertx vertx, Context context, String self, KeptReplies kept, NodeDirectory directory,
      MeterRegistry registry, long windowMs, int perHg, long ttlMs, LongSupplier clock) {
    this.vertx = vertx;
    this.context = context;
    this.self = self;
    this.kept = kept;
    this.recent = new RecentReplies(windowMs, perHg, clock);
    this.directory = directory;
    this.clock = clock;
    this.ttlMs = ttlMs;
    this.registry = registry;
    this.owedGauge = Gauge.builder("mistore.owed.replies", kept, KeptReplies::total)
        .description("Results of writes this POP keeps for HGs of its region that were down")
        .tag("pop", self).strongReference(true).register(registry);
    this.keptCount = registry.counter("mistore.owed.replies.kept", "pop", self);
    this.deliveredCount = registry.counter("mistore.owed.replies.delivered", "pop", self);
    this.droppedCount = registry.counter("mistore.owed.replies.dropped", "pop", self);
  }

  /** Follows the region's HGs going down and coming back; tries deliveries again every {@code everyMs}. */
  void start(long everyMs) {
    directory.onDown(e -> onContext(e, () -> lost(e.report().nodeId())));
    directory.onUp(e -> onContext(e, () -> returned(e.report().nodeId())));
    timer = vertx.setPeriodic(everyMs, t -> tick());
  }

  void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    // A restarted POP in the same process registers its own gauge.
    registry.remove(owedGauge);
  }

  private void onContext(DirectoryEntry e, Runnable action) {
    if (!stopped && ofRegion(e)) {
      context.runOnContext(v -> {
        if (!stopped) {
          action.run();
        }
      });
    }
  }

  private boolean ofRegion(DirectoryEntry e) {
    return e.report().role() == Role.HG && e.report().pop().equals(self);
  }

  private boolean isUp(String hg) {
    return directory.find(Role.HG, hg).map(e -> e.status() == NodeStatus.UP).orElse(false);
  }

  /**
   * A relayed request was answered: if it is a commit with a client's request id from an HG of this
   * region, its result is kept (the HG is down) or remembered (the HG may be dying unseen).
   */
  void replied(String verb, MultiMap headers, Object reply) {
    if (!Addresses.OWNER_COMMIT.equals(verb) || !(reply instanceof VersionMeta meta)) {
      return;
    }
    String hg = headers.get(Addresses.HEADER_GATEWAY);
    String requestId = headers.get(Addresses.HEADER_REQUEST_ID);
    if (hg == null || requestId == null || requestId.startsWith(Addresses.GATEWAY_REQUEST_ID_PREFIX)) {
      return;
    }
    Optional<DirectoryEntry> gateway = directory.find(Role.HG, hg).filter(this::ofRegion);
    if (gateway.isEmpty()) {
      return;
    }
    OwedReply owed;
    try {
      owed = new OwedReply(hg, requestId, meta.ref(), meta.size(), meta.sha256(), meta.deleted(),
          clock.getAsLong());
    } catch (IllegalArgumentException e) {
      return; // not a request id a client could have sent
    }
    if (gateway.get().status() == NodeStatus.DOWN) {
      keep(List.of(owed));
    } else {
      recent.remember(owed);
    }
  }

  private Future<Void> keep(List<OwedReply> replies) {
    if (replies.isEmpty()) {
      return Future.succeededFuture();
    }
    return kept.keep(replies)
        .onSuccess(dropped -> {
          keptCount.increment(replies.size());
          droppedCount.increment(dropped);
          LOG.log(System.Logger.Level.INFO, "POP {0} keeps {1} write result(s) for HG {2} until it returns",
              self, replies.size(), replies.get(0).hg());
        })
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "POP {0} could not keep write results for HG {1}: {2}",
            self, replies.get(0).hg(), e.getMessage()))
        .mapEmpty();
  }

  /** The HG is seen down: what was replied to it lately may have died with it. */
  private void lost(String hg) {
    keep(recent.take(hg));
  }

  /** The HG is (back) up, perhaps restarted unseen: keep what it may have missed, then deliver. */
  private void returned(String hg) {
    keep(recent.take(hg)).onComplete(x -> deliver(hg));
  }

  private void deliver(String hg) {
    if (stopped || kept.count(hg) == 0 || !isUp(hg) || !delivering.add(hg)) {
      return;
    }
    deliverPages(hg).onComplete(done -> {
      delivering.remove(hg);
      if (done.failed()) {
        LOG.log(System.Logger.Level.INFO, "POP {0} will deliver {1} write result(s) to HG {2} later: {3}", self,
            kept.count(hg), hg, done.cause().getMessage());
      }
    });
  }

  private Future<Void> deliverPages(String hg) {
    return kept.page(hg, PAGE).compose(page -> {
      if (page.isEmpty() || stopped || !isUp(hg)) {
        return Future.succeededFuture();
      }
      return vertx.eventBus().request(Addresses.hg(hg, Addresses.HG_OWED), new OwedPage(self, page),
              new DeliveryOptions().setSendTimeout(DELIVERY_TIMEOUT_MS))
          .compose(ack -> kept.forget(page))
          .compose(forgotten -> {
            deliveredCount.increment(forgotten);
            // Nothing forgotten means nothing will change: stop rather than send the same page again.
            return forgotten == 0 ? Future.succeededFuture() : deliverPages(hg);
          });
    });
  }

  private void tick() {
    recent.prune();
    if (kept.total() == 0) {
      return;
    }
    long now = clock.getAsLong();
    if (now - lastExpiry >= Math.min(ttlMs / 10, 60_000)) {
      lastExpiry = now;
      kept.expire().onSuccess(droppedCount::increment);
    }
    kept.hgs().forEach(this::deliver);
  }

  /** Adds to a region status (see RegionPlacement#status) what is owed: in total and to each HG listed. */
  JsonObject annotate(JsonObject status) {
    JsonArray hgs = status.getJsonArray("hgs", new JsonArray());
    for (int i = 0; i < hgs.size(); i++) {
      JsonObject hg = hgs.getJsonObject(i);
      hg.put("owedReplies", kept.count(hg.getString("id")));
    }
    return status.put("owedReplies", kept.total());
  }
}
