package org.mistore.placement;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.codecs.VersionMeta;
import org.mistore.directory.NodeDirectory;
import org.mistore.directory.NodeStatus;
import org.mistore.node.Limits;
import org.mistore.pop.PopObjectStore;
import org.mistore.pop.StoreFailure;
import org.mistore.store.BlockStore;

/**
 * A POP's blocks on the HGs of its region: after a version commits, its blocks go round-robin over a
 * stripe of {@code k} HGs with {@code r} copies each on distinct HGs, recorded in the POP's durable
 * index. Reads of blocks the POP no longer holds come from those copies, each checked against its
 * checksum, falling back to another copy. A lost HG's blocks get their copies back from the surviving
 * ones (or the POP's own); a returning HG's blocks are kept if still wanted, else deleted.
 *
 * <p>Everything here runs on the POP verticle's event loop; MapDB work goes through the store.
 */
public final class RegionPlacement {
  private static final System.Logger LOG = System.getLogger(RegionPlacement.class.getName());
  /** Where a block served from HG copies came from, as the API names it. */
  public static final String HG_BLOCKS = "hg-blocks";
  /**
   * Versions placed at once: many small ones (so the HGs' and this POP's group commits make one fsync
   * of many), while the bytes they have in transit stay within {@link #BYTES_AT_ONCE}.
   */
  private static final int VERSIONS_AT_ONCE = 256;
  private static final int BLOCKS_AT_ONCE = 4;
  /** Bytes of blocks in transit to HGs at once, counted as each active version's window of blocks. */
  private static final long BYTES_AT_ONCE = 8L << 20;
  private static final long RETRY_MS = 3000;
  private static final long FULL_FOR_NANOS = 10_000_000_000L;

  /** A block and where it was read: {@code null} source for the POP's own copy. */
  /**
   * A block served: from where ({@code null}: this node's copy) and whether this node checked these
   * bytes against their checksum (its own copy's CRC32C, an HG copy's SHA-256).
   */
  public record Served(Buffer data, String source, boolean checked) {
    public Served(Buffer data, String source) {
      this(data, source, false);
    }
  }

  private final Vertx vertx;
  private final String self;
  private final String region;
  private final PopObjectStore store;
  private final NodeDirectory directory;
  private final Limits limits;
  private final HgCopies hgs;
  private final Reconciler reconciler;
  private final HgReads reads;
  /**
   * Where a block comes from when neither this POP nor its region holds a reachable copy: the
   * object's other copy-holder (set by the POP's owner service); null until set.
   */
  private volatile java.util.function.Function<BlockRef, Future<Buffer>> elsewhere;

  private final ArrayDeque<VersionMeta> versions = new ArrayDeque<>();
  private final Map<String, VersionMeta> deferred = new LinkedHashMap<>();
  private final Map<String, Integer> deferredBlocks = new HashMap<>();
  private final java.util.Set<String> warned = new java.util.HashSet<>();
  /** A deferral is a WARNING at most this often for one reason (a region without HGs defers every version). */
  static final long DEFERRED_WARNING_EVERY_MS = 60_000;
  private long lastDeferredWarning;
  private String lastDeferredReason;
  /** Versions first deferred since the last WARNING, told at debug level only. */
  private int deferredQuietly;
  /** Versions queued, being placed or waiting to be placed again. */
  private final java.util.Set<String> inPipeline = new java.util.HashSet<>();
  private int activeVersions;
  private long activeBytes;
  private final ArrayDeque<String> repairs = new ArrayDeque<>();
  private final java.util.Set<String> repairsQueued = new java.util.HashSet<>();
  /** Blocks being repaired now, and those of them asked for again meanwhile (repaired once more after). */
  private final java.util.Set<String> repairsActive = new java.util.HashSet<>();
  private final java.util.Set<String> repairsAgain = new java.util.HashSet<>();
  private final java.util.Set<String> repairRetries = new java.util.LinkedHashSet<>();
  private int activeRepairs;
  private long retryTimer = -1;
  private long watchTimer = -1;
  /** HGs that refused a block for lack of room: skipped until this time (nanos). */
  private final Map<String, Long> fullUntil = new HashMap<>();
  /** HGs seen up, with the start time of the run seen (a new start time means a restart). */
  private final Map<String, Long> seenStarted = new HashMap<>();
  private final java.util.Set<String> seenDown = new java.util.HashSet<>();
  /** Blocks whose copies are being made now. */
  private final java.util.Set<String> ensuring = new java.util.HashSet<>();

  private final AtomicLong pendingVersions = new AtomicLong();
  private final AtomicLong unplacedBlocks = new AtomicLong();
  private final AtomicLong repairPending = new AtomicLong();
  private final Counter copies;
  private final Counter refused;
  private final Counter repaired;
  private final Counter repairFailures;
  private final Counter dropped;
  /** When a client last uploaded to or read from this POP (nanos); 0: never. */
  private long clientAt;
  /** While clients are busy: the time the next block copy may start (nanos), paced by bytes. */
  private long nextCopyAt;

  public RegionPlacement(Vertx vertx, String self, String region, PopObjectStore store, NodeDirectory directory,
      MeterRegistry registry, Limits limits) {
    this.vertx = vertx;
    this.self = self;
    this.region = region;
    this.store = store;
    this.directory = directory;
    this.limits = limits;
    this.hgs = new HgCopies(vertx, limits.hgReadTimeoutMs(), directory);
    this.reconciler = new Reconciler(self, store, hgs, this::isUp, limits.hgCopies(), this::queueRepair,
        registry.counter("mistore.reconcile.kept", "pop", self), registry.counter("mistore.reconcile.deleted", "pop", self));
    List<Tag> tags = List.of(Tag.of("pop", self));
    registry.gauge("mistore.replication.pending.versions", tags, pendingVersions);
    registry.gauge("mistore.placement.unplaced.blocks", tags, unplacedBlocks);
    registry.gauge("mistore.repair.pending.blocks", tags, repairPending);
    copies = registry.counter("mistore.placement.copies", "pop", self);
    refused = registry.counter("mistore.placement.refused", "pop", self);
    repaired = registry.counter("mistore.repair.blocks", "pop", self);
    repairFailures = registry.counter("mistore.repair.failures", "pop", self);
    dropped = registry.counter("mistore.placement.pop.dropped", "pop", self);
    reads = new HgReads(self, store, hgs, this::isUp, limits.hgReadTimeoutMs(), this::queueRepair, registry,
        repaired, repairFailures);
  }

  /** Starts watching the region's HGs and resumes placing what a restart left short of copies. Call on the POP's context. */
  public void start(long watchEveryMs) {
    watchTimer = vertx.setPeriodic(Math.max(100, watchEveryMs), t -> watch());
    // Once the region's HGs had time to be heard: blocks held here that lack copies (a restart lost the queue).
    vertx.setTimer(Math.max(1000, 3 * watchEveryMs), t -> resume());
  }

  /** Versions with blocks held here go through placement again (blocks with their copies cost one index read). */
  private void resume() {
    store.heldBlockKeys().onSuccess(keys -> {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (String key : keys) {
        String version = key.substring(0, key.lastIndexOf('/', key.lastIndexOf('/') - 1));
        if (seen.add(version) && !inPipeline.contains(version)) {
          store.refOf(key).onSuccess(ref -> ref.ifPresent(r -> store.meta(r.version().id(), r.version().version())
              .onSuccess(meta -> meta.ifPresent(m -> {
                if (!inPipeline.contains(version)) {
                  replicate(m);
                }
              }))));
        }
      }
    });
  }

  public void stop() {
    if (watchTimer >= 0) {
      vertx.cancelTimer(watchTimer);
    }
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
    }
  }

  // ---------------------------------------------------------------- who is where

  private boolean isUp(String hg) {
    return directory.find(Role.HG, hg).map(e -> e.status() == NodeStatus.UP).orElse(false);
  }

  private List<NodeReport> regionHgs() {
    return directory.up(Role.HG).stream().filter(r -> r.pop().equals(self)).toList();
  }

  private List<StripePlan.Candidate> candidates() {
    long now = System.nanoTime();
    fullUntil.values().removeIf(until -> until < now);
    return regionHgs().stream().map(r -> new StripePlan.Candidate(r.nodeId(),
        fullUntil.containsKey(r.nodeId()) ? 0 : Math.max(0, r.capacityBytes() - r.usedBytes()))).toList();
  }

  private int copiesWanted() {
    return limits.hgCopies();
  }

  // ---------------------------------------------------------------- placement after a commit

  /** Schedules the blocks of a committed version for placement on this region's HGs. */
  public void replicate(VersionMeta meta) {
    replicate(meta, null);
  }

  /**
   * As {@link #replicate(VersionMeta)}, with the bytes of the version's only block when the commit
   * carried them (checked against the version; null or empty when not): while there is room for
   * them in memory, the block is sent from them instead of being read back from the store.
   */
  public void replicate(VersionMeta meta, Buffer inline) {
    if (meta.blockCount() == 0
        || !inPipeline.add(BlockStore.versionKey(meta.ref().id().render(), meta.ref().version()))) {
      return; // nothing to place, or already queued, being placed or waiting for room
    }
    if (inline != null && inline.length() > 0 && meta.blockCount() == 1 && inline.length() == meta.blockLength(0)
        && freshBytes + inline.length() <= FRESH_BYTES) {
      fresh.put(BlockStore.key(meta.block(0)), inline);
      freshBytes += inline.length();
    }
    versions.add(meta);
    pendingVersions.incrementAndGet();
    pumpVersions();
  }

  /** Bytes of just-committed blocks held for their first placement (see {@link #replicate(VersionMeta, Buffer)}). */
  private static final long FRESH_BYTES = 8L << 20;
  private final Map<String, Buffer> fresh = new HashMap<>();
  private long freshBytes;

  /** Set while {@link #pumpVersions} loops: a version placed at once (no HG with room) calls it again. */
  private boolean pumping;

  private void pumpVersions() {
    if (pumping) {
      // Called back from within the loop by a placement that completed at once: the loop goes on
      // (it checks the room again), instead of a call a level deeper for each such version, which
      // overflowed the stack with hundreds of versions waiting while the region's HGs were full.
      return;
    }
    pumping = true;
    try {
      pumpLoop();
    } finally {
      pumping = false;
    }
  }

  private void pumpLoop() {
    while (activeVersions < VERSIONS_AT_ONCE && !versions.isEmpty()
        && (activeVersions == 0 || activeBytes + inTransit(versions.peek()) <= BYTES_AT_ONCE)) {
      VersionMeta meta = versions.poll();
      String key = BlockStore.versionKey(meta.ref().id().render(), meta.ref().version());
      long bytes = inTransit(meta);
      activeVersions++;
      activeBytes += bytes;
      placeVersion(meta).onComplete(done -> {
        activeVersions--;
        activeBytes -= bytes;
        if (meta.blockCount() == 1) {
          Buffer held = fresh.remove(BlockStore.key(meta.block(0)));
          freshBytes -= held == null ? 0 : held.length();
        }
        Integer before = deferredBlocks.remove(key);
        if (before != null) {
          unplacedBlocks.addAndGet(-before);
        }
        int unplaced = done.succeeded() ? done.result() : meta.blockCount();
        if (unplaced == 0) {
          retryDelayMs = RETRY_MS;
          pendingVersions.decrementAndGet();
          deferred.remove(key);
          warned.remove(key);
          inPipeline.remove(key);
        } else {
          tellDeferred(key, meta, unplaced, done.succeeded() ? "too few live HGs with room" : done.cause().getMessage());
          deferred.put(key, meta);
          deferredBlocks.put(key, unplaced);
          unplacedBlocks.addAndGet(unplaced);
          retryLater();
        }
        pumpVersions();
      });
    }
  }

  /** The most bytes of a version's blocks in transit at once while it is placed. */
  private static long inTransit(VersionMeta meta) {
    return Math.min(meta.size(), (long) BLOCKS_AT_ONCE * meta.blockSize());
  }

  private static final long MAX_RETRY_MS = 60_000;

  private long retryDelayMs = RETRY_MS;

  private void retryLater() {
    if (retryTimer >= 0) {
      return;
    }
    // Repairs are retried at the base pace. Versions waiting for room back off (up to a minute) while
    // nothing gets placed, so a full region does not re-read the index of every waiting block.
    long delay = repairRetries.isEmpty() ? retryDelayMs : RETRY_MS;
    retryDelayMs = Math.min(MAX_RETRY_MS, retryDelayMs * 2);
    retryTimer = vertx.setTimer(delay, t -> {
      retryTimer = -1;
      versions.addAll(deferred.values());
      deferred.clear();
      List<String> again = new ArrayList<>(repairRetries);
      repairRetries.clear();
      again.forEach(this::queueRepair);
      pumpVersions();
    });
  }

  /**
   * Says that a version's blocks wait for room in the region: a WARNING for the first version so
   * deferred, then at most one per {@link #DEFERRED_WARNING_EVERY_MS} while the reason stays the
   * same (counting the versions deferred meanwhile), each version's later attempts at debug level.
   */
  private void tellDeferred(String key, VersionMeta meta, int unplaced, String reason) {
    boolean first = warned.add(key);
    long now = System.nanoTime();
    // A first warning, or one for another reason, has no earlier one to wait for.
    boolean warn = first && (!reason.equals(lastDeferredReason)
        || now - lastDeferredWarning >= DEFERRED_WARNING_EVERY_MS * 1_000_000);
    System.Logger.Level level = warn ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
    if (LOG.isLoggable(level)) {
      LOG.log(level, "POP " + self + " keeps " + unplaced + " block(s) of " + meta.ref().id() + " v"
          + meta.ref().version() + ": the region cannot hold " + copiesWanted() + " copies of them now (" + reason
          + "); placing them again later" + (!warn || deferredQuietly == 0 ? ""
          : " (" + deferredQuietly + " other version(s) deferred since the last such warning)"));
    }
    if (warn) {
      lastDeferredWarning = now;
      lastDeferredReason = reason;
      deferredQuietly = 0;
    } else if (first) {
      deferredQuietly++;
    }
  }

  /** The stripe width of a version: its own, else its object's first version's, else the default. */
  private Future<Integer> stripesOf(VersionMeta meta) {
    if (meta.stripes() > 0) {
      return Future.succeededFuture(meta.stripes());
    }
    if (meta.ref().version() == 1) {
      return Future.succeededFuture(limits.stripes());
    }
    return store.meta(meta.ref().id(), 1)
        .map(first -> first.map(VersionMeta::stripes).filter(k -> k > 0).orElse(limits.stripes()));
  }

  /** Places every block; the result is how many blocks are still short of copies. */
  private Future<Integer> placeVersion(VersionMeta meta) {
    return stripesOf(meta).compose(k -> {
      List<StripePlan.Candidate> live = candidates();
      if (live.isEmpty()) {
        return Future.failedFuture("no live HG in the region of " + self);
      }
      StripePlan plan = StripePlan.of(live, Math.min(k, VersionMeta.MAX_STRIPES), meta.ref().id().hashCode(),
          meta.blockSize());
      // A few blocks at once even on a narrow stripe: an HG's group commit makes one fsync of them.
      int window = BLOCKS_AT_ONCE;
      return Windowed.run(meta.blockCount(), window, i -> paced(meta.blockLength(i))
          .compose(v -> ensure(meta.block(i), plan.order(i))).map(n -> n >= 0));
    });
  }

  /** A client stored a block of an upload here, or read one: background copies yield for a while. */
  public void clientBusy() {
    clientAt = System.nanoTime();
  }

  /** Clients count as busy this long after their last block. */
  private static final long BUSY_NANOS = 250_000_000L;

  /**
   * Completes when a copy of {@code bytes} may start: at once while no client is busy, else at the
   * pace of {@code placement-busy-bytes-per-second}, so a client's upload or download does not share
   * this POP's CPU and disks with copies of earlier versions at full speed (they catch up after).
   */
  private Future<Void> paced(long bytes) {
    long rate = limits.placementBusyBytesPerSecond();
    long now = System.nanoTime();
    if (rate <= 0 || clientAt == 0 || now - clientAt > BUSY_NANOS) {
      nextCopyAt = now;
      return Future.succeededFuture();
    }
    long start = Math.max(now, nextCopyAt);
    nextCopyAt = start + (long) (bytes * 1e9 / rate);
    long waitMs = (start - now) / 1_000_000;
    if (waitMs <= 0) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> go = io.vertx.core.Promise.promise();
    vertx.setTimer(waitMs, t -> go.complete());
    return go.future();
  }

  /**
   * Brings the live HG copies of a block up to {@code r}, trying {@code order} (then any live HG) for
   * new copies; then drops the POP's own copy if the POP does not keep blocks. Succeeds with the
   * number of copies made, or -1 when the block is still short of copies. One pass per block at a time.
   */
  private Future<Integer> ensure(BlockRef ref, List<String> order) {
    String key = BlockStore.key(ref);
    if (!ensuring.add(key)) {
      return Future.succeededFuture(0);
    }
    // A block committed just now (its bytes still held from the commit) has no copies yet.
    Future<List<String>> placement = fresh.containsKey(key) ? Future.succeededFuture(List.of()) : store.placement(ref);
    return placement.compose(holders -> {
      List<String> live = holders.stream().filter(this::isUp).toList();
      int need = copiesWanted() - live.size();
      if (need <= 0) {
        return dropOwnCopy(ref).map(0);
      }
      List<String> targets = new ArrayList<>();
      for (String hg : order) {
        if (isUp(hg) && !holders.contains(hg) && !targets.contains(hg)) {
          targets.add(hg);
        }
      }
      for (String hg : StripePlan.withRoomFirst(candidates(), ref.index(), ref.length())) {
        if (!holders.contains(hg) && !targets.contains(hg)) {
          targets.add(hg);
        }
      }
      if (targets.isEmpty()) {
        return Future.succeededFuture(-1);
      }
      // The bytes a commit carried were checked (or hashed by the gateway) in this process: an HG
      // in this process need not hash them again (the flag never crosses the wire).
      Buffer committed = fresh.get(key);
      return goodCopy(ref, live).compose(data -> placeOn(ref, data, data == committed, targets, 0, need))
          .compose(placed -> placed < need ? Future.succeededFuture(-1) : dropOwnCopy(ref).map(placed));
    }).recover(e -> {
      LOG.log(System.Logger.Level.DEBUG, "block {0}: {1}", key, e.getMessage());
      return Future.succeededFuture(-1);
    }).onComplete(x -> ensuring.remove(key));
  }

  /** Stores the block on targets in turn until {@code need} took it; the result is how many did. */
  private Future<Integer> placeOn(BlockRef ref, Buffer data, boolean hashed, List<String> targets, int at, int need) {
    if (need == 0 || at == targets.size()) {
      return Future.succeededFuture(0);
    }
    String hg = targets.get(at);
    Long until = fullUntil.get(hg);
    if (until != null && until > System.nanoTime()) {
      return placeOn(ref, data, hashed, targets, at + 1, need);
    }
    return hgs.store(hg, ref, data, hashed)
        .compose(v -> store.placed(ref, hg))
        .map(v -> {
          copies.increment();
          return 1;
        })
        .recover(e -> {
          if (HgCopies.isFull(e)) {
            refused.increment();
            fullUntil.put(hg, System.nanoTime() + FULL_FOR_NANOS);
            LOG.log(System.Logger.Level.INFO, "POP {0}: HG {1} is full ({2}); placing elsewhere", self, hg,
                e.getMessage());
          }
          return Future.succeededFuture(0);
        })
        .compose(n -> placeOn(ref, data, hashed, targets, at + 1, need - n).map(more -> n + more));
  }

  private Future<Void> dropOwnCopy(BlockRef ref) {
    if (limits.popKeepsBlocks()) {
      return Future.succeededFuture();
    }
    return store.holds(ref).compose(held -> held
        ? store.dropBlock(ref).onSuccess(v -> dropped.increment()) : Future.succeededFuture());
  }

  /** Sets where a block comes from when neither this POP nor its region holds a reachable copy. */
  public void readElsewhere(java.util.function.Function<BlockRef, Future<Buffer>> from) {
    this.elsewhere = from;
  }

  /**
   * The block's bytes from the POP's own copy, else from a live HG copy (checked), else from the
   * object's other copy-holder (the HG that stores it checks it again): a region that lost its only
   * copies gets them back from the other region.
   */
  private Future<Buffer> goodCopy(BlockRef ref, List<String> liveHolders) {
    Buffer held = fresh.get(BlockStore.key(ref));
    if (held != null) {
      return Future.succeededFuture(held);
    }
    java.util.function.Function<BlockRef, Future<Buffer>> other = elsewhere;
    return store.block(ref).compose(own -> own.isPresent() ? Future.succeededFuture(own.get())
        : reads.fromCopies(ref, liveHolders)
            .recover(e -> other == null ? Future.failedFuture(e) : other.apply(ref).recover(x -> Future.failedFuture(e))));
  }

  // ---------------------------------------------------------------- reads

  /** A block of a committed version: see {@link HgReads#read}. */
  public Future<Served> read(BlockRef ref) {
    return reads.read(ref);
  }

  // ---------------------------------------------------------------- HG loss and return

  private void watch() {
    for (var entry : directory.snapshot()) {
      NodeReport r = entry.report();
      if (r.role() != Role.HG || !r.pop().equals(self)) {
        continue;
      }
      String hg = r.nodeId();
      if (entry.status() == NodeStatus.UP) {
        Long started = seenStarted.get(hg);
        boolean returned = seenDown.remove(hg);
        if (started == null || started != r.startedAt() || returned) {
          seenStarted.put(hg, r.startedAt());
          reconcile(hg);
        }
      } else if (seenDown.add(hg)) {
        lost(hg);
      }
    }
  }

  /** An HG is down: every block it held gets its copies back elsewhere. */
  private void lost(String hg) {
    LOG.log(System.Logger.Level.WARNING, "POP {0}: HG {1} is down; restoring {2} copies of its blocks", self, hg,
        copiesWanted());
    store.placements().onSuccess(all -> all.forEach((key, holders) -> {
      if (holders.contains(hg)) {
        queueRepair(key);
      }
    }));
  }

  private void queueRepair(String key) {
    if (repairsQueued.add(key)) {
      repairs.add(key);
      repairPending.incrementAndGet();
      pumpRepairs();
    } else if (repairsActive.contains(key)) {
      // What the running repair counted on may have changed (a copy it read was found bad).
      repairsAgain.add(key);
    }
  }

  private void pumpRepairs() {
    while (activeRepairs < limits.repairBlocksInFlight() && !repairs.isEmpty()) {
      String key = repairs.poll();
      activeRepairs++;
      repairsActive.add(key);
      store.refOf(key)
          .compose(ref -> ref.isEmpty() ? Future.succeededFuture(0) : ensure(ref.get(), List.of()))
          .onComplete(done -> {
            activeRepairs--;
            repairsActive.remove(key);
            repairsQueued.remove(key);
            repairPending.decrementAndGet();
            if (repairsAgain.remove(key)) {
              queueRepair(key);
            }
            if (done.succeeded() && done.result() >= 0) {
              if (done.result() > 0) {
                repaired.increment();
              }
            } else {
              repairFailures.increment();
              repairRetries.add(key);
              retryLater();
            }
            pumpRepairs();
          });
    }
  }

  /** An HG is (back) up: see {@link Reconciler}. */
  private void reconcile(String hg) {
    reconciler.reconcile(hg);
  }

  // ---------------------------------------------------------------- status

  /** The region as this POP places blocks in it: HGs, copies, what is short of copies, repair progress. */
  public Future<io.vertx.core.json.JsonObject> status() {
    return store.placements().map(index -> {
      Map<String, Integer> perHg = new HashMap<>();
      int under = 0;
      for (List<String> holders : index.values()) {
        holders.forEach(h -> perHg.merge(h, 1, Integer::sum));
        if (holders.stream().filter(this::isUp).count() < copiesWanted()) {
          under++;
        }
      }
      io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
      for (var entry : directory.snapshot()) {
        NodeReport r = entry.report();
        if (r.role() == Role.HG && r.pop().equals(self)) {
          list.add(new io.vertx.core.json.JsonObject().put("id", r.nodeId()).put("status", entry.status().wireName())
              .put("blocks", perHg.getOrDefault(r.nodeId(), 0)).put("usedBytes", r.usedBytes())
              .put("capacityBytes", r.capacityBytes()));
        }
      }
      return new io.vertx.core.json.JsonObject()
          .put("region", region).put("pop", self)
          .put("copies", copiesWanted()).put("defaultStripes", limits.stripes())
          .put("popKeepsBlocks", limits.popKeepsBlocks())
          .put("hgs", list)
          .put("indexedBlocks", index.size())
          .put("underReplicatedBlocks", under)
          .put("unplacedBlocks", unplacedBlocks.get())
          .put("pendingVersions", pendingVersions.get())
          .put("repair", new io.vertx.core.json.JsonObject()
              .put("pendingBlocks", repairPending.get() + repairRetries.size())
              .put("repairedBlocks", (long) repaired.count())
              .put("failedAttempts", (long) repairFailures.count()))
          .put("corruptCopiesFound", reads.corruptFound())
          .put("corruptPopCopiesFound", store.corruptCopiesFound())
          .put("catchUpOwedVersions", store.owedCount())
          .put("missingCopiesFound", reads.missingFound())
          .put("refusedForQuota", (long) refused.count());
    });
  }
}
