package org.mistore.pop;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import io.vertx.core.buffer.Buffer;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockBytes;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.VersionMeta;
import org.mistore.store.Checksums;
import org.mistore.store.KeptReplies;
import org.mistore.store.VersionCache;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.NodeIds;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.node.Limits;
import org.mistore.node.NodeServices;
import org.mistore.node.RoleIdentity;
import org.mistore.node.RoleVerticle;
import org.mistore.placement.RegionPlacement;

/**
 * A point of presence: the hub of a region. For its HGs it relays heartbeats, mints object ids (it
 * becomes their primary, a live POP their backup), fans blocks out to an object's primary and backup
 * and relays requests to whichever POP serves an object now. As primary or backup it runs
 * {@link OwnerService}.
 */
public final class PopVerticle extends RoleVerticle {
  private static final System.Logger LOG = System.getLogger(PopVerticle.class.getName());
  /** Header of a {@link Addresses#RELAY} request: the verb to call on the object's acting primary. */
  public static final String VERB = "verb";
  /** Header of a {@link Addresses#RELAY} request: the object whose acting primary is called. */
  public static final String OBJECT = "object";

  private final Set<String> strangers = ConcurrentHashMap.newKeySet();
  private Owners owners;
  private OwnerService owner;
  private RegionPlacement placement;
  private PopObjectStore objects;
  private VersionCache transit;
  private OwedReplies owed;
  /** Forwards waiting on a POP: re-sent at once when the directory declares that POP down. */
  private final java.util.Map<String, java.util.Set<Runnable>> waitingOn = new java.util.HashMap<>();

  public PopVerticle(RoleIdentity identity, NodeServices services) {
    super(identity, services);
    if (identity.role() != Role.POP) {
      throw new IllegalArgumentException("PopVerticle needs a POP identity");
    }
  }

  @Override
  protected Future<?> openRoleStores() {
    return PopObjectStore.open(store).onSuccess(s -> {
      objects = s;
      owners = new Owners(services.directory());
      placement = new RegionPlacement(vertx, identity.id(), identity.region(), objects, services.directory(),
          services.registry(), services.limits());
      owner = new OwnerService(vertx, Role.POP, identity.id(), objects, owners, services.registry(), placement,
          services.limits().catchUpBlockWaitMs());
      transit = new VersionCache(services.limits().popCacheBytes());
      long idle = services.limits().uploadIdleMs();
      vertx.setPeriodic(Math.max(1000, Math.min(60_000, idle / 2)), t -> objects.abortIdle(idle)
          .onSuccess(n -> {
            if (n > 0) {
              LOG.log(System.Logger.Level.INFO, "POP {0} dropped {1} upload(s) idle for {2} ms", identity.id(), n, idle);
            }
          })
          .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "POP {0} could not drop idle uploads: {1}",
              identity.id(), e.getMessage())));
      services.directory().onUp(e -> {
        if (e.report().role() == Role.DC) {
          context.runOnContext(v -> reportHeadsTo(e.report().nodeId()));
        }
      });
      services.directory().onDown(e -> {
        if (e.report().role() == Role.POP) {
          // Hop onto this verticle's own event loop: waitingOn is only touched there.
          context.runOnContext(v -> {
            java.util.Set<Runnable> waiting = waitingOn.remove(e.report().nodeId());
            if (waiting != null) {
              waiting.forEach(Runnable::run);
            }
          });
        }
      });
    }).compose(s -> owner.resumeOwedBlocks()).compose(v -> openOwedReplies());
  }

  private Future<KeptReplies> openOwedReplies() {
    Limits limits = services.limits();
    return KeptReplies.open(store, limits.owedRepliesPerHg(), limits.owedRepliesTtlMs(), System::currentTimeMillis)
        .onSuccess(kept -> owed = new OwedReplies(vertx, context, identity.id(), kept, services.directory(),
            // An HG is seen down up to a detection time (plus a sweep) after its last heartbeat: twice covers it.
            services.registry(), 2 * services.failureDetectionMs() + services.heartbeatIntervalMs(),
            limits.owedRepliesPerHg(), limits.owedRepliesTtlMs(), System::currentTimeMillis));
  }

  @Override
  protected List<Future<?>> registerConsumers() {
    EventBus bus = vertx.eventBus();
    List<Future<?>> all = new ArrayList<>();
    all.add(bus.<NodeReport>consumer(address(Addresses.HEARTBEAT), m -> relayHeartbeat(m.body())).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.CREATE), this::create).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.MINTED), m -> objects.highestMintedBy(m.body().getString("primary", ""))
        .onSuccess(known -> m.reply(new JsonObject().put("highest", new JsonObject(new java.util.HashMap<>(known)))
            .put("pops", knownPops())))
        .onFailure(e -> Replies.fail(m, e))).completion());
    all.add(bus.<StoreBlock>consumer(address(Addresses.WRITE_BLOCK), this::writeBlock).completion());
    all.add(bus.<Object>consumer(address(Addresses.RELAY), this::relay).completion());
    all.add(bus.<StoreBlock>consumer(address(Addresses.OWNER_BLOCK), owner::storeBlock).completion());
    all.add(bus.<org.mistore.codecs.BlockRef>consumer(address(Addresses.OWNER_READ_BLOCK), owner::readBlock).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_META), owner::meta).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_VERSIONS), owner::versions).completion());
    all.add(bus.<org.mistore.codecs.CommitRequest>consumer(address(Addresses.OWNER_COMMIT), owner::commit).completion());
    all.add(bus.<org.mistore.codecs.CommitRequest>consumer(address(Addresses.OWNER_MIRROR_COMMIT), owner::mirrorCommit)
        .completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_ABORT), owner::abort).completion());
    all.add(bus.<org.mistore.codecs.LockRequest>consumer(address(Addresses.OWNER_LOCK), owner::lock).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_UNWAIT), owner::unwait).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_RENEW), owner::renew).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_UNLOCK), owner::unlock).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_MIRROR_LOCK), owner::mirrorLock).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.PLACEMENT), owner::placement).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_CEILING), owner::ceiling).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.OWNER_SYNC), owner::sync).completion());
    all.add(bus.<JsonObject>consumer(address(Addresses.REGION_STATUS), m -> placement.status().map(owed::annotate)
        .onSuccess(m::reply).onFailure(e -> Replies.fail(m, e))).completion());
    placement.start(services.heartbeatIntervalMs());
    owed.start(Math.max(1000, 5 * services.heartbeatIntervalMs()));
    return all;
  }

  @Override
  public Future<?> stop() {
    if (owner != null) {
      owner.close();
    }
    if (owed != null) {
      owed.stop();
    }
    return super.stop();
  }

  /**
   * Tells a DC that (re)appeared the head of every object this POP holds, so its catalog catches up:
   * those it is primary of, and those it wrote or held a copy of while their primary was down.
   */
  private void reportHeadsTo(String dc) {
    objects.heads(500).onSuccess(pages -> pages.forEach(page -> vertx.eventBus()
        .send(Addresses.dc(dc, Addresses.DC_HEADS), new io.vertx.core.json.JsonArray(page))));
  }

  private void relayHeartbeat(NodeReport hg) {
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

  /**
   * Body {@code {"creator": hg, "requestId"}}: mints an id with this POP primary and a random live POP
   * backup; the same request id of the same creator gets the same id again (a client's retry).
   */
  private void create(Message<JsonObject> m) {
    String creator = m.body().getString("creator");
    String requestId = m.body().getString("requestId");
    if (!NodeIds.isValid(creator)) {
      m.fail(FailureCode.BAD_REQUEST.code, "bad creator id");
      return;
    }
    List<String> candidates = services.directory().up(Role.POP).stream().map(NodeReport::nodeId)
        .filter(p -> !p.equals(identity.id())).toList();
    if (candidates.isEmpty()) {
      m.fail(FailureCode.UNAVAILABLE.code, "no other live POP to hold the backup copy");
      return;
    }
    String backup = candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    countersChecked()
        .compose(v -> owner.mint(creator, requestId, n -> new ObjectId(identity.id(), backup, creator, n).render()))
        .onSuccess(id -> m.reply(new JsonObject().put("id", id)))
        .onFailure(e -> Replies.fail(m, e));
  }

  /** The check of a store whose counters are not known yet, while it runs (event loop only). */
  private Future<Void> checkingCounters;

  /**
   * Completes once this POP's counters can be trusted (see {@link PopObjectStore#countersKnown}). A
   * store with none asks the DC and the other POPs which ids with this POP as primary they hold,
   * and raises its counters past them before its first id. It goes on when the DC answered or every
   * other POP it knows of did; else the create gets 503, and the next one asks again.
   */
  private Future<Void> countersChecked() {
    if (objects.countersKnown()) {
      return Future.succeededFuture();
    }
    if (checkingCounters == null) {
      checkingCounters = askWhatWasMinted()
          .onComplete(r -> checkingCounters = null);
    }
    return checkingCounters;
  }

  /** The POPs this node's directory knows of, down ones included. */
  private io.vertx.core.json.JsonArray knownPops() {
    return new io.vertx.core.json.JsonArray(services.directory().snapshot().stream().map(e -> e.report())
        .filter(r -> r.role() == Role.POP).map(NodeReport::nodeId).distinct().toList());
  }

  private Future<Void> askWhatWasMinted() {
    List<String> dcs = services.directory().up(Role.DC).stream().map(NodeReport::nodeId).toList();
    List<String> pops = knownPops().stream().map(String.class::cast).filter(p -> !p.equals(identity.id())).toList();
    JsonObject ask = new JsonObject().put("primary", identity.id());
    io.vertx.core.eventbus.DeliveryOptions within = new io.vertx.core.eventbus.DeliveryOptions()
        .setSendTimeout(Math.max(3000, services.failureDetectionMs()));
    List<Future<JsonObject>> fromDcs = dcs.stream().map(dc -> vertx.eventBus()
        .<JsonObject>request(Addresses.of(Role.DC, dc, Addresses.MINTED), ask, within).map(r -> r.body())).toList();
    List<Future<JsonObject>> fromPops = pops.stream().map(pop -> vertx.eventBus()
        .<JsonObject>request(Addresses.of(Role.POP, pop, Addresses.MINTED), ask, within).map(r -> r.body())).toList();
    List<Future<JsonObject>> all = new ArrayList<>(fromDcs);
    all.addAll(fromPops);
    return Future.join(all).transform(done -> {
      boolean dcAnswered = fromDcs.stream().anyMatch(Future::succeeded);
      // A POP restarted a moment ago knows only the nodes it has heard: the POPs that answered name
      // the others they know of, down ones included (each may hold, as backup, ids minted here).
      java.util.Set<String> unanswered = new java.util.TreeSet<>();
      for (int i = 0; i < pops.size(); i++) {
        if (fromPops.get(i).failed()) {
          unanswered.add(pops.get(i));
        }
      }
      fromPops.stream().filter(Future::succeeded).forEach(f -> f.result().getJsonArray("pops", new io.vertx.core.json.JsonArray())
          .stream().map(String.class::cast).filter(p -> !p.equals(identity.id()) && !pops.contains(p))
          .forEach(unanswered::add));
      if (!dcAnswered && !unanswered.isEmpty()) {
        return Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, "POP " + identity.id() + " has no record "
            + "of the ids it minted (a new data folder?): it mints none until the DC or every other POP says which "
            + "ids it holds with " + identity.id() + " as primary; no DC answered, nor " + String.join(", ", unanswered)));
      }
      java.util.Map<String, Long> highest = new java.util.HashMap<>();
      all.stream().filter(Future::succeeded).map(f -> f.result().getJsonObject("highest", new JsonObject()))
          .forEach(known -> known.forEach(e -> highest.merge(e.getKey(), ((Number) e.getValue()).longValue(), Math::max)));
      if (!highest.isEmpty()) {
        LOG.log(System.Logger.Level.WARNING, "POP {0}: its store holds no ids it minted, but the cluster holds "
            + "ids with {0} as primary (highest per creating HG: {1}): was its data folder lost? It mints new ids "
            + "after those", identity.id(), highest);
      }
      return objects.raiseCounters(highest);
    });
  }

  /**
   * Stores a block at the object's two copy-holders now (primary and backup, or whichever acts for a
   * down one, see {@link Owners}); answers when both hold it durably.
   */
  private void writeBlock(Message<StoreBlock> m) {
    ObjectId id = m.body().ref().version().id();
    Optional<Owners.Holder[]> holders = owners.copySet(id);
    if (holders.isEmpty()) {
      m.fail(FailureCode.UNAVAILABLE.code, "two copies of " + id + " cannot be made now: "
          + (owners.actingPrimary(id).isEmpty() ? "both its POPs are down" : "no live node can stand in for its down POP"));
      return;
    }
    // A holder seen down fails the block at once (the upload gets its 503 then), not at the timeout.
    Future.all(java.util.Arrays.stream(holders.get()).map(h -> owner.linkTo(h).guard(
            vertx.eventBus().request(h.address(Addresses.OWNER_BLOCK), m.body(),
                new DeliveryOptions().setSendTimeout(owners.peerTimeoutMs())),
            () -> new StoreFailure(FailureCode.UNAVAILABLE, h.describe() + " went down with block "
                + m.body().ref().index() + " of " + id + " in flight; retry the write"))).toList())
        .onSuccess(v -> {
          transit.putBlock(m.body().ref(), m.body().data());
          m.reply("stored");
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  /** Forwards a request to the acting primary of the object named in the {@code object} header. */
  private void relay(Message<Object> m) {
    String verb = m.headers().get(VERB);
    ObjectId id;
    try {
      id = ObjectId.parse(m.headers().get(OBJECT));
    } catch (IllegalArgumentException e) {
      m.fail(FailureCode.BAD_REQUEST.code, e.getMessage());
      return;
    }
    if (fromTransitCache(m, verb, id)) {
      return;
    }
    long deadline = System.currentTimeMillis() + timeoutOf(m);
    forward(m, verb, id, deadline);
  }

  /**
   * Sends to the acting primary. If the directory declares the target down before it answers, or it
   * has no handler, the request goes to the new acting primary, until the caller's deadline;
   * otherwise the caller gets a 503. Retried verbs are idempotent at the
   * owner (commits) or harmless (a lock granted by a dead POP dies with it).
   */
  private void forward(Message<Object> m, String verb, ObjectId id, long deadline) {
    Optional<String> target = owners.actingPrimary(id);
    if (target.isEmpty() && owners.namesNoMember(id)) {
      m.fail(FailureCode.NOT_FOUND.code, "no object " + id + ": neither " + id.primaryPop() + " nor "
          + id.backupPop() + " is a POP of this cluster");
      return;
    }
    if (target.isEmpty()) {
      m.fail(FailureCode.UNAVAILABLE.code, "both POPs holding " + id + " are down");
      return;
    }
    // The whole remaining time: a live target may legitimately be slow (a 1 GiB commit checks every
    // block); a dead one is handled by the directory's down event, which re-forwards at once.
    long attempt = deadline - System.currentTimeMillis();
    if (attempt <= 0) {
      m.fail(FailureCode.UNAVAILABLE.code, "POP " + target.get() + " serving " + id + " did not answer in time");
      return;
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(attempt);
    m.headers().forEach(h -> {
      if (!h.getKey().equals(VERB) && !h.getKey().equals(OBJECT) && !h.getKey().equals(Addresses.HEADER_GATEWAY)) {
        options.addHeader(h.getKey(), h.getValue());
      }
    });
    // Answered once: by the target, or by a re-forward when the target is declared down first.
    java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable onTargetDown = () -> {
      if (settled.compareAndSet(false, true)) {
        forward(m, verb, id, deadline);
      }
    };
    waitingOn.computeIfAbsent(target.get(), k -> new java.util.HashSet<>()).add(onTargetDown);
    vertx.eventBus().request(Addresses.pop(target.get(), verb), m.body(), options)
        .onComplete(x -> {
          java.util.Set<Runnable> waiting = waitingOn.get(target.get());
          if (waiting != null) {
            waiting.remove(onTargetDown);
          }
        })
        .onSuccess(reply -> {
          if (!settled.compareAndSet(false, true)) {
            return;
          }
          keepInTransitCache(verb, m.body(), reply.body(), target.get());
          DeliveryOptions back = BlockBytes.optionsFor(reply.body());
          reply.headers().forEach(h -> back.addHeader(h.getKey(), h.getValue()));
          m.reply(reply.body(), back);
          // If the gateway is gone, the reply just sent is lost with it: its result may be owed.
          owed.replied(verb, m.headers(), reply.body());
        })
        .onFailure(e -> {
          if (!settled.compareAndSet(false, true)) {
            return;
          }
          boolean misdirected = e instanceof ReplyException r && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
              && r.failureCode() == FailureCode.MISDIRECTED.code;
          boolean unanswered = misdirected
              || e instanceof ReplyException r && r.failureType() != ReplyFailure.RECIPIENT_FAILURE;
          if (unanswered && !owners.actingPrimary(id).equals(target)) {
            forward(m, verb, id, deadline);
          } else if (misdirected && deadline - System.currentTimeMillis() > 100) {
            // The target and this POP disagree on who acts (a primary just came back): ask again shortly.
            vertx.setTimer(100, t -> forward(m, verb, id, deadline));
          } else if (unanswered && deadline - System.currentTimeMillis() > 200) {
            // Not failed over (yet): look again shortly, while the caller's deadline allows.
            vertx.setTimer(200, t -> retryIfFailedOver(m, verb, id, deadline, target.get(), e));
          } else {
            Replies.fail(m, e);
          }
        });
  }

  private void retryIfFailedOver(Message<Object> m, String verb, ObjectId id, long deadline, String previous,
      Throwable failure) {
    if (!owners.actingPrimary(id).equals(Optional.of(previous))) {
      forward(m, verb, id, deadline);
    } else if (deadline - System.currentTimeMillis() > 200) {
      vertx.setTimer(200, t -> retryIfFailedOver(m, verb, id, deadline, previous, failure));
    } else {
      Replies.fail(m, failure);
    }
  }

  /**
   * Serves from the transit cache what a cache may serve (DESIGN section 5): blocks (immutable),
   * exact versions, and monotonic reads when the cached version reaches the client's minimum.
   */
  private boolean fromTransitCache(Message<Object> m, String verb, ObjectId id) {
    Optional<?> hit = Optional.empty();
    if (Addresses.OWNER_READ_BLOCK.equals(verb) && m.body() instanceof BlockRef ref) {
      hit = transit.block(ref);
    } else if (Addresses.OWNER_META.equals(verb) && m.body() instanceof JsonObject q && m.headers().get(Addresses.HEADER_LOCK) == null) {
      long version = q.getLong("version", 0L);
      long min = q.getLong("minVersion", 0L);
      // Only a version whose blocks are cached too: Mistore-Source names where the bytes come from.
      hit = (version > 0 ? transit.version(id, version)
          : Boolean.TRUE.equals(q.getBoolean("monotonic")) ? transit.newest(id).filter(v -> v.ref().version() >= min)
          : Optional.<VersionMeta>empty()).filter(transit::holdsAll);
    }
    hit.ifPresent(value -> m.reply(value, BlockBytes.optionsFor(value).addHeader(Addresses.HEADER_SOURCE, "pop-cache")));
    return hit.isPresent();
  }

  /**
   * Keeps what passed through in the transit cache: versions always, blocks only when another POP
   * answered (this POP's own blocks are on its disk or its HGs already; hashing and caching them
   * again cost a large download half its event-loop time).
   */
  private void keepInTransitCache(String verb, Object request, Object reply, String answeredBy) {
    if (reply instanceof VersionMeta meta) {
      transit.putVersion(meta);
    } else if (Addresses.OWNER_READ_BLOCK.equals(verb) && !answeredBy.equals(identity.id())
        && request instanceof BlockRef ref && reply instanceof Buffer data
        && Checksums.matches(data, ref.length(), ref.sha256())) {
      transit.putBlock(ref, data);
    }
  }

  private static long timeoutOf(Message<?> m) {
    String t = m.headers().get(Addresses.HEADER_TIMEOUT);
    return t == null ? DeliveryOptions.DEFAULT_TIMEOUT : Long.parseLong(t);
  }

  @Override
  protected void sendHeartbeat(NodeReport report) {
    vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, report);
  }
}
