package org.mistore.pop;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.Codecs;
import org.mistore.codecs.CommitRequest;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.LockGrant;
import org.mistore.codecs.LockType;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.codecs.VersionMeta;
import org.mistore.directory.DirectoryEntry;
import org.mistore.lock.LockTable;

/**
 * Brings a POP's copy of an object up to date before it acts as the object's primary, and answers
 * other holders asking for the same. After any POP or DC came or went, the first request that needs
 * this POP as acting primary of an object first asks every other live POP and the DC for their head,
 * fence ceiling and locks of it, copies the versions it lacks (metadata and blocks, checked) from the
 * holder with the newest head, then whatever is still missing from each other holder, records the
 * ceiling and installs the locks. Only then does it serve: a POP
 * that was down, or stood aside while its backup acted for it, never serves a stale head.
 *
 * <p>Used on its verticle's event loop only.
 */
final class CatchUp {
  private static final System.Logger LOG = System.getLogger(CatchUp.class.getName());
  /** Versions listed per catch-up reply (their blocks are fetched one by one afterwards). */
  static final int VERSIONS_PER_REPLY = 128;
  /** ... and no more than about this many bytes of them (at least one): large objects have long block lists. */
  static final int REPLY_BYTES = 1 << 20;
  private static final long ASK_TIMEOUT_MS = 3000;

  private final Vertx vertx;
  private final Owners.Holder self;
  private final PopObjectStore store;
  private final Owners owners;
  private final LockTable locks;
  private final AtomicLong epoch = new AtomicLong(1);
  /** Objects caught up, with the membership epoch they were caught up in (bounded: a forgotten one is asked again). */
  private final com.github.benmanes.caffeine.cache.Cache<ObjectId, Long> syncedAt =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(200_000).executor(Runnable::run).build();
  private final Map<ObjectId, Future<Void>> running = new HashMap<>();
  private final Counter versionsCopied;
  /** Versions committed by a catch-up before their blocks (which followed in the background). */
  private final Counter versionsDeferred;
  /** How long a catch-up copies blocks as it goes before it commits older versions ahead of them. */
  private final long blockWaitNanos;
  /** Versions whose blocks are owed, in the order they are copied; one is copied at a time. */
  private final java.util.ArrayDeque<PopObjectStore.Owed> owed = new java.util.ArrayDeque<>();
  private boolean backfilling;
  /**
   * What waits on a holder (a catch-up's question, the owed copy in progress), by holder: failed with
   * {@link HolderDown} as soon as the directory sees that holder go down (see {@link #whenDown}).
   */
  private final Map<Owners.Holder, java.util.Set<Promise<Void>>> untilDown = new HashMap<>();
  /** This verticle's context: directory events hop onto it. */
  private final io.vertx.core.Context context;
  /** Pause before a failed owed copy is tried again; it doubles with each failure in a row, up to a minute. */
  static final long OWED_RETRY_MS = 2000;
  private long owedRetryMs = OWED_RETRY_MS;
  private final java.util.function.Consumer<VersionMeta> copied;
  private final MeterRegistry registry;
  private final io.micrometer.core.instrument.Gauge owedGauge;
  /** A gap between two looks at the clock longer than this means the process stood still. */
  private final long pauseMillis;
  private final AtomicLong lastLook = new AtomicLong(System.nanoTime());
  /** The epoch in which this node last found it had stood still (0: never). */
  private volatile long pausedAt;

  /** {@code copied} is told of every version copied here (a POP places its blocks on its region's HGs). */
  CatchUp(Vertx vertx, Owners.Holder self, PopObjectStore store, Owners owners, LockTable locks,
      MeterRegistry registry, long blockWaitMs, java.util.function.Consumer<VersionMeta> copied) {
    this.blockWaitNanos = blockWaitMs >= Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : blockWaitMs * 1_000_000;
    this.versionsDeferred = registry.counter("mistore.catchup.deferred.versions", "node", self.id());
    this.copied = copied;
    this.vertx = vertx;
    this.self = self;
    this.store = store;
    this.owners = owners;
    this.locks = locks;
    this.versionsCopied = registry.counter("mistore.catchup.versions", "node", self.id());
    this.registry = registry;
    this.owedGauge = io.micrometer.core.instrument.Gauge.builder("mistore.catchup.owed.versions", store,
        PopObjectStore::owedCount).tag("node", self.id()).register(registry);
    this.context = vertx.getOrCreateContext();
    owners.directory().onUp(this::membershipChanged);
    owners.directory().onDown(this::membershipChanged);
    owners.directory().onDown(e -> context.runOnContext(v -> {
      Owners.Holder gone = new Owners.Holder(e.report().role(), e.report().nodeId());
      java.util.Set<Promise<Void>> waiting = untilDown.remove(gone);
      if (waiting != null) {
        waiting.forEach(w -> w.tryFail(new HolderDown(gone.describe())));
      }
    }));
    // Half the failure-detection time: a pause shorter than that cannot have let another POP act for this one.
    this.pauseMillis = Math.max(1000, owners.directory().detectionMillis() / 2);
    vertx.setPeriodic(Math.max(50, pauseMillis / 4), t -> noticePause());
  }

  /**
   * Whether the process stood still (SIGSTOP, a long GC pause, a starved VM) since the last look: long
   * enough for the other holders to think it down and act without it, while from within nothing
   * happened. Every object then counts as not caught up, and catching one up must hear from the
   * object's other POP or the DC (see {@link #syncFromAll}), even if the directory, as stale as the
   * rest of this node's view, still calls them down. Thread-safe.
   */
  private void noticePause() {
    long now = System.nanoTime();
    long stoodMs = (now - lastLook.getAndSet(now)) / 1_000_000;
    if (stoodMs > pauseMillis) {
      pausedAt = epoch.incrementAndGet();
      LOG.log(System.Logger.Level.WARNING, "{0} stood still for {1} ms (process paused or starved): before it acts "
          + "as primary of an object again, it hears from the object''s other POP or the DC", self.describe(),
          String.valueOf(stoodMs));
    }
  }

  private void membershipChanged(DirectoryEntry e) {
    Role role = e.report().role();
    if ((role == Role.POP || role == Role.DC) && !e.report().nodeId().equals(self.id())) {
      epoch.incrementAndGet();
    }
  }

  /** Completes when this POP holds what the other live holders of {@code id} have (since the last membership change). */
  /** The current epoch: read it before minting an id, then hand it to {@link #minted}. */
  long epoch() {
    return epoch.get();
  }

  /**
   * An id this node has just minted, at {@code at}: no node holds a version of it, so no catch-up
   * is needed while the epoch stays the same (thread-safe).
   */
  void minted(ObjectId id, long at) {
    syncedAt.put(id, at);
  }

  Future<Void> beforeActing(ObjectId id) {
    // A request may come before the timer, right after the process resumes.
    noticePause();
    long at = epoch.get();
    Long synced = syncedAt.getIfPresent(id);
    if (synced != null && synced == at) {
      return Future.succeededFuture();
    }
    Future<Void> inFlight = running.get(id);
    if (inFlight != null) {
      return inFlight;
    }
    Promise<Void> done = Promise.promise();
    running.put(id, done.future());
    // Not caught up since this node stood still: the others may have acted for it meanwhile.
    boolean afterPause = pausedAt > 0 && (synced == null || synced < pausedAt);
    syncFromAll(id, afterPause).onComplete(r -> {
      running.remove(id);
      backfill();
      if (r.succeeded()) {
        syncedAt.put(id, at);
      } else {
        LOG.log(System.Logger.Level.WARNING, "{0} could not catch up {1}: {2}", self.describe(), id,
            r.cause().getMessage());
      }
      done.handle(r);
    });
    return done.future();
  }

  /** Copies the versions of {@code id} this node lacks from {@code holder} (a mirror commit showed a gap). */
  Future<Void> from(Owners.Holder holder, ObjectId id) {
    long started = System.nanoTime();
    return store.firstMissing(id).compose(from -> ask(holder, id, from)).compose(reply -> pull(holder, id, reply, started));
  }

  /**
   * As described on the class; {@code afterPause}: the object was not caught up since this node
   * stood still, so the other POP of its pair or the DC must answer.
   */
  private Future<Void> syncFromAll(ObjectId id, boolean afterPause) {
    return directoryWarm().compose(v -> syncFromAllNow(id, afterPause));
  }

  /**
   * Completes once this node's directory has listened for a failure-detection time (so it has heard
   * every live node: a POP or DC it has not heard of yet would not be asked, and a catch-up that
   * missed the one holding the newest versions would serve an old head), or after twice that anyway.
   */
  private Future<Void> directoryWarm() {
    if (owners.directory().unheardIsDown()) {
      return Future.succeededFuture();
    }
    Promise<Void> warm = Promise.promise();
    long giveUpAt = System.nanoTime() + 2_000_000L * owners.directory().detectionMillis();
    vertx.setPeriodic(100, t -> {
      if (owners.directory().unheardIsDown() || System.nanoTime() > giveUpAt) {
        vertx.cancelTimer(t);
        warm.tryComplete();
      }
    });
    return warm.future();
  }

  private Future<Void> syncFromAllNow(ObjectId id, boolean afterPause) {
    List<Owners.Holder> others = new ArrayList<>();
    owners.directory().up(Role.POP).stream().map(NodeReport::nodeId).filter(p -> !p.equals(self.id()))
        .forEach(p -> others.add(new Owners.Holder(Role.POP, p)));
    // The other POP of the pair holds every version this one was told of, even when this node has
    // not heard it yet (a node restarted moments ago): it is asked unless known down, and a pair
    // POP that does not answer fails the catch-up below.
    String otherOfPair = self.id().equals(id.primaryPop()) ? id.backupPop() : id.primaryPop();
    if (self.role() == Role.POP && !otherOfPair.equals(self.id()) && (afterPause || !owners.isDown(otherOfPair))
        && others.stream().noneMatch(h -> h.id().equals(otherOfPair))) {
      others.add(new Owners.Holder(Role.POP, otherOfPair));
    }
    owners.directory().up(Role.DC).forEach(r -> others.add(new Owners.Holder(Role.DC, r.nodeId())));
    long started = System.nanoTime();
    return store.head(id).compose(head -> store.firstMissing(id).compose(from -> {
      List<Future<Optional<JsonObject>>> asked = new ArrayList<>();
      for (Owners.Holder h : others) {
        boolean pair = holdsPair(h, id);
        // A holder seen down while asked counts as one known down before: not waited for.
        asked.add(askUnlessDown(h, id, from).map(Optional::of).recover(e -> pair && !afterPause
            && !(e instanceof HolderDown)
            ? Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, "catching up " + id + ": "
                + h.describe() + " holding a copy did not answer (" + Replies.text(e) + ")"))
            : Future.succeededFuture(Optional.empty())));
      }
      return Future.all(asked).compose(all -> {
        if (afterPause && !heardFromPairOrDc(id, others, all)) {
          return Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, self.describe() + " stood still "
              + "(process paused) and has not yet heard from the other POP of " + id + " or the DC whether they "
              + "acted for it meanwhile; retry"));
        }
        long ceiling = 0;
        boolean anyActing = false;
        List<Integer> holding = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
          Optional<JsonObject> reply = all.resultAt(i);
          if (reply.isEmpty()) {
            continue;
          }
          ceiling = Math.max(ceiling, reply.get().getLong("ceiling", 0L));
          anyActing |= reply.get().getBoolean("acting", false);
          if (reply.get().getLong("head", 0L) >= from) {
            holding.add(i);
          }
        }
        boolean noneWhoWouldKnow = !heardFromPairOrDc(id, others, all);
        boolean everyoneAnswered = everyoneAnswered(id, others, all);
        // Leases come from whoever acted as primary meanwhile, else from the other POP of the pair
        // (leases this POP granted before it restarted). A stand-in's mirrored leases may be old
        // ghosts: ignoring them is safe, since the fence ceiling recorded below still rises above them.
        for (int i = 0; i < asked.size(); i++) {
          Optional<JsonObject> reply = all.resultAt(i);
          if (reply.isPresent() && (anyActing ? reply.get().getBoolean("acting", false) : holdsPair(others.get(i), id))) {
            installLocks(id, reply.get().getJsonArray("locks", new JsonArray()));
          }
        }
        Future<Void> recorded = ceiling > 0 ? store.recordCeiling(id, ceiling) : Future.succeededFuture();
        // Newest head first; a holder with a shorter history (a stand-in, a POP that was down) may
        // still have versions the newest lacks, so every holder fills what is still missing after it.
        holding.sort(java.util.Comparator.comparingLong(
            (Integer i) -> -all.<Optional<JsonObject>>resultAt(i).orElseThrow().getLong("head")));
        List<Owners.Holder> sources = holding.stream().map(others::get).toList();
        List<JsonObject> replies = holding.stream().map(i -> all.<Optional<JsonObject>>resultAt(i).orElseThrow()).toList();
        return recorded.compose(v -> fill(id, sources, replies, 0, from, started, null))
            .compose(v -> settleStaged(id, everyoneAnswered))
            .compose(v -> head > 0 || !noneWhoWouldKnow ? Future.succeededFuture() : store.head(id).compose(h -> h > 0
                ? Future.succeededFuture()
                // Nothing here, and none of those who would know answered (this POP may be back on a lost folder).
                : Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, self.describe() + " holds no version "
                    + "of " + id + " and neither its other POP nor a DC answered: whether it exists cannot be told "
                    + "now; retry"))));
      });
    }));
  }

  /**
   * Whether the object's other POP and every other POP and DC this node knows of answered: then a
   * version that none of them holds was committed nowhere else.
   */
  private boolean everyoneAnswered(ObjectId id, List<Owners.Holder> asked, io.vertx.core.CompositeFuture all) {
    java.util.Set<String> answered = new java.util.HashSet<>();
    for (int i = 0; i < asked.size(); i++) {
      if (all.<Optional<JsonObject>>resultAt(i).isPresent()) {
        answered.add(asked.get(i).key());
      }
    }
    String pair = self.id().equals(id.primaryPop()) ? id.backupPop() : id.primaryPop();
    // A directory that has not listened for a detection time may not know every node yet.
    return owners.directory().unheardIsDown() && answered.contains(new Owners.Holder(Role.POP, pair).key()) && owners.directory().snapshot().stream()
        .map(e -> new Owners.Holder(e.report().role(), e.report().nodeId()))
        .filter(h -> (h.role() == Role.POP || h.role() == Role.DC) && !h.id().equals(self.id()))
        .allMatch(h -> answered.contains(h.key()));
  }

  /**
   * Settles versions an earlier run of this POP staged above the head and did not live to make the
   * head (it stopped between staging a write and writing its head, so its client may have been
   * told): once the other holders' versions are copied, a version still above the head is dropped
   * when every holder that could have taken the second copy answered without it (it was never
   * acknowledged), else made the head: a write acknowledged is never lost, at the price of a write
   * that failed surviving when its second copy cannot be asked about.
   */
  private Future<Void> settleStaged(ObjectId id, boolean everyoneAnswered) {
    return store.stagedBefore(id).compose(staged -> {
      if (staged.isEmpty()) {
        return Future.succeededFuture();
      }
      if (everyoneAnswered) {
        return store.dropStaged(id).map(n -> {
          LOG.log(System.Logger.Level.INFO, "{0}: dropped {1} version(s) of {2} staged before it stopped, which no "
              + "other holder committed", self.describe(), n, id);
          return null;
        });
      }
      return store.adoptStaged(id).compose(adopted -> {
        adopted.forEach(copied);
        LOG.log(System.Logger.Level.WARNING, "{0}: made {1} version(s) of {2} staged before it stopped the head ({3}): "
            + "the holders that would know whether they were acknowledged did not all answer", self.describe(),
            adopted.size(), id, adopted.stream().map(m -> String.valueOf(m.ref().version())).toList());
        // Held here alone now: a second copy goes to whoever holds the object's other copy now.
        Future<Void> pushed = Future.succeededFuture();
        for (VersionMeta meta : adopted) {
          pushed = pushed.compose(v -> push.apply(meta));
        }
        return pushed.recover(e -> {
          LOG.log(System.Logger.Level.WARNING, "{0}: versions of {1} made head here not copied to a second holder "
              + "yet ({2}); the other POP copies them when it is back", self.describe(), id, Replies.text(e));
          return Future.succeededFuture();
        });
      });
    });
  }

  /**
   * Settles, now rather than at their next request, the objects an earlier run left a staged version
   * of (see {@link #settleStaged}), while the holders that know are most likely still up. Call once,
   * at start; an object that cannot be settled now is at its next request.
   */
  void settleUncertain() {
    java.util.Set<ObjectId> ids = store.uncertain();
    if (!ids.isEmpty()) {
      // Once the directory has heard every live node (the DC among them), not before.
      vertx.setTimer(owners.directory().detectionMillis() + 500, t -> ids.forEach(this::beforeActing));
    }
  }

  /**
   * Copies from {@code sources} (newest head first, each with its answer to an ask from {@code from})
   * the versions this store still lacks. A source that fails (it went down, a block failed its
   * checksum) is passed over for the next; the catch-up fails only if this store then still lacks the
   * newest head answered, which it must not serve without. {@code failed}: the first failure so far.
   */
  private Future<Void> fill(ObjectId id, List<Owners.Holder> sources, List<JsonObject> replies, int at, long from,
      long started, Throwable failed) {
    if (at == sources.size()) {
      long newest = sources.isEmpty() ? 0 : replies.get(0).getLong("head", 0L);
      return store.head(id).compose(head -> head >= newest || failed == null ? Future.succeededFuture()
          : Future.failedFuture(failed));
    }
    Owners.Holder source = sources.get(at);
    JsonObject reply = replies.get(at);
    Future<Long> missing = at == 0 ? Future.succeededFuture(from) : store.firstMissing(id);
    return missing.compose(first -> {
      if (first > reply.getLong("head", 0L)) {
        return Future.succeededFuture();
      }
      return first == from ? pull(source, id, reply, started)
          : ask(source, id, first).compose(r -> pull(source, id, r, started));
    }).transform(r -> {
      if (r.succeeded()) {
        return fill(id, sources, replies, at + 1, from, started, failed);
      }
      LOG.log(System.Logger.Level.WARNING, "{0}: versions of {1} from {2} not copied ({3}); {4}", self.describe(), id,
          source.describe(), Replies.text(r.cause()), at + 1 < sources.size() ? "asking the next holder"
              : "asked again at the next catch-up");
      return fill(id, sources, replies, at + 1, from, started, failed != null ? failed : r.cause());
    });
  }

  /** Whether the other POP of the object's pair, or a DC, answered (they hold whatever was committed without this node). */
  private static boolean heardFromPairOrDc(ObjectId id, List<Owners.Holder> asked, io.vertx.core.CompositeFuture all) {
    for (int i = 0; i < asked.size(); i++) {
      Owners.Holder h = asked.get(i);
      if ((holdsPair(h, id) || h.role() == Role.DC) && all.<Optional<JsonObject>>resultAt(i).isPresent()) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code h} is one of the object's two POPs (its primary or its backup). */
  private static boolean holdsPair(Owners.Holder h, ObjectId id) {
    return h.role() == Role.POP && (h.id().equals(id.primaryPop()) || h.id().equals(id.backupPop()));
  }

  private void installLocks(ObjectId id, JsonArray held) {
    for (int i = 0; i < held.size(); i++) {
      JsonObject l = held.getJsonObject(i);
      locks.mirrorGrant(new LockGrant(l.getString("token"), LockType.parse(l.getString("type")), id,
          l.getLong("fence"), l.getLong("version"), l.getLong("expiresAt")), l.getLong("ttlMs"));
    }
  }

  /** The failure of an ask whose holder the directory saw go down while it was waited for. */
  static final class HolderDown extends RuntimeException {
    HolderDown(String holder) {
      super(holder + " went down", null, false, false);
    }
  }

  /** A promise failed with {@link HolderDown} when the directory sees {@code holder} go down; {@link #forget} it once done. */
  private Promise<Void> whenDown(Owners.Holder holder) {
    Promise<Void> gone = Promise.promise();
    untilDown.computeIfAbsent(holder, h -> new java.util.HashSet<>()).add(gone);
    return gone;
  }

  private void forget(Owners.Holder holder, Promise<Void> gone) {
    java.util.Set<Promise<Void>> left = untilDown.get(holder);
    if (left != null && left.remove(gone) && left.isEmpty()) {
      untilDown.remove(holder);
    }
  }

  /**
   * As {@link #ask}, but failed with {@link HolderDown} as soon as the directory sees the holder go
   * down (within its failure detection), rather than when the ask times out.
   */
  private Future<JsonObject> askUnlessDown(Owners.Holder holder, ObjectId id, long from) {
    Promise<Void> gone = whenDown(holder);
    Promise<JsonObject> answer = Promise.promise();
    ask(holder, id, from).onComplete(answer::tryComplete, answer::tryFail);
    gone.future().onFailure(answer::tryFail);
    return answer.future().andThen(r -> forget(holder, gone));
  }

  private Future<JsonObject> ask(Owners.Holder holder, ObjectId id, long from) {
    JsonObject body = new JsonObject().put("id", id.render()).put("from", from).put("requester", self.id());
    owners.directory().find(self.role(), self.id()).ifPresent(e -> body.put("report",
        Base64.getEncoder().encodeToString(Codecs.NODE_REPORT.encode(e.report()).getBytes())));
    return vertx.eventBus().<JsonObject>request(holder.address(Addresses.OWNER_SYNC), body,
        new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS)).map(m -> m.body());
  }

  /**
   * Copies the versions listed in {@code reply}, then asks for more until the holder's head is
   * reached. Blocks are copied with their version until {@link #blockWaitNanos} after {@code started};
   * past that, versions older than the holder's head are committed at once and their blocks are
   * copied in the background ({@link #owe}), so that a long backlog does not hold requests. The
   * newest version is always copied whole before it commits.
   */
  private Future<Void> pull(Owners.Holder holder, ObjectId id, JsonObject reply, long started) {
    JsonArray listed = reply.getJsonArray("versions", new JsonArray());
    long head = reply.getLong("head", 0L);
    List<PopObjectStore.Committed> page = new ArrayList<>();
    for (int i = 0; i < listed.size(); i++) {
      JsonObject entry = listed.getJsonObject(i);
      page.add(new PopObjectStore.Committed(
          Codecs.VERSION_META.decode(Buffer.buffer(Base64.getDecoder().decode(entry.getString("meta")))),
          entry.getString("requestId")));
    }
    long last = page.isEmpty() ? 0 : page.get(page.size() - 1).meta().ref().version();
    // Versions listed from the first this store lacks: those above it it may hold already.
    return store.held(id, page.stream().map(c -> c.meta().ref().version()).toList())
        .map(held -> page.stream().filter(c -> !held.contains(c.meta().ref().version())).toList())
        .compose(lacking -> copyPage(holder, lacking, 0, head, started))
        .compose(v -> last > 0 && last < head
        ? ask(holder, id, last + 1).compose(next -> pull(holder, id, next, started))
        : Future.succeededFuture());
  }

  /**
   * Copies {@code page} from {@code at} on, in order. Once blocks may no longer hold the catch-up, the
   * rest of the page below the holder's head is committed in one go (the writes queue in order and
   * share their fsyncs), blocks owed.
   */
  private Future<Void> copyPage(Owners.Holder holder, List<PopObjectStore.Committed> page, int at, long head,
      long started) {
    if (at == page.size()) {
      return Future.succeededFuture();
    }
    if (System.nanoTime() - started < blockWaitNanos || page.get(at).meta().ref().version() >= head) {
      PopObjectStore.Committed c = page.get(at);
      return copy(holder, c.meta(), c.requestId()).compose(v -> copyPage(holder, page, at + 1, head, started));
    }
    List<Future<Void>> later = new ArrayList<>();
    int next = at;
    for (; next < page.size() && page.get(next).meta().ref().version() < head; next++) {
      later.add(copyLater(holder, page.get(next).meta(), page.get(next).requestId()));
    }
    int rest = next;
    return Future.all(later).compose(v -> copyPage(holder, page, rest, head, started));
  }

  /** Commits a copied version now, its missing blocks owed (copied in the background). */
  private Future<Void> copyLater(Owners.Holder holder, VersionMeta meta, String requestId) {
    return store.commitOwingBlocks(meta, requestId, holder.key()).map(owing -> {
      versionsCopied.increment();
      if (owing) {
        versionsDeferred.increment();
        owe(new PopObjectStore.Owed(meta, holder.key()));
      } else {
        copied.accept(meta);
      }
      return null;
    });
  }

  private java.util.function.Function<VersionMeta, Future<Void>> push = meta -> Future.succeededFuture();

  /** How a version only this POP holds is sent to a second holder (see {@link OwnerService#pushToPeer}). */
  void pushAdoptedWith(java.util.function.Function<VersionMeta, Future<Void>> push) {
    this.push = push;
  }

  /** Stops reporting this store's owed versions (a POP restarted in the same process registers its own gauge). */
  void close() {
    registry.remove(owedGauge);
  }

  /** Resumes copying the blocks a catch-up left owed before the store was last closed (call once, at start). */
  Future<Void> resumeOwed() {
    return store.owed().map(all -> {
      all.stream().sorted(java.util.Comparator.comparing((PopObjectStore.Owed o) -> o.meta().ref().id().render())
          .thenComparingLong(o -> o.meta().ref().version())).forEach(this::owe);
      return null;
    });
  }

  private void owe(PopObjectStore.Owed version) {
    owed.add(version);
    backfill();
  }

  /**
   * Copies the owed blocks of the first version in line from its holder (else from the object's
   * other copy-holder), then places it on the region's HGs. A failed copy is tried again later; the
   * version is readable meanwhile, from the HGs or the other copy-holder.
   */
  private void backfill() {
    // Catch-ups go first: their requests wait, and they would share the disk and the writer.
    if (backfilling || owed.isEmpty() || !running.isEmpty()) {
      return;
    }
    backfilling = true;
    PopObjectStore.Owed next = owed.poll();
    VersionMeta meta = next.meta();
    Owners.Holder recorded = Owners.Holder.ofKey(next.holder());
    Owners.Holder from = recorded.role() == Role.POP && owners.isDown(recorded.id())
        ? owners.peerOf(meta.ref().id(), self.id()).orElse(recorded) : recorded;
    Promise<Void> gone = whenDown(from);
    copyOwed(from, meta, 0, gone.future())
        .compose(v -> store.owedBlocksArrived(meta))
        .onComplete(r -> {
          backfilling = false;
          forget(from, gone);
          if (r.succeeded() && r.result()) {
            owedRetryMs = OWED_RETRY_MS;
            copied.accept(meta);
            backfill();
          } else {
            LOG.log(System.Logger.Level.INFO, "{0}: blocks of {1} from {2} not copied yet ({3}); trying again in {4} ms",
                self.describe(), meta.ref(), from.describe(), r.failed() ? r.cause().getMessage() : "some missing",
                String.valueOf(owedRetryMs));
            vertx.setTimer(owedRetryMs, t -> owe(next));
            owedRetryMs = Math.min(60_000, owedRetryMs * 2);
          }
        });
  }

  /** Copies the blocks of {@code meta} this store lacks, from {@code index} on; fails at once when {@code gone} does. */
  private Future<Void> copyOwed(Owners.Holder holder, VersionMeta meta, int index, Future<Void> gone) {
    if (index == meta.blockCount()) {
      return Future.succeededFuture();
    }
    BlockRef ref = meta.block(index);
    return store.holds(ref).compose(held -> {
      if (held) {
        return Future.succeededFuture();
      }
      return readBlock(holder, ref, gone).compose(data -> store.putOwedBlock(ref, data));
    }).compose(v -> copyOwed(holder, meta, index + 1, gone));
  }

  /**
   * Block {@code ref} as {@code holder} has it; fails at once when {@code gone} does (the holder seen
   * down), or when the directory already knows it down, rather than at the peer timeout.
   */
  private Future<Buffer> readBlock(Owners.Holder holder, BlockRef ref, Future<Void> gone) {
    if (owners.directory().knownDown(holder.role(), holder.id())) {
      return Future.failedFuture(new HolderDown(holder.describe()));
    }
    Promise<Buffer> got = Promise.promise();
    gone.onFailure(got::tryFail);
    // Marked as from a copy-holder: the holder answers from its own copy or its region's HGs, never
    // by asking this node back.
    vertx.eventBus().<Buffer>request(holder.address(Addresses.OWNER_READ_BLOCK), ref,
            new DeliveryOptions().addHeader(Addresses.HEADER_FROM, self.id()).setSendTimeout(owners.peerTimeoutMs()))
        .onComplete(r -> {
          if (r.succeeded()) {
            got.tryComplete(r.result().body());
          } else {
            got.tryFail(r.cause());
          }
        });
    return got.future();
  }

  private Future<Void> copy(Owners.Holder holder, VersionMeta meta, String requestId) {
    Promise<Void> gone = whenDown(holder);
    Future<Void> blocks = store.hasBlocks(meta)
        .compose(all -> all ? Future.succeededFuture() : copyBlocks(holder, meta, 0, gone.future()))
        .andThen(r -> forget(holder, gone));
    return blocks.compose(v -> store.commit(CommitRequest.of(meta), requestId, true))
        .onSuccess(v -> {
          versionsCopied.increment();
          copied.accept(v);
        })
        .mapEmpty();
  }

  private Future<Void> copyBlocks(Owners.Holder holder, VersionMeta meta, int index, Future<Void> gone) {
    if (index == meta.blockCount()) {
      return Future.succeededFuture();
    }
    BlockRef ref = meta.block(index);
    return readBlock(holder, ref, gone)
        // putBlock checks the block against its checksum (once) before it stores it.
        .compose(data -> store.putBlock(ref, data))
        .recover(e -> Future.failedFuture(e instanceof StoreFailure f && f.code == FailureCode.BAD_REQUEST
            ? new StoreFailure(FailureCode.UNAVAILABLE, "block " + index + " of " + meta.ref() + " from "
                + holder.describe() + " failed its checksum")
            : e instanceof HolderDown ? new StoreFailure(FailureCode.UNAVAILABLE, "catching up " + meta.ref().id() + ": "
                + holder.describe() + " went down while block " + index + " of version " + meta.ref().version()
                + " was copied from it; retry") : e))
        .compose(v -> copyBlocks(holder, meta, index + 1, gone));
  }

  /**
   * Answers a catch-up request: head, fence ceiling, the object's locks and up to
   * {@link #VERSIONS_PER_REPLY} versions from {@code from} on. A POP acting for the requester (its
   * primary, back) hands the locks back and stops acting: the requester is marked up here at once.
   */
  Future<JsonObject> answer(JsonObject request) {
    ObjectId id = ObjectId.parse(request.getString("id"));
    long from = request.getLong("from", 1L);
    String requester = request.getString("requester", "");
    boolean acting = self.role() == Role.POP && !self.id().equals(id.primaryPop())
        && owners.actingPrimary(id).map(self.id()::equals).orElse(false);
    String report = request.getString("report");
    if (report != null) {
      NodeReport back = Codecs.NODE_REPORT.decode(Buffer.buffer(Base64.getDecoder().decode(report)));
      if (back.nodeId().equals(requester)) {
        owners.directory().heard(back);
      }
    }
    boolean primaryBack = self.role() == Role.POP && self.id().equals(id.backupPop())
        && requester.equals(id.primaryPop());
    if (primaryBack && locks.ownLeaseLive(id)) {
      // A write this POP numbered itself is still committing: the primary asks again in a moment.
      return Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, "a write on " + id
          + " is finishing at " + self.describe() + "; retry"));
    }
    JsonArray held = new JsonArray();
    locks.held(id).forEach(h -> held.add(new JsonObject().put("token", h.grant().token())
        .put("type", h.grant().type().wireName()).put("fence", h.grant().fence())
        .put("version", h.grant().version()).put("expiresAt", h.grant().expiresAt()).put("ttlMs", h.ttlMs())));
    if (primaryBack) {
      // Whether or not this POP still thought it was acting (it may have heard the primary first),
      // the leases it ran are the primary's from now on: their clocks stop here.
      locks.handBack(id);
      epoch.incrementAndGet();
    }
    return store.head(id).compose(head -> store.durableCeiling(id).compose(ceiling ->
        store.versionsFrom(id, from, VERSIONS_PER_REPLY).map(list -> {
          JsonArray versions = new JsonArray();
          long bytes = 0;
          for (PopObjectStore.Committed c : list) {
            String meta = Base64.getEncoder().encodeToString(Codecs.VERSION_META.encode(c.meta()).getBytes());
            if (bytes > 0 && bytes + meta.length() > REPLY_BYTES) {
              break; // the requester asks for the rest
            }
            bytes += meta.length();
            versions.add(new JsonObject().put("meta", meta).put("requestId", c.requestId()));
          }
          return new JsonObject().put("head", head).put("ceiling", ceiling).put("acting", acting)
              .put("locks", held).put("versions", versions);
        })));
  }
}
