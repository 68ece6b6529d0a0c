package org.mistore.pop;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockBytes;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.CommitRequest;
import org.mistore.codecs.FailureCode;
import org.mistore.codecs.LockGrant;
import org.mistore.codecs.LockRequest;
import org.mistore.codecs.LockType;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.VersionMeta;
import org.mistore.lock.LockMirror;
import org.mistore.lock.LockRefused;
import org.mistore.lock.LockTable;
import org.mistore.placement.RegionPlacement;
import org.mistore.store.Checksums;

/**
 * What a POP does as primary (or acting primary) and as backup of objects: store blocks, commit
 * versions on both copies before they become visible, serve metadata and blocks, run the locks and
 * mirror them to the backup.
 */
public final class OwnerService implements LockMirror {
  private final Vertx vertx;
  private final String self;
  private final Role selfRole;
  private final PopObjectStore store;
  private final Owners owners;
  private final LockTable locks;
  /** The region's HG placement: null at the DC, which has no HGs. */
  private final RegionPlacement replicator;
  private final CatchUp catchUp;
  /** Mirror commits in flight per copy-holder: failed at once when that holder is seen down. */
  private final java.util.Map<Owners.Holder, org.mistore.directory.NodeLink> holders = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A copy-holder's service. POPs ({@code role} POP) act as primary and backup and place blocks on
   * their HGs ({@code placement}); the DC only stands in as backup ({@link #forStandIn}).
   */
  OwnerService(Vertx vertx, Role role, String self, PopObjectStore store, Owners owners,
      io.micrometer.core.instrument.MeterRegistry registry, RegionPlacement placement, long catchUpBlockWaitMs) {
    this.vertx = vertx;
    this.self = self;
    this.selfRole = role;
    this.store = store;
    this.owners = owners;
    this.locks = new LockTable(vertx, store, this, store::head, registry, self);
    this.replicator = role == Role.POP ? placement : null;
    this.catchUp = new CatchUp(vertx, new Owners.Holder(role, self), store, owners, locks, registry,
        catchUpBlockWaitMs, meta -> {
          if (replicator != null) {
            replicator.replicate(meta);
          }
        });
    store.peerCeilings(this::peerCeiling);
    catchUp.pushAdoptedWith(this::pushToPeer);
    owners.directory().onDown(e -> {
      org.mistore.directory.NodeLink link = holders.get(new Owners.Holder(e.report().role(), e.report().nodeId()));
      if (link != null) {
        link.wentDown();
      }
    });
    if (replicator != null) {
      replicator.readElsewhere(ref -> readFromPeer(ref, new StoreFailure(FailureCode.UNAVAILABLE, "no copy of block "
          + ref.index() + " of " + ref.version().id() + " at its other copy-holder")).map(RegionPlacement.Served::data));
    }
  }

  /** The DC's side: holds the second copy of objects whose primary or backup POP is down. */
  public static OwnerService forStandIn(Vertx vertx, String dcId, PopObjectStore store, Owners owners,
      io.micrometer.core.instrument.MeterRegistry registry) {
    // The DC has no HGs to read a missing block from: it copies every block before it commits.
    return new OwnerService(vertx, Role.DC, dcId, store, owners, registry, null, Long.MAX_VALUE);
  }

  /** Called when the role stops. */
  public void close() {
    catchUp.close();
  }

  /** Resumes copying blocks a catch-up still owed this store when it last stopped (call once, at start). */
  public Future<Void> resumeOwedBlocks() {
    return catchUp.resumeOwed().onSuccess(v -> catchUp.settleUncertain());
  }

  /**
   * The other copy-holder's fence ceiling (it may have acted as primary meanwhile), first raised to at
   * least {@code raiseTo} (0: only asked); 0 when nobody holds it.
   */
  private Future<Long> peerCeiling(ObjectId id, long raiseTo) {
    JsonObject body = new JsonObject().put("id", id.render());
    if (raiseTo > 0) {
      body.put("raise", raiseTo);
    }
    return owners.peerOf(id, self)
        .map(peer -> linkTo(peer).guard(bus().<Long>request(peer.address(Addresses.OWNER_CEILING), body,
            new DeliveryOptions().setSendTimeout(2000)).map(m -> m.body()), () -> new StoreFailure(
                FailureCode.UNAVAILABLE, peer.describe() + " holding the second copy of " + id
                    + " went down while asked for its fence ceiling; retry")))
        .orElse(Future.succeededFuture(0L));
  }

  /**
   * Mints an object id as {@link PopObjectStore#mint}; a new id needs no catch-up before its first
   * commit here (asking every POP and the DC about an object nobody can hold yet cost a round of
   * messages per create).
   */
  public Future<String> mint(String creator, String requestId, java.util.function.LongFunction<String> idOf) {
    long at = catchUp.epoch();
    return store.mint(creator, requestId, idOf, id -> catchUp.minted(ObjectId.parse(id), at));
  }

  /** Catch-up request of another holder (see {@link CatchUp}). */
  public void sync(Message<JsonObject> m) {
    catchUp.answer(m.body()).onSuccess(m::reply).onFailure(e -> Replies.fail(m, e));
  }

  /**
   * {@code {"id","raise"}}: this node's durable fence ceiling of the object, first raised to at least
   * {@code raise} when given (the primary's new range, recorded here before it grants from it).
   */
  public void ceiling(Message<JsonObject> m) {
    ObjectId id = ObjectId.parse(m.body().getString("id"));
    long raise = m.body().getLong("raise", 0L);
    (raise > 0 ? store.recordCeiling(id, raise) : Future.<Void>succeededFuture())
        .compose(v -> store.durableCeiling(id))
        .onSuccess(m::reply).onFailure(e -> Replies.fail(m, e));
  }

  private EventBus bus() {
    return vertx.eventBus();
  }

  /**
   * Fails unless this POP may act as primary of {@code id} now; first catches up with the other
   * holders when membership changed, then starts the clocks of leases it took over.
   */
  private Future<Void> actAsPrimary(ObjectId id) {
    boolean acting = selfRole == Role.POP && (self.equals(id.primaryPop())
        || self.equals(id.backupPop()) && owners.isDown(id.primaryPop()));
    if (!acting) {
      return Future.failedFuture(new StoreFailure(FailureCode.MISDIRECTED, selfRole.wireName() + " " + self
          + " is not acting primary of " + id));
    }
    return catchUp.beforeActing(id).onSuccess(v -> locks.takeOver(id));
  }

  private String sourceFor(ObjectId id) {
    return self.equals(id.primaryPop()) ? "primary" : "backup";
  }

  public void storeBlock(Message<StoreBlock> m) {
    StoreBlock b = m.body();
    if (replicator != null) {
      replicator.clientBusy();
    }
    store.putBlock(b.ref(), b.data(), b.hashed()).onSuccess(v -> m.reply("stored")).onFailure(e -> Replies.fail(m, e));
  }

  /**
   * A block from this node's own copy, else (POPs) from its region's HG copies (header {@code source:
   * hg-blocks}), else from the object's other copy-holder (its own copy or its region's HGs): with
   * POPs that drop their copies once HGs hold them, the other region may hold the only reachable one.
   */
  public void readBlock(Message<BlockRef> m) {
    BlockRef ref = m.body();
    // A request from the other holder is its own fallback: answered from here only, never sent back.
    boolean fromPeer = m.headers().contains(Addresses.HEADER_FROM);
    if (replicator != null && !fromPeer) {
      replicator.clientBusy();
    }
    (replicator != null ? replicator.read(ref) : store.checkedBlock(ref)
        .compose(found -> found.map(c -> Future.succeededFuture(new RegionPlacement.Served(c.data(), null, c.checked())))
            .orElseGet(() -> Future.failedFuture(new StoreFailure(FailureCode.NOT_FOUND, "block "
                + ref.index() + " not held by " + self)))))
        .recover(e -> fromPeer || selfRole != Role.POP ? Future.failedFuture(e) : readFromPeer(ref, e))
        .onSuccess(served -> {
          DeliveryOptions options = BlockBytes.options();
          if (served.source() != null) {
            options.addHeader(Addresses.HEADER_SOURCE, served.source());
          }
          if (served.checked()) {
            options.addHeader(Addresses.HEADER_CHECKED_IN, Checksums.PROCESS);
          }
          m.reply(served.data(), options);
        })
        // A copy of this node's found corrupt on the way is rewritten from the good one just served.
        .onSuccess(served -> store.repair(ref, served.data()))
        .onFailure(e -> Replies.fail(m, e));
  }

  /** The block from the object's other copy-holder; fails with {@code cause} when it cannot give it either. */
  private Future<RegionPlacement.Served> readFromPeer(BlockRef ref, Throwable cause) {
    return readFromPeer(ref, cause, new java.util.HashSet<>());
  }

  /**
   * As {@link #readFromPeer(BlockRef, Throwable)}: a copy-holder seen down while asked fails the ask
   * at once, and the holder that stands in for it then ({@link Owners#peerOf}: the DC or another
   * POP, which held the second copy of what was written while it was down) is asked in turn.
   */
  private Future<RegionPlacement.Served> readFromPeer(BlockRef ref, Throwable cause, java.util.Set<Owners.Holder> asked) {
    ObjectId id = ref.version().id();
    Optional<Owners.Holder> peer = owners.peerOf(id, self).filter(p -> !asked.contains(p));
    if (peer.isEmpty()) {
      return Future.failedFuture(cause);
    }
    asked.add(peer.get());
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_FROM, self)
        .setSendTimeout(owners.peerTimeoutMs());
    return linkTo(peer.get()).guard(bus().<Buffer>request(peer.get().address(Addresses.OWNER_READ_BLOCK), ref, options),
            () -> new StoreFailure(FailureCode.UNAVAILABLE, peer.get().describe() + " went down"))
        .<RegionPlacement.Served>map(reply -> {
          String source = reply.headers().get(Addresses.HEADER_SOURCE);
          return new RegionPlacement.Served(reply.body(), source != null ? source
              : peer.get().role() == Role.DC ? "dc" : peer.get().id().equals(id.backupPop()) ? "backup" : "primary");
        })
        .recover(e -> asked.size() < 3 ? readFromPeer(ref, cause, asked) : Future.failedFuture(cause));
  }

  /**
   * A 404 for a version the object does not have; it names the object's current version (tagged
   * {@link Replies#CURRENT_VERSION}), as every answer about an object does, unless there is none (or
   * the head could not be read: a plain 404 then).
   */
  private Future<VersionMeta> noSuchVersion(ObjectId id, long version) {
    return store.head(id).recover(e -> Future.succeededFuture(0L)).compose(head -> Future.failedFuture(head == 0
        ? new StoreFailure(FailureCode.NOT_FOUND, "no object " + id)
        : StoreFailure.about(FailureCode.NOT_FOUND, head, "object " + id
            + " has no version " + version + " (current is " + head + ")")));
  }

  /** Body {@code {"id","version"}} (version 0: the head); header {@code lock} names a read lock's version. */
  public void meta(Message<JsonObject> m) {
    ObjectId id = ObjectId.parse(m.body().getString("id"));
    long asked = m.body().getLong("version", 0L);
    String token = m.headers().get(Addresses.HEADER_LOCK);
    actAsPrimary(id)
        .compose(v -> {
          if (token != null) {
            Optional<LockGrant> g = locks.live(token).filter(x -> x.id().equals(id));
            if (g.isEmpty()) {
              return store.head(id).compose(head -> Future.failedFuture(
                  StoreFailure.about(FailureCode.CONFLICT, head, "lock token is not a live lock on " + id)));
            }
            // A read lock names the version it was granted on (no write completes while it is held);
            // the write lock's holder is the only writer, so it reads the head, its own writes included.
            return g.get().type() == LockType.WRITE ? store.head(id) : Future.succeededFuture(g.get().version());
          }
          return asked > 0 ? Future.succeededFuture(asked) : store.head(id);
        })
        .compose(version -> version == 0
            ? Future.failedFuture(new StoreFailure(FailureCode.NOT_FOUND, "no object " + id))
            : store.meta(id, version).compose(found -> found.map(Future::succeededFuture).orElseGet(() ->
                noSuchVersion(id, version))))
        .onSuccess(meta -> m.reply(meta, new DeliveryOptions().addHeader(Addresses.HEADER_SOURCE, sourceFor(id))))
        .onFailure(e -> Replies.fail(m, e));
  }

  public void versions(Message<JsonObject> m) {
    ObjectId id = ObjectId.parse(m.body().getString("id"));
    actAsPrimary(id).compose(v -> store.versions(id))
        .compose(list -> list.isEmpty()
            ? Future.failedFuture(new StoreFailure(FailureCode.NOT_FOUND, "no object " + id))
            : Future.succeededFuture(list))
        .onSuccess(list -> {
          JsonArray out = new JsonArray();
          list.forEach(meta -> out.add(new JsonObject()
              .put("version", meta.ref().version())
              .put("size", meta.size())
              .put("sha256", meta.sha256())
              .put("createdAt", meta.createdAt())
              .put("deleted", meta.deleted())));
          m.reply(out);
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  /**
   * Commits a version as primary: checks the writer's lock and fence, the precondition and that the
   * version follows the head; then makes it durable on the backup while staging it here, makes it the
   * head here, then announces it.
   */
  public void commit(Message<CommitRequest> m) {
    CommitRequest request = m.body();
    ObjectId id = request.meta().ref().id();
    String token = m.headers().get(Addresses.HEADER_LOCK);
    String fence = m.headers().get(Addresses.HEADER_FENCE);
    String ifMatch = m.headers().get(Addresses.HEADER_IF_MATCH);
    String requestId = m.headers().get(Addresses.HEADER_REQUEST_ID);
    String autoLock = m.headers().get(Addresses.HEADER_AUTO_LOCK);
    actAsPrimary(id)
        .compose(v -> requestId == null ? Future.succeededFuture(Optional.<VersionMeta>empty())
            : store.requested(id, requestId))
        .compose(earlier -> earlier.isPresent()
            ? Future.succeededFuture(new Outcome(PopObjectStore.sameWrite(earlier.get(), request.meta(), requestId), false))
            : autoLock != null ? commitUnderOwnLock(request, Long.parseLong(autoLock), ifMatch, requestId)
            : checkAndCommit(request, token, fence, ifMatch, requestId, false))
        .onSuccess(outcome -> {
          VersionMeta committed = outcome.meta();
          if (outcome.fresh()) {
            bus().publish(Addresses.VERSION_EVENTS, new JsonObject().put("id", id.render())
                .put("version", committed.ref().version()).put("size", committed.size()));
            if (replicator != null) {
              replicator.replicate(committed, request.inline());
            }
          }
          m.reply(committed, new DeliveryOptions().addHeader(Addresses.HEADER_SOURCE, sourceFor(id)));
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  /** Whether an If-Match header sent along is {@code *} (any current version that is not a deletion), sent as 0. */
  private static boolean anyLiveAsked(String ifMatch) {
    return "0".equals(ifMatch);
  }

  /** The head version number, and its meta when it is a deletion (looked up only when needed, else null). */
  private record Head(long version, VersionMeta deletion) {
  }

  /** A commit's result, and whether it made a new version (or answered a retry with an earlier one). */
  private record Outcome(VersionMeta meta, boolean fresh) {
  }

  /** How long this POP's own write lease for one commit lasts (renewed by nobody: the commit ends first). */
  private static final long OWN_LOCK_TTL_MS = 30_000;

  /** Takes the write lock here (not mirrored), commits the request as the version after the head, releases. */
  private Future<Outcome> commitUnderOwnLock(CommitRequest request, long waitMs, String ifMatch, String requestId) {
    VersionMeta meta = request.meta();
    ObjectId id = meta.ref().id();
    return store.head(id)
        .compose(head -> head == 0 ? Future.failedFuture(new StoreFailure(FailureCode.NOT_FOUND, "no object " + id))
            : locks.acquire(new LockRequest(id, LockType.WRITE, OWN_LOCK_TTL_MS, waitMs, meta.writer()), false))
        .compose(g -> checkAndCommit(request, g.token(), Long.toString(g.fence()), ifMatch, requestId, true)
            .andThen(done -> locks.release(g.token())));
  }

  /**
   * Checks the writer's lock and fence, the precondition and that the version follows the head (with
   * {@code renumber}, makes it the version after the head); then commits on the other holder while it
   * stages the version here, and makes it the head here once both are durable.
   */
  private Future<Outcome> checkAndCommit(CommitRequest request, String token, String fence, String ifMatch,
      String requestId, boolean renumber) {
    ObjectId id = request.meta().ref().id();
    boolean deletion = request.meta().deleted();
    return store.head(id)
        .compose(head -> (anyLiveAsked(ifMatch) || deletion) && head > 0
            // Whether the head is a deletion: If-Match: * holds only while it is not, and a deletion
            // of a deleted object writes nothing.
            ? store.meta(id, head).map(m -> new Head(head, m.filter(VersionMeta::deleted).orElse(null)))
            : Future.succeededFuture(new Head(head, null)))
        .compose(found -> {
          long head = found.version();
          CommitRequest numbered = renumber
              ? new CommitRequest(request.meta().withVersion(head + 1), request.inline(), request.hashed()) : request;
          long version = numbered.meta().ref().version();
          if (version > 1 || head > 0) {
            Optional<LockGrant> writer = token == null ? Optional.empty()
                : locks.live(token).filter(g -> g.id().equals(id) && g.type() == LockType.WRITE);
            if (writer.isEmpty()) {
              return Future.failedFuture(
                  StoreFailure.about(FailureCode.CONFLICT, head, "the write needs a live write lock on " + id));
            }
            if (fence == null || Long.parseLong(fence) != writer.get().fence()) {
              return Future.failedFuture(StoreFailure.about(FailureCode.CONFLICT, head,
                  "stale fence " + fence + " (current " + writer.get().fence() + ")"));
            }
          }
          if (anyLiveAsked(ifMatch) ? head == 0 || found.deletion() != null
              : ifMatch != null && Long.parseLong(ifMatch) != head) {
            return Future.failedFuture(StoreFailure.about(FailureCode.PRECONDITION_FAILED, head,
                anyLiveAsked(ifMatch) ? "If-Match: * needs a current version, and the object is "
                + (head == 0 ? "not there" : "deleted (version " + head + ")")
                : "If-Match names version " + ifMatch + ", current is " + head));
          }
          if (version != head + 1) {
            return Future.failedFuture(StoreFailure.about(FailureCode.CONFLICT, head,
                "version " + version + " does not follow current version " + head));
          }
          if (deletion && found.deletion() != null) {
            // Already deleted: DELETE is idempotent, the answer is the deletion that is there.
            return Future.succeededFuture(new Outcome(found.deletion(), false));
          }
          // Both copies are written at once: the other holder commits while this one stages; the
          // version becomes the head here (visible) only once both are durable.
          Future<Void> mirrored = mirrorCommit(numbered, requestId);
          Future<PopObjectStore.Staged> staged = store.stage(numbered, requestId);
          return Future.join(mirrored, staged).transform(both -> {
            if (staged.failed()) {
              return Future.failedFuture(staged.cause());
            }
            if (staged.result().earlier()) {
              return Future.succeededFuture(new Outcome(staged.result().meta(), false)); // a retried request id
            }
            if (mirrored.failed()) {
              store.unstage(numbered.meta());
              return Future.failedFuture(mirrored.cause());
            }
            return Future.succeededFuture(new Outcome(store.publish(numbered.meta(), requestId), true));
          });
        });
  }

  /**
   * The requests in flight to a copy-holder, failed at once when it is seen down (by default as a
   * mirrored commit is; {@link org.mistore.directory.NodeLink#guard(Future, java.util.function.Supplier)}
   * names another loss).
   */
  public org.mistore.directory.NodeLink linkTo(Owners.Holder holder) {
    return holders.computeIfAbsent(holder, h -> new org.mistore.directory.NodeLink(vertx,
        () -> owners.directory().knownDown(h.role(), h.id()),
        () -> new StoreFailure(FailureCode.UNAVAILABLE, h.describe()
            + " holding the second copy went down with the commit in flight; retry")));
  }

  private Future<Void> mirrorCommit(CommitRequest request, String requestId) {
    ObjectId id = request.meta().ref().id();
    Optional<Owners.Holder> peer = owners.peerOf(id, self);
    if (peer.isEmpty()) {
      return Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, "no live node can hold the second copy of "
          + id + " (its other POP, the DC and every other POP are down): the write cannot be made durable twice"));
    }
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_FROM, self)
        .setSendTimeout(owners.peerTimeoutMs());
    if (peer.get().role() != Role.POP || !(peer.get().id().equals(id.primaryPop()) || peer.get().id().equals(id.backupPop()))) {
      options.addHeader(Addresses.HEADER_STAND_IN, "true");
    }
    if (requestId != null) {
      options.addHeader(Addresses.HEADER_REQUEST_ID, requestId);
    }
    Owners.Holder holder = peer.get();
    return linkTo(holder).guard(bus().request(holder.address(Addresses.OWNER_MIRROR_COMMIT), request, options))
        .recover(e -> Future.failedFuture(unanswered(e, holder.describe() + " holding the second copy",
            options.getSendTimeout())))
        .recover(e -> {
          if (!(e instanceof io.vertx.core.eventbus.ReplyException r && r.failureCode() == FailureCode.CONFLICT.code)) {
            return Future.failedFuture(e);
          }
          // The other holder has another version under this number: the holders changed mid-write, or
          // it committed a write whose answer never came back. Copy what it has, so the retry follows it.
          StoreFailure disagree = new StoreFailure(FailureCode.UNAVAILABLE, "the copies of " + id
              + " disagree on version " + request.meta().ref().version() + " (" + r.getMessage() + "); retry");
          return catchUp.from(peer.get(), id).transform(x -> Future.failedFuture(disagree));
        })
        .mapEmpty();
  }

  /** {@code e}, or for a request to {@code who} that timed out after {@code ms}, a 503 saying so. */
  private static Throwable unanswered(Throwable e, String who, long ms) {
    return e instanceof io.vertx.core.eventbus.ReplyException r && r.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT
        ? new StoreFailure(FailureCode.UNAVAILABLE, who + " did not answer within " + ms + " ms; retry") : e;
  }

  /**
   * Sends a version this POP holds, blocks then commit, to the node that holds the object's second
   * copy now (its other POP, or the one standing in for it): a version only this POP has (see {@link
   * CatchUp}) is then on two nodes again. Nothing to do when no other holder is up.
   */
  Future<Void> pushToPeer(VersionMeta meta) {
    Optional<Owners.Holder> peer = owners.peerOf(meta.ref().id(), self);
    if (peer.isEmpty()) {
      return Future.succeededFuture();
    }
    Owners.Holder holder = peer.get();
    Future<Void> blocks = Future.succeededFuture();
    for (int i = 0; i < meta.blockCount(); i++) {
      BlockRef ref = meta.block(i);
      blocks = blocks.compose(v -> store.block(ref)).compose(data -> data.isEmpty()
          ? Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, "block " + ref.index() + " of " + meta.ref()
              + " is not held here"))
          : linkTo(holder).guard(bus().request(holder.address(Addresses.OWNER_BLOCK), new StoreBlock(ref, data.get(),
              false), new DeliveryOptions().setSendTimeout(owners.peerTimeoutMs()))).mapEmpty());
    }
    return blocks.compose(v -> mirrorCommit(CommitRequest.of(meta), null));
  }

  /**
   * Second copy of a commit. A stand-in keeps what it is sent; the other POP of the pair first copies
   * the versions it missed (it was down) from the sender, so its history has no gap.
   */
  public void mirrorCommit(Message<CommitRequest> m) {
    CommitRequest request = m.body();
    ObjectId id = request.meta().ref().id();
    boolean standIn = m.headers().contains(Addresses.HEADER_STAND_IN);
    String from = m.headers().get(Addresses.HEADER_FROM);
    // A first version follows any head: nothing to catch up, no head to read.
    Future<Void> ready = standIn || from == null || request.meta().ref().version() == 1 ? Future.succeededFuture()
        : store.head(id).compose(head -> head >= request.meta().ref().version() - 1 ? Future.succeededFuture()
            : catchUp.from(new Owners.Holder(Role.POP, from), id));
    ready.compose(v -> store.commit(request, m.headers().get(Addresses.HEADER_REQUEST_ID), standIn))
        .onSuccess(v -> {
          m.reply("committed");
          if (replicator != null) {
            // The inline bytes are this version's only if the commit stored it (not a retry's earlier one).
            replicator.replicate(v, v.ref().version() == request.meta().ref().version() ? request.inline() : null);
          }
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  /** Body {@code {"id","version"}}: for each block of the version, the HGs of this region holding it. */
  public void placement(Message<JsonObject> m) {
    ObjectId id = ObjectId.parse(m.body().getString("id"));
    store.meta(id, m.body().getLong("version"))
        .compose(found -> found.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(
            new StoreFailure(FailureCode.NOT_FOUND, "no such version here"))))
        .compose(meta -> Future.all(java.util.stream.IntStream.range(0, meta.blockCount())
            .mapToObj(i -> store.placement(meta.block(i))).toList()))
        .onSuccess(all -> {
          JsonArray blocks = new JsonArray();
          for (int i = 0; i < all.size(); i++) {
            blocks.add(new JsonArray(all.<java.util.List<String>>resultAt(i)));
          }
          m.reply(new JsonObject().put("pop", self).put("blocks", blocks));
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  /** Body {@code {"id","version"}}: drops the blocks of an upload that will not commit, here and at the peer. */
  public void abort(Message<JsonObject> m) {
    ObjectId id = ObjectId.parse(m.body().getString("id"));
    long version = m.body().getLong("version");
    store.abort(id, version).onComplete(x -> m.reply("aborted"));
    if (!Boolean.TRUE.equals(m.body().getBoolean("mirrored")) && selfRole == Role.POP) {
      owners.peerOf(id, self).ifPresent(peer -> bus().send(peer.address(Addresses.OWNER_ABORT),
          m.body().copy().put("mirrored", true)));
    }
  }

  public void lock(Message<LockRequest> m) {
    LockRequest request = m.body();
    actAsPrimary(request.id())
        .compose(v -> store.head(request.id()))
        .compose(head -> head == 0
            ? Future.failedFuture(new StoreFailure(FailureCode.NOT_FOUND, "no object " + request.id()))
            : locks.acquire(request, true, m.headers().get(Addresses.HEADER_WAIT_KEY)))
        // A refusal names the object's current version, as every answer about an object does.
        .recover(e -> e instanceof LockRefused r ? store.head(request.id())
            .transform(h -> Future.failedFuture(h.succeeded() ? r.withCurrentVersion(h.result()) : r))
            : Future.failedFuture(e))
        .onSuccess(m::reply)
        .onFailure(e -> Replies.fail(m, e));
  }

  /** Body {@code {"key"}}: withdraws a waiting lock request whose client left (see {@link LockTable#withdraw}). */
  public void unwait(Message<JsonObject> m) {
    m.reply(new JsonObject().put("withdrawn", locks.withdraw(m.body().getString("key", ""))));
  }

  /**
   * Body {@code {"token"}}: extends a live lease by its TTL. With {@code "check": true} (a write under
   * the client's own lock asking whether it is live), only says so: a write does not renew the lease.
   */
  public void renew(Message<JsonObject> m) {
    String token = m.body().getString("token");
    boolean check = Boolean.TRUE.equals(m.body().getBoolean("check"));
    LockTable.objectOf(token).map(this::actAsPrimary).orElse(Future.succeededFuture())
        .onSuccess(v -> (check ? locks.live(token) : locks.renew(token)).ifPresentOrElse(
            g -> m.reply(new JsonObject().put("token", token).put("expiresAt", g.expiresAt())
                .put("type", g.type().wireName()).put("fence", g.fence())),
            () -> m.fail(FailureCode.GONE.code, "lock expired, released or unknown")))
        .onFailure(e -> Replies.fail(m, e));
  }

  public void unlock(Message<JsonObject> m) {
    String token = m.body().getString("token");
    LockTable.objectOf(token).map(this::actAsPrimary).orElse(Future.succeededFuture())
        .onSuccess(v -> {
          locks.release(token);
          m.reply("released");
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  /** Backup side: {@code {"op":"grant","grant":...,"ttlMs"}} or {@code {"op":"release","token"}}. */
  public void mirrorLock(Message<JsonObject> m) {
    JsonObject body = m.body();
    if ("release".equals(body.getString("op"))) {
      locks.mirrorRelease(body.getString("token"));
      m.reply("ok");
      return;
    }
    LockGrant g = new LockGrant(body.getString("token"), LockType.parse(body.getString("type")),
        ObjectId.parse(body.getString("id")), body.getLong("fence"), body.getLong("version"),
        body.getLong("expiresAt"));
    store.recordCeiling(g.id(), body.getLong("ceiling"))
        .onSuccess(f -> {
          // A stand-in keeps only the ceiling: catch-up takes leases from a POP of the pair, and fences
          // above the ceiling make any lease it forgot harmless.
          if (selfRole == Role.POP && (self.equals(g.id().primaryPop()) || self.equals(g.id().backupPop()))) {
            locks.mirrorGrant(g, body.getLong("ttlMs"));
          }
          m.reply("ok");
        })
        .onFailure(e -> Replies.fail(m, e));
  }

  @Override
  public Future<Void> granted(LockGrant grant, long ttlMs) {
    Optional<Owners.Holder> peer = owners.peerOf(grant.id(), self);
    if (peer.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonObject body = new JsonObject().put("op", "grant").put("token", grant.token())
        .put("type", grant.type().wireName()).put("id", grant.id().render()).put("fence", grant.fence())
        .put("version", grant.version()).put("expiresAt", grant.expiresAt()).put("ttlMs", ttlMs)
        .put("ceiling", store.ceiling(grant.id()));
    Owners.Holder holder = peer.get();
    return linkTo(holder).guard(bus().request(holder.address(Addresses.OWNER_MIRROR_LOCK), body,
            new DeliveryOptions().setSendTimeout(owners.peerTimeoutMs())), () -> new StoreFailure(FailureCode.UNAVAILABLE,
            holder.describe() + " holding the second copy of " + grant.id() + " went down while the lock was mirrored "
                + "to it; retry"))
        .recover(e -> Future.failedFuture(unanswered(e, holder.describe() + " holding the second copy of "
            + grant.id(), owners.peerTimeoutMs())))
        .mapEmpty();
  }

  @Override
  public void released(LockGrant grant) {
    owners.peerOf(grant.id(), self).ifPresent(peer -> bus().send(peer.address(Addresses.OWNER_MIRROR_LOCK),
        new JsonObject().put("op", "release").put("token", grant.token())));
  }
}
