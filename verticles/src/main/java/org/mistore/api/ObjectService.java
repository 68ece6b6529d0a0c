package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.CommitRequest;
import org.mistore.codecs.LockGrant;
import org.mistore.codecs.LockRequest;
import org.mistore.codecs.LockType;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.OwedReply;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.hg.Gateway;
import org.mistore.lock.LockTable;
import org.mistore.node.Limits;
import org.mistore.store.Checksums;

/**
 * The object operations a gateway performs for its clients, whatever the transport (HTTP or
 * WebSocket): create, write under the write lock, resolve a read in one of the consistency modes,
 * list versions. Failures are {@link HttpProblem}s carrying the contract's status.
 */
final class ObjectService {
  static final String TOMBSTONE_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final List<String> CONSISTENCIES = List.of("atomic", "rw-exclusive", "monotonic");

  /**
   * A body to store: a streaming HTTP request, or bytes already in memory (WebSocket). {@code gone}
   * says why the client of a streamed body left before its upload began (null while it is there).
   */
  record Body(HttpServerRequest request, Buffer data, String contentType,
      java.util.concurrent.atomic.AtomicReference<String> gone) {
    /**
     * A request's body, watched from now on: a client that closes the connection while the gateway
     * still takes the lock or mints the id is noticed then, not left to an upload that never ends.
     * Call on the request's context; the upload replaces these handlers with its own.
     */
    static Body streamed(HttpServerRequest request, String contentType) {
      var gone = new java.util.concurrent.atomic.AtomicReference<String>();
      if (!request.isEnded()) {
        request.exceptionHandler(e -> gone.compareAndSet(null, String.valueOf(e.getMessage())));
        request.connection().closeHandler(v -> gone.compareAndSet(null, "the client closed the connection"));
      }
      return new Body(request, null, contentType, gone);
    }

    static Body whole(Buffer data, String contentType) {
      return new Body(null, data, contentType, new java.util.concurrent.atomic.AtomicReference<>());
    }

    /** A 400 for a client that left before its upload began, else null. */
    HttpProblem left() {
      String why = gone.get();
      return why == null ? null : HttpProblem.badRequest("upload interrupted before its body was read: " + why);
    }
  }

  /** A resolved read: the version to serve, where it was resolved, and what to release afterwards. */
  record ReadPlan(VersionMeta meta, String source, Runnable release) {
  }

  /**
   * What a write answers: the version it made (or its first attempt made) and, when the answer did
   * not come from the object's primary, where it came from ({@value #DELIVERED}), else null.
   */
  record Written(ObjectId id, long version, long size, String sha256, String source) {
    /** The source of an answer from a result the POP kept while this HG was down, then delivered. */
    static final String DELIVERED = "delivered";

    static Written of(VersionMeta meta) {
      return new Written(meta.ref().id(), meta.ref().version(), meta.size(), meta.sha256(), null);
    }

    static Written delivered(OwedReply reply) {
      return new Written(reply.ref().id(), reply.ref().version(), reply.size(), reply.sha256(), DELIVERED);
    }
  }

  private final Limits limits;

  /** Room for the request bodies this gateway holds at once (see {@link Upload}). */
  private final MemoryBudget uploads;

  ObjectService(Limits limits) {
    this.uploads = new MemoryBudget(limits.uploadBufferBytes());
    this.limits = limits;
  }

  MemoryBudget uploadBudget() {
    return uploads;
  }

  Limits limits() {
    return limits;
  }

  /** A new object; a retry with the same {@code requestId} (may be null) gets the same object and version. */
  Future<Written> create(Gateway gateway, Body body, String requestId) {
    return create(gateway, body, requestId, 0);
  }

  /** As {@link #create(Gateway, Body, String)}; {@code stripes} is its stripe width on HGs (0: the region's default). */
  Future<Written> create(Gateway gateway, Body body, String requestId, int stripes) {
    return unlessDelivered(gateway, null, requestId, () -> gateway.create(requestId)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
        .compose(id -> upload(gateway, new VersionRef(id, 1), body, withRequestId(Map.of(), requestId), stripes)
            // A request id reused for other content: the answer names the object it made and its version.
            .recover(e -> e instanceof HttpProblem p && p.status() == 409
                ? withHead(gateway, id, p.about(id)).<VersionMeta>mapEmpty() : Future.failedFuture(e)))
        .map(Written::of));
  }

  /**
   * Runs {@code write}, unless this HG was delivered the result of an earlier attempt with the same
   * request id (its POP kept it while the HG was down): the retry is answered from it, as the
   * primary would answer it ({@code id} null for a creation).
   */
  private static Future<Written> unlessDelivered(Gateway gateway, ObjectId id, String requestId,
      java.util.function.Supplier<Future<Written>> write) {
    if (requestId == null) {
      return write.get();
    }
    return gateway.delivered(id, requestId).compose(earlier -> earlier.isPresent()
        ? Future.succeededFuture(Written.delivered(earlier.get())) : write.get());
  }

  private static Map<String, String> withRequestId(Map<String, String> headers, String requestId) {
    if (requestId == null) {
      return headers;
    }
    Map<String, String> all = new HashMap<>(headers);
    all.put(Addresses.HEADER_REQUEST_ID, requestId);
    return all;
  }

  private Future<VersionMeta> upload(Gateway gateway, VersionRef ref, Body body, Map<String, String> commitHeaders) {
    return upload(gateway, ref, body, commitHeaders, 0);
  }

  /** Streams the body into blocks, then commits the version at the primary (and backup); aborts on failure. */
  private Future<VersionMeta> upload(Gateway gateway, VersionRef ref, Body body, Map<String, String> commitHeaders,
      int stripes) {
    HttpProblem left = body.left();
    if (left != null) {
      return Future.failedFuture(left);
    }
    Upload upload = new Upload(body.request(), gateway, ref, limits.blockSize(), limits.blocksInFlight(),
        limits.maxObjectBytes(), uploads, limits.uploadStallMs());
    Future<Upload.Result> stored = body.request() != null ? upload.run() : upload.runWhole(body.data());
    return stored
        .compose(r -> commit(gateway, new CommitRequest(new VersionMeta(ref, r.size(), body.contentType(), r.sha256(),
            limits.blockSize(), r.blockSha256(), System.currentTimeMillis(), gateway.hgId(), false, stripes,
            r.blockCrc32c()), r.inline(), true),
            commitHeaders))
        .andThen(r -> {
          upload.close();
          // A failed upload, or a retry answered with the version its first attempt made: drop these blocks.
          if (r.failed() || r.result().ref().version() != ref.version()) {
            gateway.owner(ref.id(), Addresses.OWNER_ABORT,
                new JsonObject().put("id", ref.id().render()).put("version", ref.version()));
          }
        });
  }

  private static Future<VersionMeta> commit(Gateway gateway, CommitRequest request, Map<String, String> headers) {
    return gateway.<VersionMeta>owner(request.meta().ref().id(), Addresses.OWNER_COMMIT, request, headers, 30_000)
        .map(Message::body)
        .onSuccess(gateway.cache()::putVersion)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }

  /** A held write lock: its fence, the object's head version, and whether the gateway must release it. */
  private record WriteLock(String token, long fence, long head, boolean ours, long keepAlive) {
  }

  private Future<WriteLock> writeLock(Gateway gateway, ObjectId id, String clientToken, long waitMs) {
    if (clientToken != null) {
      String token = clientToken.trim();
      if (!LockTable.objectOf(token).map(id::equals).orElse(false)) {
        return Future.failedFuture(new HttpProblem(409, "Conflict", "Mistore-Lock is not a lock on this object"));
      }
      // Asked, not renewed: the lease ends when the client let it, write or not.
      return gateway.<JsonObject>owner(id, Addresses.OWNER_RENEW, new JsonObject().put("token", token).put("check", true))
          .recover(e -> Future.failedFuture(BusErrors.toHttp(e) instanceof HttpProblem p && p.status() == 410
              ? new HttpProblem(409, "Conflict", "Mistore-Lock is not a live lock") : BusErrors.toHttp(e)))
          .compose(m -> "write".equals(m.body().getString("type"))
              ? head(gateway, id).map(h -> new WriteLock(token, m.body().getLong("fence"), h, false, -1))
              : Future.failedFuture(new HttpProblem(409, "Conflict", "Mistore-Lock is a read lock, not a write lock")));
    }
    long ttl = limits.lockDefaultTtlMs();
    return LockRoutes.acquire(gateway, new LockRequest(id, LockType.WRITE, ttl, waitMs, gateway.hgId()))
        .map(g -> new WriteLock(g.token(), g.fence(), g.version(), true,
            LockRoutes.keepAlive(gateway, id, g.token(), ttl)));
  }

  /**
   * Runs {@code write} with the If-Match {@code parse} gives. One that can never match (only weak
   * tags, only other objects) is a 412 that names the object's current version, as every 412 does.
   */
  Future<Written> withIfMatch(Gateway gateway, ObjectId id, java.util.function.Supplier<Long> parse,
      java.util.function.Function<Long, Future<Written>> write) {
    Long ifMatch;
    try {
      ifMatch = parse.get();
    } catch (HttpProblem p) {
      if (p.status() != 412) {
        throw p;
      }
      return head(gateway, id).compose(h -> Future.failedFuture(HttpProblem.preconditionFailed(p.getMessage(), h)));
    }
    return write.apply(ifMatch);
  }

  /** A refusal that names no version waits at most this long for the head it is given (see {@link #withHead}). */
  private static final long HEAD_FOR_REFUSAL_MS = 2000;

  /**
   * {@code failure}, when it is a 409 or 423 (refusals of the lock table, which do not know the
   * object's head) or a 408 or 413 (the gateway's own, about the body), naming the object's current
   * version too, as every object answer does: asked of
   * the acting primary, briefly. Any other failure, or when the head cannot be had, as it is.
   */
  static Future<Void> withHead(Gateway gateway, ObjectId id, Throwable failure) {
    if (!(failure instanceof HttpProblem p) || p.currentVersion() > 0
        || p.status() != 408 && p.status() != 409 && p.status() != 413 && p.status() != 423) {
      return Future.failedFuture(failure);
    }
    return head(gateway, id, HEAD_FOR_REFUSAL_MS)
        .transform(head -> Future.failedFuture(head.succeeded() ? p.withCurrentVersion(head.result()) : p));
  }

  private static Future<Long> head(Gateway gateway, ObjectId id) {
    return head(gateway, id, DeliveryOptions.DEFAULT_TIMEOUT);
  }

  /** The object's head at its acting primary, waiting at most {@code timeoutMs} for it. */
  private static Future<Long> head(Gateway gateway, ObjectId id, long timeoutMs) {
    return gateway.<VersionMeta>owner(id, Addresses.OWNER_META, new JsonObject().put("id", id.render()), Map.of(),
            timeoutMs)
        .map(m -> m.body().ref().version())
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }

  private void releaseIfOurs(Gateway gateway, WriteLock lock) {
    if (lock.ours()) {
      gateway.vertx().cancelTimer(lock.keepAlive());
      LockRoutes.releaseTaken(gateway, lock.token(), limits.lockDefaultTtlMs());
    }
  }

  /**
   * A new version from {@code body}, or a tombstone when {@code body} is null, under the client's
   * write lock or one the gateway takes (waiting at most {@code lockWaitMs}) and releases. A retry
   * whose result this HG was delivered is answered from it.
   */
  Future<Written> write(Gateway gateway, ObjectId id, Long ifMatch, String clientToken, long lockWaitMs,
      Body body, String requestId) {
    return unlessDelivered(gateway, id, requestId,
        () -> writeVersion(gateway, id, ifMatch, clientToken, lockWaitMs, body, requestId).map(Written::of));
  }

  private Future<VersionMeta> writeVersion(Gateway gateway, ObjectId id, Long ifMatch, String clientToken,
      long lockWaitMs, Body body, String requestId) {
    // A client waiting for 100 Continue is answered from the headers when the lock or object is
    // refused: the lock is taken here, before the body is asked for, not by the primary after it.
    if (clientToken == null && (body == null || fitsInline(body) && !Upload.expectsContinue(body.request()))) {
      return writeInline(gateway, id, ifMatch, lockWaitMs, body, requestId);
    }
    return writeLock(gateway, id, clientToken, lockWaitMs).compose(lock -> {
      // A version number is checked here, before the body is read; If-Match: * (whether the head is a
      // deletion) by the primary, which receives the precondition with the commit either way.
      if (ifMatch != null && ifMatch != RequestParams.ANY_LIVE_VERSION && ifMatch != lock.head()) {
        releaseIfOurs(gateway, lock);
        return Future.failedFuture(HttpProblem.preconditionFailed("If-Match names version " + ifMatch
            + ", current is " + lock.head(), lock.head()));
      }
      Map<String, String> headers = new HashMap<>(Map.of(Addresses.HEADER_LOCK, lock.token(),
          Addresses.HEADER_FENCE, Long.toString(lock.fence())));
      if (ifMatch != null) {
        headers.put(Addresses.HEADER_IF_MATCH, Long.toString(ifMatch));
      }
      if (requestId != null) {
        headers.put(Addresses.HEADER_REQUEST_ID, requestId);
      }
      VersionRef ref = new VersionRef(id, lock.head() + 1);
      Future<VersionMeta> written = body == null
          ? commit(gateway, CommitRequest.of(new VersionMeta(ref, 0, "", TOMBSTONE_SHA, limits.blockSize(), List.of(),
              System.currentTimeMillis(), gateway.hgId(), true)), headers)
          : upload(gateway, ref, body, headers);
      return written.eventually(() -> {
        releaseIfOurs(gateway, lock);
        return Future.succeededFuture();
      });
    });
  }

  /**
   * Whether the whole body is known to travel inline: shorter than a block (a full block is sent
   * ahead by {@link Upload}), in memory or declared by {@code Content-Length}.
   */
  private boolean fitsInline(Body body) {
    if (body.data() != null) {
      return body.data().length() < limits.blockSize();
    }
    java.util.OptionalLong declared = Upload.declaredLength(body.request());
    return declared.isPresent() && declared.getAsLong() < limits.blockSize();
  }

  /**
   * A write small enough to travel in one message (or a tombstone) without a client lock: the
   * primary takes the write lock itself, numbers the version after the head and releases the lock,
   * so the write costs one request to the primary instead of three (lock, commit, release).
   */
  private Future<VersionMeta> writeInline(Gateway gateway, ObjectId id, Long ifMatch, long lockWaitMs, Body body,
      String requestId) {
    Map<String, String> headers = new HashMap<>(Map.of(Addresses.HEADER_AUTO_LOCK, Long.toString(lockWaitMs)));
    if (ifMatch != null) {
      headers.put(Addresses.HEADER_IF_MATCH, Long.toString(ifMatch));
    }
    // The primary numbers this write, so a commit re-sent by a relay after a failover must be
    // recognised as the same write: without the client's request id, the gateway names it.
    headers.put(Addresses.HEADER_REQUEST_ID, requestId != null ? requestId
        : Addresses.GATEWAY_REQUEST_ID_PREFIX + gateway.hgId() + ":" + java.util.UUID.randomUUID());
    // Numbered by the primary: version 1 stands for "the next one" until then.
    VersionRef next = new VersionRef(id, 1);
    Upload upload = body == null ? null : new Upload(body.request(), gateway, next, limits.blockSize(), 1,
        limits.maxObjectBytes(), uploads, limits.uploadStallMs());
    Future<CommitRequest> request = body == null
        ? Future.succeededFuture(CommitRequest.of(new VersionMeta(next, 0, "", TOMBSTONE_SHA, limits.blockSize(),
            List.of(), System.currentTimeMillis(), gateway.hgId(), true, 0)))
        : (body.request() != null ? upload.run() : upload.runWhole(body.data()))
            .compose(r -> r.inline().length() != r.size()
                ? Future.failedFuture(HttpProblem.badRequest("body longer than its Content-Length"))
                : Future.succeededFuture(new CommitRequest(new VersionMeta(next, r.size(), body.contentType(),
                    r.sha256(), limits.blockSize(), r.blockSha256(), System.currentTimeMillis(), gateway.hgId(),
                    false, 0, r.blockCrc32c()), r.inline(), true)));
    return request.compose(r -> gateway.<VersionMeta>owner(id, Addresses.OWNER_COMMIT, r, headers, lockWaitMs + 30_000))
        .andThen(x -> {
          if (upload != null) {
            upload.close();
          }
        })
        .map(Message::body)
        .onSuccess(gateway.cache()::putVersion)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }

  /**
   * Resolves which version a read serves: {@code version > 0} exactly that one; {@code rw-exclusive}
   * the version named by the client's read lock, or one the gateway takes for the read's duration
   * (waiting at most {@code lockWaitMs} for it);
   * otherwise the head at the acting primary, which must reach {@code minVersion}.
   */
  Future<ReadPlan> read(Gateway gateway, ObjectId id, String consistency, long version, long minVersion,
      String clientToken, long lockWaitMs) {
    boolean exclusive = "rw-exclusive".equals(consistency) && version == 0;
    Optional<VersionMeta> cached = version > 0 ? gateway.cache().version(id, version)
        : "monotonic".equals(consistency) ? gateway.cache().newest(id).filter(m -> m.ref().version() >= minVersion)
        : Optional.empty();
    // Served from the cache only when its blocks are there too: Mistore-Source names where the bytes come from.
    if (cached.isPresent() && gateway.cache().holdsAll(cached.get())) {
      // A node serving through its own POP (no HG) keeps this cache at the POP.
      String cache = gateway.hgId().equals(gateway.popId()) ? "pop-cache" : "hg-cache";
      return Future.succeededFuture(new ReadPlan(cached.get(), cache, () -> { }));
    }
    Future<String> lock = !exclusive || clientToken != null
        ? Future.succeededFuture(clientToken == null ? null : clientToken.trim())
        : LockRoutes.acquire(gateway, new LockRequest(id, LockType.READ, limits.lockDefaultTtlMs(),
            lockWaitMs, gateway.hgId())).map(LockGrant::token);
    return lock.compose(token -> {
      Runnable release = exclusive && clientToken == null && token != null ? keptUntilReleased(gateway, id, token)
          : () -> { };
      Map<String, String> headers = exclusive && token != null ? Map.of(Addresses.HEADER_LOCK, token) : Map.of();
      JsonObject query = new JsonObject().put("id", id.render()).put("version", version);
      if ("monotonic".equals(consistency)) {
        query.put("monotonic", true).put("minVersion", minVersion);
      }
      return gateway.<VersionMeta>owner(id, Addresses.OWNER_META, query, headers, 30_000)
          .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
          .compose(m -> {
            VersionMeta meta = m.body();
            // Only monotonic reads honour Mistore-Min-Version (API.md): the other modes name their version.
            if ("monotonic".equals(consistency) && meta.ref().version() < minVersion) {
              // Names the newest version found (Mistore-Version), as every answer about an object does.
              return Future.failedFuture(HttpProblem.unavailable("no reachable copy has version " + minVersion
                  + " or later (newest is " + meta.ref().version() + ")").withCurrentVersion(meta.ref().version()));
            }
            gateway.cache().putVersion(meta);
            String source = m.headers().get(Addresses.HEADER_SOURCE);
            return Future.succeededFuture(new ReadPlan(meta, source == null ? "primary" : source, release));
          })
          .onFailure(e -> release.run());
    });
  }

  /**
   * Renews a read lock the gateway took for one read every third of its lease until the returned
   * release runs (once; later runs do nothing): a download longer than the lease keeps writers out
   * to its end, as rw-exclusive promises.
   */
  private Runnable keptUntilReleased(Gateway gateway, ObjectId id, String token) {
    long ttl = limits.lockDefaultTtlMs();
    long keepAlive = LockRoutes.keepAlive(gateway, id, token, ttl);
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        gateway.vertx().cancelTimer(keepAlive);
        LockRoutes.releaseTaken(gateway, token, ttl);
      }
    };
  }

  /** Block {@code index} of a version: from the HG cache, else from the acting primary, checked, then cached. */
  Future<Buffer> block(Gateway gateway, VersionMeta meta, int index) {
    return block(gateway, meta, index, source -> { });
  }

  /** As {@link #block(Gateway, VersionMeta, int)}; {@code source} hears where the owner found the block, if it says. */
  Future<Buffer> block(Gateway gateway, VersionMeta meta, int index, java.util.function.Consumer<String> source) {
    BlockRef ref = meta.block(index);
    Optional<Buffer> cached = gateway.cache().block(ref);
    if (cached.isPresent()) {
      return Future.succeededFuture(cached.get());
    }
    return gateway.<Buffer>owner(meta.ref().id(), Addresses.OWNER_READ_BLOCK, ref)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
        .compose(m -> {
          String from = m.headers().get(Addresses.HEADER_SOURCE);
          if (from != null) {
            source.accept(from);
          }
          Buffer b = m.body();
          // Checked on its way out of a store of this very process and handed over as it is: not again.
          boolean checkedHere = Checksums.PROCESS.equals(m.headers().get(Addresses.HEADER_CHECKED_IN))
              && b != null && b.length() == ref.length();
          return (checkedHere ? Future.succeededFuture(true) : verified(gateway.vertx(), meta, index, b))
              .compose(good -> {
                if (!good) {
                  return Future.failedFuture(new HttpProblem(500, "Internal Server Error",
                      "block " + index + " of " + meta.ref().id() + " failed its checksum"));
                }
                gateway.cache().putBlock(ref, b);
                return Future.succeededFuture(b);
              });
        });
  }

  /**
   * Whether {@code data} is block {@code index} of {@code meta}: checked against the CRC32C taken as
   * the client's bytes came in, when the version has one (a SHA-256 cost a large download nearly half
   * its CPU), else against its SHA-256. A block that fails the CRC32C is given its SHA-256 check too,
   * so that a version with a wrong CRC32C (a faulty writer's) is read slower, never refused. Large
   * blocks are checked off the event loop, so those a download fetches ahead are checked side by side.
   */
  static Future<Boolean> verified(io.vertx.core.Vertx vertx, VersionMeta meta, int index, Buffer data) {
    BlockRef ref = meta.block(index);
    Integer crc = meta.blockCrc32c(index);
    Future<Boolean> quick = crc == null ? Future.succeededFuture(false)
        : Checksums.matchesCrc32c(vertx, data, ref.length(), crc);
    return quick.compose(good -> good ? quick : Checksums.matches(vertx, data, ref.length(), ref.sha256()));
  }

  /** Every block of a version in one buffer (small objects only: WebSocket replies). */
  Future<Buffer> readAll(Gateway gateway, VersionMeta meta) {
    List<Future<Buffer>> blocks = new java.util.ArrayList<>();
    for (int i = 0; i < meta.blockCount(); i++) {
      blocks.add(block(gateway, meta, i));
    }
    return Future.all(blocks).map(all -> {
      Buffer out = Buffer.buffer((int) meta.size());
      for (int i = 0; i < blocks.size(); i++) {
        out.appendBuffer(all.resultAt(i));
      }
      return out;
    });
  }

  Future<JsonArray> versions(Gateway gateway, ObjectId id) {
    return gateway.<JsonArray>owner(id, Addresses.OWNER_VERSIONS, new JsonObject().put("id", id.render()))
        .map(Message::body)
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)));
  }
}
