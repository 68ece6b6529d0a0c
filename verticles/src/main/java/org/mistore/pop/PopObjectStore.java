package org.mistore.pop;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import org.mapdb.Serializer;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.Codecs;
import org.mistore.codecs.CommitRequest;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionMeta;
import org.mistore.lock.FenceStore;
import org.mistore.store.BlockStore;
import org.mistore.store.RoleStore;

/**
 * The versions and blocks of the objects a POP is primary or backup of, in the POP's MapDB file.
 * Blocks are keyed by object, version, index and checksum, so a stale writer's blocks never
 * overwrite another writer's; a version's metadata names the blocks it is made of.
 */
public final class PopObjectStore implements FenceStore {
  private final RoleStore store;
  private final ConcurrentMap<String, Long> heads;
  private final ConcurrentMap<String, byte[]> versions;
  private final BlockStore blockStore;
  /**
   * Keys of blocks stored for versions not committed yet, so an aborted upload finds its blocks
   * without a scan; a version's keys leave at its commit. Memory only: after a restart, blocks of
   * uploads that never committed are found by the scan at open.
   */
  private final java.util.concurrent.ConcurrentSkipListSet<String> uploaded =
      new java.util.concurrent.ConcurrentSkipListSet<>();
  /**
   * When the last block of each version in {@link #uploaded} came ({@code id/version} → nano time):
   * {@link #abortIdle} drops uploads nobody finished or aborted (their gateway died mid-upload).
   */
  private final ConcurrentMap<String, Long> uploadTouched = new java.util.concurrent.ConcurrentHashMap<>();
  private final ConcurrentMap<String, String> placements;
  private final ConcurrentMap<String, Long> fences;
  private final ConcurrentMap<String, Long> counters;
  /** Client request ids of committed writes: {@code <id>|<request id>} → version (retries answer it again). */
  private final ConcurrentMap<String, Long> requests;
  /**
   * Request ids a gateway named itself ({@link Addresses#GATEWAY_REQUEST_ID_PREFIX}) for writes that
   * committed here, {@code <id>|<request id>} → version: only a relay re-sending a commit after a
   * failover, within the commit's deadline, ever asks for them, so they stay in memory for
   * {@link #GATEWAY_REQUESTS_KEPT_MS} instead of costing every write two MapDB entries forever.
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, Long> gatewayRequests =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(200_000)
          .expireAfterWrite(java.time.Duration.ofMillis(GATEWAY_REQUESTS_KEPT_MS)).executor(Runnable::run).build();
  /** Longer than the longest commit deadline a relay keeps re-sending within (lock wait plus 30 s). */
  static final long GATEWAY_REQUESTS_KEPT_MS = 5 * 60_000;
  /** The request id each version was written under, {@code <id>/<version>} → request id (copied on catch-up). */
  private final ConcurrentMap<String, String> requestOf;
  /** Ids minted for a creator's request id: {@code <creator>|<request id>} → the whole id (backup included). */
  private final ConcurrentMap<String, String> creations;
  /**
   * Versions a catch-up committed before their blocks were all here, {@code <id>/<version>} → the
   * holder to copy them from ({@code <role>:<node id>}): until they are, reads of their blocks go to
   * the region's HGs or the other copy-holder. Kept durably so that a restart resumes the copy.
   */
  private final ConcurrentMap<String, String> owedBlocks;
  /** Fences per object reserved durably and not yet given: {next, last}. Used on the POP's event loop. */
  private final java.util.Map<String, long[]> fenceRanges = new java.util.HashMap<>();
  /**
   * Heads published by {@link #publish} and not yet applied to {@link #heads} by the writer thread
   * (removed once they are): readers take the higher of the two.
   */
  private final ConcurrentMap<String, Long> published = new java.util.concurrent.ConcurrentHashMap<>();
  /** The request ids of those versions ({@code id/version} → request id), until the writer applies them. */
  private final ConcurrentMap<String, String> publishedRequests = new java.util.concurrent.ConcurrentHashMap<>();
  /** Heads and versions recently read or committed, so hot objects skip the worker hop; filled from MapDB on a miss. */
  private final com.github.benmanes.caffeine.cache.Cache<String, Long> headCache =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).executor(Runnable::run).build();
  /**
   * {@link #heads} of recently written objects as MapDB holds them, so a commit skips a MapDB lookup:
   * filled and changed by the writer thread (and seeded with 0 for an id minted here, which MapDB
   * cannot hold yet), so never older than MapDB; read by any thread.
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, Long> storedHeads =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).executor(Runnable::run).build();
  /** See {@link #uncertain()}: ids as rendered. */
  private final java.util.Set<String> uncertain = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Versions this run staged and has not yet published or dropped ({@link #versionKey}). */
  private final java.util.Set<String> stagedHere = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Per object, a version through which this store holds every version (see {@link #firstMissing}). */
  private final com.github.benmanes.caffeine.cache.Cache<String, Long> wholeThrough =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).executor(Runnable::run).build();
  private final com.github.benmanes.caffeine.cache.Cache<String, VersionMeta> metaCache =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();
  /** Durable ceilings this POP wrote or read, so the event loop never reads MapDB for them. */
  private final java.util.Map<String, Long> knownCeilings = new java.util.HashMap<>();
  /** Fences reserved per durable write. */
  static final long FENCE_BATCH = 1024;
  /** Creation counters reserved per durable write (see {@link #mint}). */
  static final long COUNTER_BATCH = 1024;
  /** Creation counters per creator reserved durably and not yet given: {next, last}. Used on the POP's event loop. */
  private final java.util.Map<String, long[]> counterRanges = new java.util.HashMap<>();

  /** {@code "checked"} once this store's counters were raised past the ids the cluster knew it minted. */
  private final ConcurrentMap<String, Long> mintChecks;
  /** Whether the counters are this POP's own (kept, or checked with the cluster); set on open. */
  private volatile boolean countersKnown;

  private PopObjectStore(RoleStore store) {
    this.store = store;
    var db = store.db();
    heads = store.hashMap("heads", Serializer.STRING, Serializer.LONG);
    versions = store.hashMapOfLargeValues("versions", Serializer.STRING, Serializer.BYTE_ARRAY);
    blockStore = new BlockStore(store);
    placements = store.hashMap("placements", Serializer.STRING, Serializer.STRING);
    fences = store.hashMap("fences", Serializer.STRING, Serializer.LONG);
    counters = store.hashMap("counters", Serializer.STRING, Serializer.LONG);
    requests = store.hashMap("requests", Serializer.STRING, Serializer.LONG);
    requestOf = store.hashMap("request-of", Serializer.STRING, Serializer.STRING);
    creations = store.hashMap("created-ids", Serializer.STRING, Serializer.STRING);
    owedBlocks = store.hashMap("owed-blocks", Serializer.STRING, Serializer.STRING);
    mintChecks = store.hashMap("mint-checks", Serializer.STRING, Serializer.LONG);
    countersKnown = !counters.isEmpty() || mintChecks.containsKey("checked");
  }

  /**
   * Whether this store's creation counters can be trusted: it minted before, or its counters were
   * raised past what the cluster knew ({@link #raiseCounters}). A new store under a POP's old id
   * (its data folder lost) would otherwise mint that POP's earlier ids again.
   */
  public boolean countersKnown() {
    return countersKnown;
  }

  /** Raises the counters to at least {@code highest} (per creating HG) and records the check, durably. */
  public Future<Void> raiseCounters(java.util.Map<String, Long> highest) {
    return store.write(db -> {
      highest.forEach((hg, n) -> counters.merge(hg, n, Math::max));
      mintChecks.put("checked", System.currentTimeMillis());
      return null;
    }).onSuccess(v -> countersKnown = true).mapEmpty();
  }

  /** The highest counter per creating HG among the ids with primary {@code primary} this store holds. */
  public Future<java.util.Map<String, Long>> highestMintedBy(String primary) {
    return store.read(db -> highestOf(primary, heads.keySet()));
  }

  /** The highest counter per creating HG among {@code ids} (rendered; others skipped) with that primary. */
  public static java.util.Map<String, Long> highestOf(String primary, Iterable<String> ids) {
    java.util.Map<String, Long> out = new java.util.HashMap<>();
    for (String key : ids) {
      if (!key.startsWith(primary + ".")) {
        continue;
      }
      try {
        ObjectId id = ObjectId.parse(key);
        if (id.primaryPop().equals(primary)) {
          out.merge(id.creatorHg(), id.counter(), Math::max);
        }
      } catch (IllegalArgumentException e) {
        // not an object id
      }
    }
    return out;
  }

  /** Declares the maps (on a worker thread) and drops blocks no committed version names (left by a crash). */
  public static Future<PopObjectStore> open(RoleStore store) {
    return store.write(db -> {
      PopObjectStore s = new PopObjectStore(store);
      s.collectOrphans();
      return s;
    });
  }

  private void collectOrphans() {
    List<String> orphans = new ArrayList<>();
    for (String key : blockStore.keys()) {
      String[] p = key.split("/");
      long head = heads.getOrDefault(p[0], 0L);
      long version = Long.parseLong(p[1]);
      if (version > head) {
        byte[] staged = versions.get(versionKey(p[0], version));
        if (staged != null && names(decode(staged), Integer.parseInt(p[2]), p[3])) {
          // Staged by the last run, which stopped before its head reached the disk: the client may have
          // been told (see settleStaged), so its blocks stay until that is settled.
          uncertain.add(p[0]);
          continue;
        }
        orphans.add(key);
      } else if (!referenced(p[0], version, Integer.parseInt(p[2]), p[3])) {
        orphans.add(key);
      }
    }
    orphans.forEach(blockStore::removeNow);
  }

  /**
   * Objects with a version staged above their head by an earlier run of this store (it stopped after
   * staging, before the head reached the disk): whether it was acknowledged is settled by a catch-up
   * (see {@link CatchUp}).
   */
  public java.util.Set<ObjectId> uncertain() {
    return uncertain.stream().map(ObjectId::parse).collect(java.util.stream.Collectors.toSet());
  }

  /** Versions above the head that an earlier run staged (not this one's writes in progress), oldest first. */
  public Future<List<VersionMeta>> stagedBefore(ObjectId id) {
    return store.read(db -> stagedBeforeNow(id.render()));
  }

  private List<VersionMeta> stagedBeforeNow(String id) {
    List<VersionMeta> out = new ArrayList<>();
    for (long v = visibleHead(id) + 1; !stagedHere.contains(versionKey(id, v)); v++) {
      byte[] raw = versions.get(versionKey(id, v));
      if (raw == null) {
        break;
      }
      out.add(decode(raw));
    }
    return out;
  }

  /**
   * Makes the versions an earlier run staged above the head (see {@link #stagedBefore}) the head, in
   * order, as far as this store holds all their blocks: their client may have been told they were
   * written. The versions made head are returned.
   */
  public Future<List<VersionMeta>> adoptStaged(ObjectId id) {
    return store.write(db -> {
      String key = id.render();
      List<VersionMeta> adopted = new ArrayList<>();
      for (VersionMeta meta : stagedBeforeNow(key)) {
        if (!holdsAll(meta)) {
          break;
        }
        advance(key, meta, null);
        adopted.add(meta);
      }
      uncertain.remove(key);
      return adopted;
    });
  }

  /** Drops the versions an earlier run staged above the head, and their blocks: nobody committed them elsewhere. */
  public Future<Integer> dropStaged(ObjectId id) {
    return store.write(db -> {
      String key = id.render();
      List<VersionMeta> staged = stagedBeforeNow(key);
      for (VersionMeta meta : staged) {
        versions.remove(versionKey(key, meta.ref().version()));
        for (int i = 0; i < meta.blockCount(); i++) {
          blockStore.removeNow(blockKey(meta.block(i)));
        }
      }
      uncertain.remove(key);
      return staged.size();
    });
  }

  private boolean referenced(String id, long version, int index, String sha) {
    return names(committed(id, version), index, sha);
  }

  /** The version committed here under {@code version}, or null. */
  private VersionMeta committed(String id, long version) {
    if (version > visibleHead(id)) {
      return null; // a staged version, or none
    }
    byte[] raw = versions.get(versionKey(id, version));
    return raw == null ? null : decode(raw);
  }

  /** The head MapDB holds for an object (0 when none); any thread. */
  private long storedHead(String id) {
    Long known = storedHeads.getIfPresent(id);
    return known != null ? known : heads.getOrDefault(id, 0L);
  }

  /** As {@link #storedHead}, remembering what MapDB answered; writer thread only. */
  private long storedHeadOnWriter(String id) {
    return storedHeads.get(id, k -> heads.getOrDefault(k, 0L));
  }

  /** Whether {@code meta} (may be null) has block {@code index} with checksum {@code sha}. */
  private static boolean names(VersionMeta meta, int index, String sha) {
    return meta != null && index < meta.blockCount() && meta.blockSha256().get(index).equals(sha);
  }

  /**
   * The head readers see: the stored one, or a published one the writer has not applied yet (read
   * first: the writer applies a head before it forgets that it was published). Worker threads.
   */
  private long visibleHead(String id) {
    Long pending = published.get(id);
    long stored = storedHead(id);
    return pending == null ? stored : Math.max(pending, stored);
  }

  private static String versionKey(String id, long version) {
    return BlockStore.versionKey(id, version);
  }

  private static String blockKey(BlockRef ref) {
    return BlockStore.key(ref);
  }

  private static VersionMeta decode(byte[] raw) {
    return Codecs.VERSION_META.decode(Buffer.buffer(raw));
  }

  /**
   * Mints an id for a creator: {@code idOf} renders it from the creator's next counter. The same
   * {@code requestId} (may be null) of the same creator gets the id minted the first time, whole
   * (a retried create must name the same backup too). {@code fresh} is told when the id is new, not
   * one minted before. Call on the POP's event loop.
   *
   * <p>Counters are reserved durably {@link #COUNTER_BATCH} at a time, so a create without a request
   * id usually mints in memory, without a write; a restart skips what was reserved and not given,
   * so an id is never minted twice. A create with a request id writes its id durably first, so a
   * retry finds it.
   */
  public Future<String> mint(String hg, String requestId, java.util.function.LongFunction<String> idOf,
      java.util.function.Consumer<String> fresh) {
    if (requestId == null) {
      long[] range = counterRanges.get(hg);
      if (range != null && range[0] <= range[1]) {
        String id = idOf.apply(range[0]++);
        mintedNow(id);
        fresh.accept(id);
        return Future.succeededFuture(id);
      }
    }
    return store.write(db -> {
      String key = requestId == null ? null : hg + "|" + requestId;
      String earlier = key == null ? null : creations.get(key);
      if (earlier != null) {
        return new Minted(earlier, null);
      }
      long stored = counters.getOrDefault(hg, 0L);
      long ceiling = stored + (key == null ? COUNTER_BATCH : 1);
      counters.put(hg, ceiling);
      String id = idOf.apply(stored + 1);
      if (key != null) {
        creations.put(key, id);
      }
      mintedNow(id);
      fresh.accept(id);
      return new Minted(id, key == null ? new long[] {stored + 2, ceiling} : null);
    }).map(minted -> {
      if (minted.rest() != null) {
        // Two reservations in flight at once: the later replaces the other's rest (skipped, never reused).
        counterRanges.put(hg, minted.rest());
      }
      return minted.id();
    });
  }

  /** A new id has no version anywhere yet: its first commit need not look its head up. Any thread. */
  private void mintedNow(String id) {
    headCache.asMap().putIfAbsent(id, 0L);
    // Nor in MapDB: its first commit here skips looking the head up (the id is not out yet, so no
    // writer can have stored one).
    storedHeads.asMap().putIfAbsent(id, 0L);
  }

  /** The keys in {@link #uploaded} of one version's blocks (a live view). */
  private java.util.NavigableSet<String> uploadedOf(String id, long version) {
    String prefix = versionKey(id, version) + "/";
    return uploaded.subSet(prefix, prefix + "\uffff");
  }

  /** A minted id, and the rest of the counters its write reserved (null when it reserved one). */
  private record Minted(String id, long[] rest) {
  }

  /** Stores a block durably after checking its length and checksum. */
  public Future<Void> putBlock(BlockRef ref, Buffer data) {
    return putBlock(ref, data, false);
  }

  /**
   * As {@link #putBlock(BlockRef, Buffer)}; {@code hashed}: its checksum was computed from these
   * bytes in this process (see {@link org.mistore.codecs.StoreBlock#hashed}), so it is not hashed again.
   */
  public Future<Void> putBlock(BlockRef ref, Buffer data, boolean hashed) {
    return checked(data, ref.length(), ref.sha256(), "block " + ref.index(), hashed)
        .compose(bytes -> store.write(db -> {
          String key = blockKey(ref);
          blockStore.putNow(key, bytes);
          // Tracked on the writer thread, like commits and aborts: neither can miss a block.
          uploaded.add(key);
          uploadTouched.put(versionKey(ref.version().id().render(), ref.version().version()), System.nanoTime());
          return null;
        }));
  }

  /**
   * This node's copy of a block, checked against the CRC32C taken when it was stored. A copy the disk
   * has corrupted since, or that cannot be read (its block file lost), counts as not held (the block
   * is then read from another copy) and is noted, so that {@link #repair} can put a good copy in its
   * place.
   */
  public Future<Optional<Buffer>> block(BlockRef ref) {
    return checkedBlock(ref).map(found -> found.map(BlockStore.Checked::data));
  }

  /** As {@link #block}, saying whether the copy was checked (not when stored before CRC32Cs were kept). */
  public Future<Optional<BlockStore.Checked>> checkedBlock(BlockRef ref) {
    return blockStore.getChecked(ref).recover(e -> {
      // Corrupt, or not readable at all (its block file lost or cut short): either way another copy
      // serves the read and this one is rewritten from it.
      if (!(e instanceof java.io.UncheckedIOException unreadable)) {
        return Future.failedFuture(e);
      }
      if (corruptCopies.add(BlockStore.key(ref))) {
        corruptFound.incrementAndGet();
        String why = unreadable.getCause() instanceof BlockStore.CorruptBlock corrupt ? corrupt.getMessage()
            : "block " + BlockStore.key(ref) + " cannot be read (" + unreadable.getCause().getMessage() + ")";
        System.getLogger(PopObjectStore.class.getName()).log(System.Logger.Level.WARNING, why
            + " in " + store.file() + "; reading another copy and rewriting this one");
      }
      return Future.succeededFuture(Optional.empty());
    });
  }

  /** Copies of this node found corrupt (by {@link #block}) and not rewritten yet. */
  private final java.util.Set<String> corruptCopies = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicLong corruptFound = new java.util.concurrent.atomic.AtomicLong();

  /** How many of this node's copies were found corrupt since it started. */
  public long corruptCopiesFound() {
    return corruptFound.get();
  }

  /**
   * Rewrites this node's copy of a block found corrupt, from {@code good} (read from another copy; it
   * is checked against the block's SHA-256 before it is stored). Does nothing for other blocks.
   */
  public Future<Void> repair(BlockRef ref, Buffer good) {
    String key = BlockStore.key(ref);
    if (!corruptCopies.contains(key)) {
      return Future.succeededFuture();
    }
    return checked(good, ref.length(), ref.sha256(), "block " + ref.index(), false)
        .compose(bytes -> store.write(db -> {
          if (corruptCopies.remove(key) && blockStore.contains(key)) {
            blockStore.putNow(key, bytes);
          }
          return (Void) null;
        }));
  }

  /** Records durably which HGs of this POP's region hold a block (sharing a later batch's fsync). */
  public Future<Void> placed(BlockRef ref, String hg) {
    return store.writeSoon(db -> {
      // One lookup for a block placed the first time (the usual case), a second one otherwise.
      String key = blockKey(ref);
      String before = placements.put(key, hg);
      if (before != null) {
        placements.put(key, List.of(before.split(",")).contains(hg) ? before : before + "," + hg);
      }
      return null;
    });
  }

  /** HGs of this region holding block {@code ref}, per the durable index. */
  public Future<List<String>> placement(BlockRef ref) {
    return store.read(db -> {
      String hgs = placements.get(blockKey(ref));
      return hgs == null ? List.of() : List.of(hgs.split(","));
    });
  }

  /**
   * Commits a version: it must follow the head exactly and all its blocks must be here. The version
   * is durable when the Future completes.
   */
  public Future<VersionMeta> commit(VersionMeta meta) {
    return commit(CommitRequest.of(meta));
  }

  /** As {@link #commit(VersionMeta)}, storing the inline block (checked first) in the same commit. */
  public Future<VersionMeta> commit(CommitRequest request) {
    return commit(request, null, false);
  }

  /**
   * As {@link #commit(CommitRequest)}, remembering the client's {@code requestId} (when not null) in
   * the same commit: a commit whose request id already names a version of the object answers that
   * version instead. With {@code gapAllowed} (a stand-in copy, or a catch-up that cannot find the
   * versions in between) the version only has to be newer than the head.
   */
  public Future<VersionMeta> commit(CommitRequest request, String requestId, boolean gapAllowed) {
    VersionMeta meta = request.meta();
    return inlineBytes(request).compose(bytes -> store.write(db -> {
      String id = meta.ref().id().render();
      VersionMeta earlier = checkCommit(id, meta, requestId, gapAllowed, bytes != null, false);
      if (earlier != null) {
        return earlier;
      }
      storeVersion(id, meta, bytes);
      advance(id, meta, requestId);
      return meta;
    }));
  }

  /**
   * A catch-up's commit of a version copied from {@code holder} ({@code <role>:<node id>}) whose
   * blocks need not be here yet: it becomes the head (gaps allowed) and, when some of its blocks are
   * missing, is listed in {@link #owedBlocks} in the same commit. The result says whether it was.
   */
  public Future<Boolean> commitOwingBlocks(VersionMeta meta, String requestId, String holder) {
    return store.write(db -> {
      String id = meta.ref().id().render();
      if (checkCommit(id, meta, requestId, true, false, true) != null) {
        return false; // already here
      }
      storeVersion(id, meta, null);
      advance(id, meta, requestId);
      boolean owing = !holdsAll(meta);
      if (owing) {
        owedBlocks.put(versionKey(id, meta.ref().version()), holder);
      }
      return owing;
    });
  }

  /** A version whose blocks a catch-up still owes this store, with the holder to copy them from. */
  public record Owed(VersionMeta meta, String holder) {
  }

  /** Every version still owed blocks (see {@link #commitOwingBlocks}), in no particular order. */
  public Future<List<Owed>> owed() {
    return store.read(db -> {
      List<Owed> all = new ArrayList<>();
      owedBlocks.forEach((key, holder) -> {
        int slash = key.lastIndexOf('/');
        VersionMeta meta = committed(key.substring(0, slash), Long.parseLong(key.substring(slash + 1)));
        if (meta != null) {
          all.add(new Owed(meta, holder));
        }
      });
      return all;
    });
  }

  /** How many versions are still owed blocks. */
  public int owedCount() {
    return owedBlocks.size();
  }

  /**
   * Takes a version off the owed list once this store holds every one of its blocks ({@link
   * #putOwedBlock} stores them); answers whether it did.
   */
  public Future<Boolean> owedBlocksArrived(VersionMeta meta) {
    return store.write(db -> {
      String key = versionKey(meta.ref().id().render(), meta.ref().version());
      boolean all = holdsAll(meta);
      if (all) {
        owedBlocks.remove(key);
      }
      return all;
    });
  }

  /** Stores a block of a committed version that this store is owed (checked first; no upload is tracked). */
  public Future<Void> putOwedBlock(BlockRef ref, Buffer data) {
    return checked(data, ref.length(), ref.sha256(), "block " + ref.index(), false)
        .compose(bytes -> store.write(db -> {
          String key = blockKey(ref);
          if (!blockStore.contains(key)) {
            blockStore.putNow(key, bytes);
          }
          return null;
        }));
  }

  /** On a worker thread: whether every block of {@code meta} is held here. */
  private boolean holdsAll(VersionMeta meta) {
    for (int i = 0; i < meta.blockCount(); i++) {
      if (!blockStore.contains(blockKey(meta.block(i)))) {
        return false;
      }
    }
    return true;
  }

  /** A staged version: the one stored, or the earlier version a retried request id names (then nothing was stored). */
  public record Staged(VersionMeta meta, boolean earlier) {
  }

  /**
   * The primary's half of a commit, made while the other copy-holder commits: checks the version
   * as {@link #commit(CommitRequest, String, boolean)} does (without gaps) and stores it durably,
   * blocks included, but does not make it the head. Nobody reads a staged version: {@link #publish}
   * makes it the head once the other holder has it too, {@link #unstage} drops it when it has not.
   * A staged version left by a crash stays above the head, so nobody reads it: the catch-up that
   * runs before this POP acts again copies it from the other holder if it committed there, and the
   * next commit of that number replaces it otherwise.
   */
  public Future<Staged> stage(CommitRequest request, String requestId) {
    VersionMeta meta = request.meta();
    return inlineBytes(request).compose(bytes -> store.write(db -> {
      String id = meta.ref().id().render();
      VersionMeta earlier = checkCommit(id, meta, requestId, false, bytes != null, false);
      if (earlier != null) {
        return new Staged(earlier, true);
      }
      storeVersion(id, meta, bytes);
      stagedHere.add(versionKey(id, meta.ref().version()));
      if (bytes != null) {
        // Tracked like an uploaded block (not timed: publish or unstage always follows), so that
        // unstaging, or another writer's commit of this number, drops it.
        uploaded.add(blockKey(meta.block(0)));
      }
      return new Staged(meta, false);
    }));
  }

  /**
   * Makes a staged version the head now (call on the POP's event loop once the other copy-holder
   * committed it): readers see it at once; the head and request id reach the disk with a later
   * batch. A crash before then loses nothing the client was told: the other holder has the version
   * and this POP catches up from it before it acts again.
   */
  public VersionMeta publish(VersionMeta meta, String requestId) {
    String id = meta.ref().id().render();
    long version = meta.ref().version();
    String key = versionKey(id, version);
    if (requestId != null && !keptInMemory(id, requestId, version)) {
      publishedRequests.put(key, requestId);
    }
    published.merge(id, version, Math::max);
    headCache.asMap().merge(id, version, Math::max);
    metaCache.put(key, meta);
    stagedHere.remove(key);
    store.writeSoon(db -> {
      if (storedHeadOnWriter(id) < version) {
        advance(id, meta, requestId);
      }
      published.remove(id, version);
      publishedRequests.remove(key);
      return null;
    });
    return meta;
  }

  /** Drops a version staged here that will not become the head (the other copy-holder did not commit it). */
  public Future<Void> unstage(VersionMeta meta) {
    String id = meta.ref().id().render();
    long version = meta.ref().version();
    return store.write(db -> {
      stagedHere.remove(versionKey(id, version));
      if (version > storedHeadOnWriter(id) && version > published.getOrDefault(id, 0L)) {
        versions.remove(versionKey(id, version));
        dropUpload(id, version, () -> null);
      }
      return null;
    });
  }

  /**
   * The inline block's bytes once checked against the version's first block checksum (null when
   * none); not hashed again when the checksum was computed from them in this process.
   */
  private Future<byte[]> inlineBytes(CommitRequest request) {
    VersionMeta meta = request.meta();
    return !request.hasInline() ? Future.succeededFuture(null)
        : checked(request.inline(), request.inline().length(), meta.blockSha256().get(0), "inline block",
            request.hashed());
  }

  /** {@link RoleStore#checked}, bytes that do not match failing as the sender's mistake (400). */
  private Future<byte[]> checked(Buffer data, long length, String sha256, String what, boolean hashed) {
    return store.checked(data, length, sha256, what, hashed)
        .recover(e -> Future.failedFuture(e instanceof IllegalArgumentException
            ? new StoreFailure(FailureCode.BAD_REQUEST, e.getMessage()) : e));
  }

  /**
   * On the writer thread, before a commit or stage changes anything: the version a retried request
   * id (or the same commit sent again) already committed, else null when the commit may go ahead;
   * throws when it may not (the number is taken, it does not follow the head, a block is missing).
   */
  private VersionMeta checkCommit(String id, VersionMeta meta, String requestId, boolean gapAllowed, boolean inline,
      boolean blocksLater) {
    if (requestId != null) {
      Long earlier = requestedVersion(id, requestId);
      byte[] raw = earlier == null ? null : versions.get(versionKey(id, earlier));
      if (raw != null) {
        return sameWrite(decode(raw), meta, requestId); // a client's retry of a write that did commit
      }
    }
    long head = storedHeadOnWriter(id);
    if (head >= meta.ref().version()) {
      byte[] existing = versions.get(versionKey(id, meta.ref().version()));
      if (existing != null && decode(existing).sha256().equals(meta.sha256())) {
        return decode(existing); // the same commit again (a retry after a lost reply)
      }
      if (existing != null || !gapAllowed) {
        throw new StoreFailure(FailureCode.CONFLICT, "version " + meta.ref().version() + " of " + id
            + " is already committed");
      }
      // A catch-up filling a hole below the head (a version only another holder had): the head stays.
    }
    if (head != meta.ref().version() - 1 && !gapAllowed) {
      throw new StoreFailure(FailureCode.CONFLICT, "version " + meta.ref().version() + " does not follow head " + head);
    }
    // An inline block is stored by the op itself (after every check): only blocks that travelled on
    // their own are looked up.
    for (int i = inline ? 1 : 0; i < meta.blockCount() && !blocksLater; i++) {
      if (!blockStore.contains(blockKey(meta.block(i)))) {
        // The holders changed while the blocks travelled (a POP failed over): the client may retry.
        throw new StoreFailure(FailureCode.UNAVAILABLE, "block " + i + " of version " + meta.ref().version()
            + " is missing at this copy-holder (the holders changed during the upload); retry the write");
      }
    }
    return null;
  }

  /** On the writer thread: stores a version's record and its inline block (may be null). */
  private void storeVersion(String id, VersionMeta meta, byte[] inline) {
    if (inline != null) {
      blockStore.putNow(blockKey(meta.block(0)), inline);
    }
    versions.put(versionKey(id, meta.ref().version()), Codecs.VERSION_META.encode(meta).getBytes());
  }

  private static boolean isGateways(String requestId) {
    return requestId.startsWith(Addresses.GATEWAY_REQUEST_ID_PREFIX);
  }

  /** Remembers a request id a gateway named in memory and says so; a client's is left to the caller. */
  private boolean keptInMemory(String id, String requestId, long version) {
    if (!isGateways(requestId)) {
      return false;
    }
    gatewayRequests.put(id + "|" + requestId, version);
    return true;
  }

  /** The version committed here under a request id, or null. */
  private Long requestedVersion(String id, String requestId) {
    return isGateways(requestId) ? gatewayRequests.getIfPresent(id + "|" + requestId) : requests.get(id + "|" + requestId);
  }

  /**
   * On the writer thread: makes a stored version the head (unless it fills a hole below it),
   * remembering its request id.
   */
  private void advance(String id, VersionMeta meta, String requestId) {
    long version = meta.ref().version();
    if (requestId != null && !keptInMemory(id, requestId, version)) {
      requests.put(id + "|" + requestId, version);
      requestOf.put(versionKey(id, version), requestId);
    }
    if (version > storedHeadOnWriter(id)) {
      heads.put(id, version);
      storedHeads.put(id, version);
      // Heads only rise; a head published on the event loop may already be ahead of this one.
      headCache.asMap().merge(id, version, Math::max);
    }
    // Blocks another writer uploaded under this number can no longer commit: nothing else would drop them.
    dropUpload(id, version, () -> meta);
  }

  /** Drops the blocks of an uncommitted version (an abandoned upload). */
  public Future<Void> abort(ObjectId id, long version) {
    return store.write(db -> {
      dropUpload(id.render(), version, () -> committed(id.render(), version));
      return null;
    });
  }

  /**
   * Drops the uploads whose last block came more than {@code idleMs} ago and that neither committed
   * nor aborted (a gateway that died mid-upload sends no abort); the result is how many.
   */
  public Future<Integer> abortIdle(long idleMs) {
    long cutoff = System.nanoTime() - java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(idleMs);
    List<String> idle = uploadTouched.entrySet().stream().filter(e -> e.getValue() - cutoff < 0)
        .map(Map.Entry::getKey).toList();
    if (idle.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return store.write(db -> {
      int dropped = 0;
      for (String version : idle) {
        Long touched = uploadTouched.get(version);
        if (touched != null && touched - cutoff < 0) { // no block came since it was found idle
          int slash = version.lastIndexOf('/');
          String id = version.substring(0, slash);
          long number = Long.parseLong(version.substring(slash + 1));
          dropUpload(id, number, () -> committed(id, number));
          dropped++;
        }
      }
      return dropped;
    });
  }

  /**
   * On the writer thread: forgets the upload of a version and drops its blocks that {@code committed}
   * (the version committed under that number, or null; read only when there are blocks) does not name.
   */
  private void dropUpload(String id, long version, java.util.function.Supplier<VersionMeta> committedVersion) {
    java.util.NavigableSet<String> ofVersion = uploadedOf(id, version);
    if (!ofVersion.isEmpty()) {
      VersionMeta committed = committedVersion.get();
      List<String> keys = new ArrayList<>();
      for (String key : ofVersion) {
        String[] p = key.split("/");
        if (!names(committed, Integer.parseInt(p[2]), p[3])) {
          keys.add(key);
        }
      }
      ofVersion.clear();
      keys.forEach(blockStore::removeNow);
    }
    uploadTouched.remove(versionKey(id, version));
  }

  /** Head version number, 0 when the object has no committed version here. */
  public Future<Long> head(ObjectId id) {
    String key = id.render();
    Long cached = headCache.getIfPresent(key);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return store.read(db -> {
      long head = visibleHead(key);
      if (head > 0) {
        // A commit racing this read may already have cached a newer head; never replace it.
        headCache.asMap().merge(key, head, Math::max);
      }
      return head;
    });
  }

  public Future<Optional<VersionMeta>> meta(ObjectId id, long version) {
    String key = versionKey(id.render(), version);
    VersionMeta cached = metaCache.getIfPresent(key);
    if (cached != null) {
      return Future.succeededFuture(Optional.of(cached));
    }
    return store.read(db -> {
      if (version > visibleHead(id.render())) {
        return Optional.<VersionMeta>empty(); // a staged version is nobody's to read
      }
      Optional<VersionMeta> found = Optional.ofNullable(versions.get(key)).map(PopObjectStore::decode);
      found.ifPresent(m -> metaCache.put(key, m));
      return found;
    });
  }

  /**
   * Heads of every object held here (as its primary, its backup, or a stand-in), in pages of {@code
   * page} entries: {@code {"id","version","size"}}.
   */
  public Future<List<List<io.vertx.core.json.JsonObject>>> heads(int page) {
    return store.read(db -> {
      List<List<io.vertx.core.json.JsonObject>> pages = new ArrayList<>();
      List<io.vertx.core.json.JsonObject> current = new ArrayList<>();
      // A head published and not applied yet is newer than the stored one, or a new object's first.
      List<String> unstored = published.keySet().stream().filter(id -> !heads.containsKey(id)).toList();
      for (String id : (Iterable<String>) () -> java.util.stream.Stream.concat(heads.keySet().stream(),
          unstored.stream()).iterator()) {
        long version = visibleHead(id);
        io.vertx.core.json.JsonObject head = new io.vertx.core.json.JsonObject().put("id", id).put("version", version);
        byte[] raw = versions.get(versionKey(id, version));
        if (raw != null) {
          head.put("size", decode(raw).size());
        }
        current.add(head);
        if (current.size() == page) {
          pages.add(current);
          current = new ArrayList<>();
        }
      }
      if (!current.isEmpty()) {
        pages.add(current);
      }
      return pages;
    });
  }

  /** The version a client's request id committed, if it did. */
  public Future<Optional<VersionMeta>> requested(ObjectId id, String requestId) {
    if (isGateways(requestId) && requestedVersion(id.render(), requestId) == null) {
      // A gateway's ids live in memory only: a first attempt (the usual case) needs no worker thread.
      return Future.succeededFuture(Optional.empty());
    }
    return store.read(db -> {
      Long version = requestedVersion(id.render(), requestId);
      return Optional.ofNullable(version == null ? null : versions.get(versionKey(id.render(), version)))
          .map(PopObjectStore::decode);
    });
  }

  /**
   * {@code earlier}, the version a request id already made, when {@code retry} is the same write
   * again (same content, or a deletion again); else a conflict: a request id reused for another
   * write must not be answered with the first one's success.
   */
  public static VersionMeta sameWrite(VersionMeta earlier, VersionMeta retry, String requestId) {
    if (earlier.deleted() == retry.deleted() && earlier.sha256().equals(retry.sha256())) {
      return earlier;
    }
    throw new StoreFailure(FailureCode.CONFLICT, "request id " + requestId + " already made version "
        + earlier.ref().version() + " of " + earlier.ref().id() + " with " + (earlier.deleted() ? "a deletion"
        : "other content") + "; a new write needs a new request id");
  }

  /** A committed version with the client request id it was written under (null when none). */
  public record Committed(VersionMeta meta, String requestId) {
  }

  /** Up to {@code max} committed versions from {@code from} on, oldest first (versions this store lacks are skipped). */
  public Future<List<Committed>> versionsFrom(ObjectId id, long from, int max) {
    return store.read(db -> {
      String key = id.render();
      long head = visibleHead(key);
      List<Committed> out = new ArrayList<>();
      for (long v = Math.max(1, from); v <= head && out.size() < max; v++) {
        byte[] raw = versions.get(versionKey(key, v));
        if (raw != null) {
          String requestId = publishedRequests.get(versionKey(key, v)); // read before the map: see visibleHead
          out.add(new Committed(decode(raw), requestId != null ? requestId : requestOf.get(versionKey(key, v))));
        }
      }
      return out;
    });
  }

  /**
   * The oldest version of {@code id} this store lacks: the first hole in its history (versions it was
   * not there for, copied from a holder that had only the later ones), else the one after its head.
   */
  public Future<Long> firstMissing(ObjectId id) {
    return store.read(db -> {
      String key = id.render();
      long head = visibleHead(key);
      Long known = wholeThrough.getIfPresent(key);
      long v = known == null ? 1 : Math.min(known, head) + 1;
      while (v <= head && versions.containsKey(versionKey(key, v))) {
        v++;
      }
      wholeThrough.asMap().merge(key, v - 1, Math::max);
      return v;
    });
  }

  /** Of {@code wanted} versions of {@code id}, those committed here. */
  public Future<java.util.Set<Long>> held(ObjectId id, List<Long> wanted) {
    return store.read(db -> {
      java.util.Set<Long> out = new java.util.HashSet<>();
      long head = visibleHead(id.render());
      for (long v : wanted) {
        if (v <= head && versions.containsKey(versionKey(id.render(), v))) {
          out.add(v);
        }
      }
      return out;
    });
  }

  /** Whether every block of {@code meta} is held here. */
  public Future<Boolean> hasBlocks(VersionMeta meta) {
    return store.read(db -> holdsAll(meta));
  }

  public Future<List<VersionMeta>> versions(ObjectId id) {
    return store.read(db -> {
      long head = visibleHead(id.render());
      List<VersionMeta> all = new ArrayList<>();
      for (long v = 1; v <= head; v++) {
        byte[] raw = versions.get(versionKey(id.render(), v));
        if (raw != null) {
          all.add(decode(raw));
        }
      }
      return all;
    });
  }

  /**
   * The other copy-holder's ceiling, first raised to at least the given one (0: only asked). A new
   * fence range starts above it, since that POP may have granted fences while acting primary; and it
   * records the new range's ceiling before a fence of the range is given, so that, should it take over,
   * its fences rise above every fence given here, those of the locks it was never told about included
   * (the gateway's own, for one write). Set by the POP; 0 when it cannot be asked.
   */
  public void peerCeilings(java.util.function.BiFunction<ObjectId, Long, Future<Long>> peerCeiling) {
    this.peerCeiling = peerCeiling;
  }

  private java.util.function.BiFunction<ObjectId, Long, Future<Long>> peerCeiling =
      (id, raise) -> Future.succeededFuture(0L);

  @Override
  public Future<Long> nextFence(ObjectId id) {
    String key = id.render();
    long[] range = fenceRanges.get(key);
    if (range != null && range[0] <= range[1]) {
      return Future.succeededFuture(range[0]++);
    }
    return peerCeiling.apply(id, 0L).recover(e -> Future.succeededFuture(0L)).compose(peer -> store.write(db -> {
      long stored = Math.max(peer, fences.getOrDefault(key, 0L));
      long ceiling = stored + FENCE_BATCH;
      fences.put(key, ceiling);
      return new long[] {stored + 1, ceiling};
    })).compose(reserved -> peerCeiling.apply(id, reserved[1]).recover(e -> Future.succeededFuture(0L))
        .map(peer -> reserved)).map(reserved -> {
      fenceRanges.put(key, new long[] {reserved[0] + 1, reserved[1]});
      knownCeilings.merge(key, reserved[1], Math::max);
      return reserved[0];
    });
  }

  /** The highest fence this POP may have given or recorded for {@code id}. */
  public Future<Long> durableCeiling(ObjectId id) {
    long[] range = fenceRanges.get(id.render());
    long known = range == null ? 0 : range[1];
    return store.read(db -> Math.max(known, fences.getOrDefault(id.render(), 0L)));
  }

  @Override
  public long ceiling(ObjectId id) {
    long[] range = fenceRanges.get(id.render());
    return range == null ? knownCeilings.getOrDefault(id.render(), 0L) : range[1];
  }

  @Override
  public Future<Void> recordCeiling(ObjectId id, long ceiling) {
    String key = id.render();
    if (knownCeilings.getOrDefault(key, 0L) >= ceiling) {
      return Future.succeededFuture();
    }
    // A range this POP reserved earlier is void once the primary's ceiling passes it.
    fenceRanges.remove(key);
    return store.write(db -> fences.merge(key, ceiling, Math::max))
        .onSuccess(durable -> knownCeilings.merge(key, durable, Math::max))
        .mapEmpty();
  }

  @Override
  public Future<Long> currentFence(ObjectId id) {
    long[] range = fenceRanges.get(id.render());
    return range != null ? Future.succeededFuture(range[0] - 1)
        : store.read(db -> fences.getOrDefault(id.render(), 0L));
  }

  // Placement on the region's HGs (see org.mistore.placement).

  /** Removes {@code hg} from the HGs recorded as holding a block. */
  public Future<Void> unplaced(String blockKey, String hg) {
    return store.write(db -> {
      placements.computeIfPresent(blockKey, (k, v) -> {
        String rest = java.util.Arrays.stream(v.split(",")).filter(h -> !h.equals(hg))
            .collect(java.util.stream.Collectors.joining(","));
        return rest.isEmpty() ? null : rest;
      });
      return null;
    });
  }

  /** The whole placement index: block key → HGs holding it (a scan, on a worker thread). */
  public Future<Map<String, List<String>>> placements() {
    return store.read(db -> {
      Map<String, List<String>> all = new java.util.HashMap<>();
      placements.forEach((k, v) -> all.put(k, List.of(v.split(","))));
      return all;
    });
  }

  /** Keys of the blocks this POP holds itself, in key order. */
  public Future<List<String>> heldBlockKeys() {
    return store.read(db -> blockStore.sortedKeys());
  }

  /** Whether this POP holds its own copy of a block. */
  public Future<Boolean> holds(BlockRef ref) {
    return store.read(db -> blockStore.contains(blockKey(ref)));
  }

  /** Drops this POP's own copy of a committed block (only once enough HG copies hold it). */
  public Future<Void> dropBlock(BlockRef ref) {
    return store.write(db -> {
      blockStore.removeNow(blockKey(ref));
      return null;
    });
  }

  /** The ref a block key names, if a committed version here names that block. */
  public Future<Optional<BlockRef>> refOf(String key) {
    String[] p = key.split("/");
    if (p.length != 4) {
      return Future.succeededFuture(Optional.empty());
    }
    ObjectId id;
    long version;
    int index;
    try {
      id = ObjectId.parse(p[0]);
      version = Long.parseLong(p[1]);
      index = Integer.parseInt(p[2]);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(Optional.empty());
    }
    return meta(id, version).map(found -> found
        .filter(m -> index < m.blockCount() && m.blockSha256().get(index).equals(p[3]))
        .map(m -> m.block(index)));
  }
}
