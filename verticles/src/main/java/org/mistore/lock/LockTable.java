package org.mistore.lock;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.mistore.codecs.LockGrant;
import org.mistore.codecs.LockRequest;
import org.mistore.codecs.LockType;
import org.mistore.codecs.NodeIds;
import org.mistore.codecs.ObjectId;

/**
 * The read/write locks of the objects one POP is primary (or acting primary) of, and the mirrored
 * locks of those it is backup of. Readers share, a writer excludes; waiters queue FIFO per object, so
 * a waiting writer is not overtaken by later readers. Every grant is a lease the holder renews.
 *
 * <p>Not thread-safe: used only on its POP verticle's event loop. Nothing blocks: waits are timers.
 * Mirrored leases have no clock until {@link #takeOver} starts them with a full TTL.
 */
public final class LockTable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final class Lease {
    final LockGrant grant;
    final long ttlMs;
    /** Whether the backup knows this lease (a client's); a POP's own short lease for one commit is not. */
    final boolean mirrored;
    long expiresAt;
    long timer = -1;
    boolean granted;

    Lease(LockGrant grant, long ttlMs, boolean mirrored) {
      this.grant = grant;
      this.ttlMs = ttlMs;
      this.mirrored = mirrored;
    }
  }

  /** {@code key}: the name its gateway gave the wait, to withdraw it by (null: none). */
  private record Waiter(LockRequest request, Promise<LockGrant> promise, long enqueuedAt, long[] timer,
      boolean mirrored, String key) {
  }

  /** Queued waiters by their key (see {@link #withdraw}). */
  private final Map<String, Waiter> keyed = new java.util.HashMap<>();
  /** Keys withdrawn before their request was queued here (the two messages crossed), the oldest dropped past 10,000. */
  private final Map<String, Boolean> withdrawnEarly = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > 10_000;
    }
  };

  private static final class ObjectLocks {
    final ObjectId id;
    Lease writer;
    final Map<String, Lease> readers = new LinkedHashMap<>();
    final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    boolean clocksRunning = true;

    ObjectLocks(ObjectId id) {
      this.id = id;
    }

    boolean idle() {
      return writer == null && readers.isEmpty() && queue.isEmpty();
    }
  }

  private final Vertx vertx;
  private final FenceStore fences;
  private final LockMirror mirror;
  private final Function<ObjectId, Future<Long>> headVersion;
  private final Map<ObjectId, ObjectLocks> objects = new HashMap<>();
  private final Map<String, Lease> byToken = new HashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  /** Requests queued for a lock now, over all objects. */
  private final AtomicInteger waiting = new AtomicInteger();
  private final Counter grants;
  private final Counter refusals;
  private final Counter expiries;
  private final Timer waits;

  public LockTable(Vertx vertx, FenceStore fences, LockMirror mirror, Function<ObjectId, Future<Long>> headVersion,
      MeterRegistry registry, String popId) {
    this.vertx = vertx;
    this.fences = fences;
    this.mirror = mirror;
    this.headVersion = headVersion;
    registry.gauge("mistore.locks.held", List.of(io.micrometer.core.instrument.Tag.of("pop", popId)), held);
    registry.gauge("mistore.locks.waiting", List.of(io.micrometer.core.instrument.Tag.of("pop", popId)), waiting);
    grants = registry.counter("mistore.locks.grants", "pop", popId);
    refusals = registry.counter("mistore.locks.refusals", "pop", popId);
    expiries = registry.counter("mistore.locks.expiries", "pop", popId);
    waits = Timer.builder("mistore.locks.wait").tag("pop", popId).register(registry);
  }

  /** Unguessable token naming its object: {@code <object id>~<128 random bits, base64url>}. */
  static String newToken(ObjectId id) {
    byte[] bits = new byte[16];
    RANDOM.nextBytes(bits);
    return id.render() + "~" + Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
  }

  /** The object a token is for, if the token is well-formed. */
  public static Optional<ObjectId> objectOf(String token) {
    int tilde = token == null ? -1 : token.lastIndexOf('~');
    // The random part: 22 characters of URL-safe base64, the characters of a node id.
    if (tilde <= 0 || token.length() - tilde - 1 != 22 || !NodeIds.isValid(token.substring(tilde + 1))) {
      return Optional.empty();
    }
    try {
      return Optional.of(ObjectId.parse(token.substring(0, tilde)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Grants at once, queues for up to {@code waitMs}, or refuses with {@link LockRefused}. */
  public Future<LockGrant> acquire(LockRequest request) {
    return acquire(request, true);
  }

  /**
   * As {@link #acquire(LockRequest)}; with {@code mirrored} false the lease is this POP's own (held
   * for one commit it runs itself) and the backup is not told: if this POP dies, the commit dies
   * with it and nobody needs the lease.
   */
  public Future<LockGrant> acquire(LockRequest request, boolean mirrored) {
    return acquire(request, mirrored, null);
  }

  /**
   * As {@link #acquire(LockRequest, boolean)}, the wait named {@code waitKey} (may be null) so that
   * {@link #withdraw} can take it out of the queue when its client leaves.
   */
  public Future<LockGrant> acquire(LockRequest request, boolean mirrored, String waitKey) {
    if (waitKey != null && withdrawnEarly.remove(waitKey) != null) {
      return Future.failedFuture(new LockRefused("the client of this lock request left", 1));
    }
    ObjectLocks o = objects.computeIfAbsent(request.id(), ObjectLocks::new);
    if (o.queue.isEmpty() && compatible(o, request.type())) {
      return grant(o, request, 0, mirrored);
    }
    if (request.waitMs() == 0) {
      refusals.increment();
      return Future.failedFuture(new LockRefused(request.type().wireName() + " lock on " + request.id()
          + " is not available", retryAfter(o)));
    }
    Waiter w = new Waiter(request, Promise.promise(), System.nanoTime(), new long[1], mirrored, waitKey);
    w.timer()[0] = vertx.setTimer(request.waitMs(), t -> {
      if (o.queue.remove(w)) {
        unkey(w);
        waiting.decrementAndGet();
        refusals.increment();
        w.promise().fail(new LockRefused(request.type().wireName() + " lock on " + request.id()
            + " not granted within " + request.waitMs() + " ms", retryAfter(o)));
        pump(o);
      }
    });
    o.queue.add(w);
    if (waitKey != null) {
      keyed.put(waitKey, w);
    }
    waiting.incrementAndGet();
    return w.promise().future();
  }

  private void unkey(Waiter w) {
    if (w.key() != null) {
      keyed.remove(w.key(), w);
    }
  }

  /**
   * Takes the wait named {@code waitKey} out of its queue (its client left): it is refused, and the
   * requests behind it move up at once instead of when its wait would have ended. Says whether it
   * was waiting; a key not seen yet is remembered, and its request refused when it comes.
   */
  public boolean withdraw(String waitKey) {
    Waiter w = keyed.remove(waitKey);
    if (w == null) {
      withdrawnEarly.put(waitKey, Boolean.TRUE);
      return false;
    }
    ObjectLocks o = objects.get(w.request().id());
    if (o == null || !o.queue.remove(w)) {
      return false;
    }
    waiting.decrementAndGet();
    vertx.cancelTimer(w.timer()[0]);
    refusals.increment();
    w.promise().tryFail(new LockRefused("the client of this lock request left", 1));
    pump(o);
    return true;
  }

  private static boolean compatible(ObjectLocks o, LockType type) {
    return o.writer == null && (type == LockType.READ || o.readers.isEmpty());
  }

  private long retryAfter(ObjectLocks o) {
    long soonest = Long.MAX_VALUE;
    if (o.writer != null) {
      soonest = o.writer.expiresAt;
    }
    for (Lease l : o.readers.values()) {
      soonest = Math.min(soonest, l.expiresAt);
    }
    long ms = soonest == Long.MAX_VALUE ? 1000 : soonest - System.currentTimeMillis();
    return Math.max(1, (ms + 999) / 1000);
  }

  /** Reserves the lock now (so nothing else is granted meanwhile), then fences, mirrors and completes. */
  private Future<LockGrant> grant(ObjectLocks o, LockRequest request, long waitedNanos, boolean mirrored) {
    String token = newToken(request.id());
    LockGrant reserved = new LockGrant(token, request.type(), request.id(), 0, 0, 0);
    Lease lease = new Lease(reserved, request.ttlMs(), mirrored);
    lease.expiresAt = Long.MAX_VALUE;
    if (request.type() == LockType.WRITE) {
      o.writer = lease;
    } else {
      o.readers.put(token, lease);
    }
    byToken.put(token, lease);
    Future<Long> fence = request.type() == LockType.WRITE ? fences.nextFence(request.id())
        : fences.currentFence(request.id());
    return fence.compose(f -> headVersion.apply(request.id()).map(v -> new LockGrant(token, request.type(),
            request.id(), f, v, System.currentTimeMillis() + request.ttlMs())))
        .compose(g -> mirrored ? mirror.granted(g, request.ttlMs()).map(g) : Future.succeededFuture(g))
        .map(g -> {
          Lease live = new Lease(g, request.ttlMs(), mirrored);
          live.granted = true;
          live.expiresAt = g.expiresAt();
          replace(o, lease, live);
          arm(live);
          grants.increment();
          held.incrementAndGet();
          waits.record(Duration.ofNanos(waitedNanos));
          return g;
        })
        .onFailure(e -> {
          remove(o, lease);
          pump(o);
        });
  }

  private void replace(ObjectLocks o, Lease old, Lease neu) {
    if (o.writer == old) {
      o.writer = neu;
    } else {
      o.readers.put(neu.grant.token(), neu);
    }
    byToken.put(neu.grant.token(), neu);
  }

  private void remove(ObjectLocks o, Lease lease) {
    if (o.writer == lease) {
      o.writer = null;
    }
    o.readers.remove(lease.grant.token(), lease);
    byToken.remove(lease.grant.token(), lease);
    if (lease.timer >= 0) {
      vertx.cancelTimer(lease.timer);
    }
    if (lease.granted) {
      held.decrementAndGet();
    }
    if (o.idle()) {
      objects.remove(o.id, o);
    }
  }

  private void arm(Lease lease) {
    ObjectLocks o = objects.get(lease.grant.id());
    if (o == null || !o.clocksRunning) {
      return;
    }
    if (lease.timer >= 0) {
      vertx.cancelTimer(lease.timer);
    }
    long delay = Math.max(1, lease.expiresAt - System.currentTimeMillis());
    lease.timer = vertx.setTimer(delay, t -> {
      lease.timer = -1;
      if (byToken.get(lease.grant.token()) != lease) {
        return;
      }
      if (System.currentTimeMillis() >= lease.expiresAt) {
        expiries.increment();
        ObjectLocks owner = objects.get(lease.grant.id());
        remove(owner, lease);
        if (lease.mirrored) {
          mirror.released(lease.grant);
        }
        pump(owner);
      } else {
        arm(lease);
      }
    });
  }

  private void pump(ObjectLocks o) {
    while (!o.queue.isEmpty() && compatible(o, o.queue.peek().request().type())) {
      Waiter w = o.queue.poll();
      unkey(w);
      waiting.decrementAndGet();
      vertx.cancelTimer(w.timer()[0]);
      grant(o, w.request(), System.nanoTime() - w.enqueuedAt(), w.mirrored()).onComplete(w.promise());
    }
    if (o.idle()) {
      objects.remove(o.id, o);
    }
  }

  /** Extends a live lease by its TTL; empty when the token is unknown, released or expired. */
  public Optional<LockGrant> renew(String token) {
    Lease lease = byToken.get(token);
    if (lease == null || !lease.granted || System.currentTimeMillis() >= lease.expiresAt) {
      return Optional.empty();
    }
    lease.expiresAt = System.currentTimeMillis() + lease.ttlMs;
    arm(lease);
    LockGrant g = lease.grant;
    return Optional.of(new LockGrant(g.token(), g.type(), g.id(), g.fence(), g.version(), lease.expiresAt));
  }

  /** Frees a lease; unknown tokens are ignored (release is idempotent). */
  public void release(String token) {
    Lease lease = byToken.get(token);
    if (lease == null || !lease.granted) {
      return;
    }
    ObjectLocks o = objects.get(lease.grant.id());
    remove(o, lease);
    if (lease.mirrored) {
      mirror.released(lease.grant);
    }
    pump(o);
  }

  /** The live grant of a token, if any. */
  public Optional<LockGrant> live(String token) {
    Lease lease = byToken.get(token);
    if (lease == null || !lease.granted || System.currentTimeMillis() >= lease.expiresAt) {
      return Optional.empty();
    }
    return Optional.of(lease.grant);
  }

  /** Whether some read lock is granted on {@code id} (writes must not complete meanwhile). */
  public boolean readLocked(ObjectId id) {
    ObjectLocks o = objects.get(id);
    return o != null && o.readers.values().stream().anyMatch(l -> l.granted);
  }

  // Backup side.

  /** Records a grant mirrored from the primary; its clock starts only at {@link #takeOver}. */
  public void mirrorGrant(LockGrant grant, long ttlMs) {
    ObjectLocks o = objects.computeIfAbsent(grant.id(), ObjectLocks::new);
    o.clocksRunning = false;
    if (byToken.containsKey(grant.token())) {
      return; // mirrored again (a catch-up after the grant was mirrored): one lease per token
    }
    Lease lease = new Lease(grant, ttlMs, true);
    lease.granted = true;
    lease.expiresAt = Long.MAX_VALUE;
    if (grant.type() == LockType.WRITE) {
      o.writer = lease;
    } else {
      o.readers.put(grant.token(), lease);
    }
    byToken.put(grant.token(), lease);
    held.incrementAndGet();
  }

  /** A release mirrored from the acting primary; ignored for leases whose clocks run here (this POP acts). */
  public void mirrorRelease(String token) {
    Lease lease = byToken.get(token);
    ObjectLocks o = lease == null ? null : objects.get(lease.grant.id());
    if (o != null && !o.clocksRunning) {
      remove(o, lease);
    }
  }

  /** Whether this POP holds its own (unmirrored) write lease on {@code id}: a commit it numbered is under way. */
  public boolean ownLeaseLive(ObjectId id) {
    ObjectLocks o = objects.get(id);
    return o != null && o.writer != null && !o.writer.mirrored;
  }

  /** A granted lease and its TTL, as handed to a returning primary. */
  public record Held(LockGrant grant, long ttlMs) {
  }

  /** The granted client leases of {@code id} (live here, or mirrored); a POP's own commit leases are not listed. */
  public List<Held> held(ObjectId id) {
    ObjectLocks o = objects.get(id);
    if (o == null) {
      return List.of();
    }
    List<Held> out = new ArrayList<>();
    if (o.writer != null && o.writer.granted && o.writer.mirrored) {
      out.add(new Held(o.writer.grant, o.writer.ttlMs));
    }
    o.readers.values().stream().filter(l -> l.granted && l.mirrored).forEach(l -> out.add(new Held(l.grant, l.ttlMs)));
    return out;
  }

  /**
   * The object's primary is back and takes its locks over: the leases here stop their clocks and
   * become mirrored ones again (the primary mirrors their release), and waiters are refused so that
   * they ask the primary.
   */
  public void handBack(ObjectId id) {
    ObjectLocks o = objects.get(id);
    if (o == null) {
      return;
    }
    o.clocksRunning = false;
    List<Lease> leases = new ArrayList<>(o.readers.values());
    if (o.writer != null) {
      leases.add(o.writer);
    }
    for (Lease l : leases) {
      if (l.timer >= 0) {
        vertx.cancelTimer(l.timer);
        l.timer = -1;
      }
      l.expiresAt = Long.MAX_VALUE;
    }
    List<Waiter> waiters = new ArrayList<>(o.queue);
    o.queue.clear();
    for (Waiter w : waiters) {
      unkey(w);
      waiting.decrementAndGet();
      vertx.cancelTimer(w.timer()[0]);
      refusals.increment();
      w.promise().tryFail(new LockRefused("the primary POP of " + id + " is back and now grants its locks", 1));
    }
    if (o.idle()) {
      objects.remove(id, o);
    }
  }

  /** This POP now acts as primary of {@code id}: every mirrored lease gets a full TTL from now. */
  public void takeOver(ObjectId id) {
    ObjectLocks o = objects.get(id);
    if (o == null || o.clocksRunning) {
      return;
    }
    o.clocksRunning = true;
    long now = System.currentTimeMillis();
    List<Lease> leases = new ArrayList<>(o.readers.values());
    if (o.writer != null) {
      leases.add(o.writer);
    }
    for (Lease l : leases) {
      l.expiresAt = now + l.ttlMs;
      arm(l);
    }
  }
}
