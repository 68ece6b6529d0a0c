package org.mistore.directory;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;

/**
 * Which nodes exist, where they sit and whether they are up, as seen from this node. Fed by the
 * heartbeats POPs and the DC publish (their own, and their HGs' relayed), by the local roles, and by
 * cluster membership: a node whose cluster member leaves is down at once, a node silent for longer
 * than the failure-detection time is down at the next sweep.
 *
 * <p>Entries are immutable and kept in a concurrent map, so any verticle may read the directory;
 * only the directory's own context changes it.
 *
 * <p>A cluster member whose roles this directory does not hear, while the member stays in the
 * cluster, points at this node's subscription to the heartbeats: the event bus's view of who listens
 * on an address can go stale or lose an entry while members come and go, and then the heartbeats
 * published by the others never reach this node. After the failure-detection time of such silence
 * the directory subscribes again (which makes every member read the listeners of the address
 * afresh), with a growing pause between tries, and tells it in the log.
 */
public final class NodeDirectory {
  private static final System.Logger LOG = System.getLogger(NodeDirectory.class.getName());
  /** The longest pause between two fresh subscriptions while a member stays silent. */
  private static final long MAX_RENEW_PAUSE_MS = 60_000;

  private static final Comparator<DirectoryEntry> ORDER = Comparator
      .comparing((DirectoryEntry e) -> roleOrder(e.report().role()))
      .thenComparing(e -> e.report().region())
      .thenComparing(e -> e.report().nodeId());

  private final Vertx vertx;
  private final long detectionMillis;
  /** The other members of the cluster now, by member id, with their address (none without a cluster). */
  private final Supplier<Map<String, String>> peers;
  /** Since when (ms) each other member has had no role this directory holds up. */
  private final ConcurrentMap<String, Long> silentSince = new ConcurrentHashMap<>();
  /** When the heartbeat subscription was last renewed (ms), and the pause before the next renewal. */
  private long lastRenewal;
  private long renewPause;
  private final ConcurrentMap<String, DirectoryEntry> entries = new ConcurrentHashMap<>();
  /** Counts changes to {@link #entries}; bumped after each. */
  private final AtomicLong changes = new AtomicLong();
  /** The entries in order as of a count of changes: placement asks for them per block. */
  private volatile Ordered ordered;

  private record Ordered(long changes, List<DirectoryEntry> entries) {
  }
  private final List<Consumer<DirectoryEntry>> downListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Consumer<DirectoryEntry>> upListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Context context;
  /** When {@link #start} began listening (ms, this process's clock); -1 before. */
  private volatile long listeningSince = -1;
  private MessageConsumer<NodeReport> consumer;
  private long sweeper = -1;

  public NodeDirectory(Vertx vertx, long detectionMillis) {
    this(vertx, detectionMillis, Map::of);
  }

  /** {@code peers} lists the other cluster members (id to address); it is called on an event loop. */
  public NodeDirectory(Vertx vertx, long detectionMillis, Supplier<Map<String, String>> peers) {
    this.vertx = vertx;
    this.detectionMillis = detectionMillis;
    this.peers = peers;
    this.renewPause = detectionMillis;
  }

  /** How long a node may stay silent before it is marked down. */
  public long detectionMillis() {
    return detectionMillis;
  }

  /** Starts listening to heartbeats and sweeping for silent nodes. */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    listeningSince = now();
    lastRenewal = listeningSince;
    Future<Void> registered = Future.<Void>future(p -> context.runOnContext(v -> {
      consumer = subscribe();
      consumer.completion().onComplete(p);
    }));
    return registered.onSuccess(v -> context.runOnContext(x ->
        sweeper = vertx.setPeriodic(Math.max(50, detectionMillis / 10), id -> sweep())));
  }

  public Future<Void> stop() {
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
    }
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private MessageConsumer<NodeReport> subscribe() {
    return vertx.eventBus().consumer(Addresses.DIRECTORY_HEARTBEAT, m -> heard(m.body()));
  }

  /** Records a report heard now (also used by the local roles for themselves). */
  public void heard(NodeReport report) {
    DirectoryEntry entry = new DirectoryEntry(report, now(), NodeStatus.UP);
    DirectoryEntry[] before = new DirectoryEntry[1];
    DirectoryEntry now = entries.merge(entry.key(), entry, (old, neu) -> {
      before[0] = old;
      return old.report().sentAt() > neu.report().sentAt() && old.report().startedAt() == neu.report().startedAt()
          ? old : neu;
    });
    changes.incrementAndGet();
    DirectoryEntry old = before[0];
    if (now == entry && (old == null || old.status() == NodeStatus.DOWN
        || old.report().startedAt() != report.startedAt())) {
      upListeners.forEach(l -> l.accept(entry));
    }
  }

  /**
   * Called each time a node is heard for the first time, comes back after being down, or restarted
   * (a new start time). Listeners must be cheap and thread-safe: roles report themselves from their
   * own event loops.
   */
  public void onUp(Consumer<DirectoryEntry> listener) {
    upListeners.add(listener);
  }

  /** A cluster member left: every role it hosted is down now. Safe from any thread. */
  public void memberLeft(String memberId) {
    Runnable mark = () -> {
      markDown(e -> e.report().memberId().equals(memberId));
      changes.incrementAndGet();
    };
    if (context == null) {
      mark.run();
    } else {
      context.runOnContext(v -> mark.run());
    }
  }

  /** Called (on the directory's context) each time a node goes from up to down. */
  public void onDown(Consumer<DirectoryEntry> listener) {
    downListeners.add(listener);
  }

  /**
   * Marks down the nodes up that {@code which} picks, then tells the listeners: after the directory
   * says so, as a listener (or what it hands on to another thread) may ask the directory at once.
   */
  private void markDown(java.util.function.Predicate<DirectoryEntry> which) {
    // Keyed: replaceAll calls the function again for a key whose entry a heartbeat on another event
    // loop replaced meanwhile, and a node that went down once is told once.
    Map<String, DirectoryEntry> gone = new java.util.LinkedHashMap<>();
    entries.replaceAll((k, e) -> {
      if (e.status() != NodeStatus.UP || !which.test(e)) {
        gone.remove(k);
        return e;
      }
      DirectoryEntry down = e.down();
      gone.put(k, down);
      return down;
    });
    gone.values().forEach(e -> downListeners.forEach(l -> l.accept(e)));
  }

  void sweep() {
    long now = now();
    long cutoff = now - detectionMillis;
    markDown(e -> e.lastSeenMillis() < cutoff);
    changes.incrementAndGet();
    checkPeers(now);
  }

  /** Notes which members are silent and subscribes again when one has been silent too long. */
  private void checkPeers(long now) {
    Map<String, String> members = peers.get();
    Set<String> heard = entries.values().stream()
        .filter(e -> e.status() == NodeStatus.UP)
        .map(e -> e.report().memberId())
        .collect(Collectors.toSet());
    silentSince.keySet().removeIf(m -> !members.containsKey(m) || heard.contains(m));
    members.keySet().stream().filter(m -> !heard.contains(m)).forEach(m -> silentSince.putIfAbsent(m, now));
    if (silentSince.isEmpty()) {
      renewPause = detectionMillis;
      return;
    }
    List<String> tooLong = silentSince.entrySet().stream()
        .filter(e -> now - e.getValue() > detectionMillis && now - listeningSince > detectionMillis)
        .map(e -> describe(e.getKey(), members.get(e.getKey())))
        .sorted()
        .toList();
    if (tooLong.isEmpty() || now - lastRenewal < renewPause) {
      return;
    }
    lastRenewal = now;
    renewPause = Math.min(renewPause * 2, Math.max(MAX_RENEW_PAUSE_MS, detectionMillis));
    // A member never heard may only be starting (opening its stores): said at INFO. One heard before
    // and silent since, still in the cluster, is what a node not hearing looks like.
    boolean known = tooLong.stream().anyMatch(d -> !d.startsWith("at "));
    LOG.log(known ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "this node hears no heartbeat from "
        + "cluster member(s) " + String.join(", ", tooLong) + " for more than " + detectionMillis + " ms although "
        + "they are still in the cluster" + (known ? "" : " (starting?)") + ": subscribing to heartbeats again (next "
        + "try in " + renewPause + " ms if they stay silent)");
    MessageConsumer<NodeReport> old = consumer;
    MessageConsumer<NodeReport> fresh = subscribe();
    consumer = fresh;
    fresh.completion().onComplete(r -> {
      if (old != null) {
        old.unregister();
      }
    });
  }

  /** A member as the log and /ready name it: the nodes it ran when last heard, and its address. */
  private String describe(String memberId, String address) {
    String nodes = entries.values().stream()
        .filter(e -> e.report().memberId().equals(memberId))
        .map(e -> e.report().nodeId())
        .distinct()
        .sorted()
        .collect(Collectors.joining("+"));
    return (nodes.isEmpty() ? "" : nodes + " ") + "at " + address;
  }

  /**
   * Why this node cannot be trusted to see the cluster, or empty: a node it knew is held down, silent
   * for four failure-detection times, while its cluster member stays in the cluster. A node that
   * stopped or was killed leaves the cluster within one failure-detection time, so such silence is
   * this node not hearing (see the class comment), and every call that needs that node gets 503 here.
   */
  public Optional<String> deafness() {
    long now = now();
    Map<String, String> members = peers.get();
    List<String> deafTo = silentSince.entrySet().stream()
        .filter(e -> now - e.getValue() > 4 * detectionMillis && members.containsKey(e.getKey()))
        .filter(e -> entries.values().stream().anyMatch(d -> d.report().memberId().equals(e.getKey())))
        .map(e -> describe(e.getKey(), members.get(e.getKey())))
        .sorted()
        .toList();
    return deafTo.isEmpty() ? Optional.empty() : Optional.of("this node has heard no heartbeat from "
        + String.join(", ", deafTo) + " for more than " + 4 * detectionMillis + " ms although still in the cluster: "
        + "it holds them down, and calls that need them get 503 here");
  }

  public List<DirectoryEntry> snapshot() {
    // Sorted again only after a change: a list sorted before a change is counted as older than it.
    long seen = changes.get();
    Ordered last = ordered;
    if (last == null || last.changes() != seen) {
      last = new Ordered(seen, entries.values().stream().sorted(ORDER).toList());
      ordered = last;
    }
    return last.entries();
  }

  /**
   * Whether a node this directory has never heard of is as good as down: it has listened for longer
   * than the failure-detection time, long enough to hear every live node at least once (a node
   * silent that long is marked down too). Before that, an unheard node may simply not have spoken yet.
   */
  public boolean unheardIsDown() {
    long since = listeningSince;
    return since >= 0 && now() - since > detectionMillis;
  }

  /** Whether this directory holds the node down now (a node it never heard of is not). */
  public boolean knownDown(Role role, String nodeId) {
    return find(role, nodeId).map(e -> e.status() == NodeStatus.DOWN).orElse(false);
  }

  public Optional<DirectoryEntry> find(Role role, String nodeId) {
    return Optional.ofNullable(entries.get(role.wireName() + "/" + nodeId));
  }

  /** Live nodes of one role, in directory order. */
  public List<NodeReport> up(Role role) {
    return snapshot().stream()
        .filter(e -> e.report().role() == role && e.status() == NodeStatus.UP)
        .map(DirectoryEntry::report)
        .toList();
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  private static int roleOrder(Role r) {
    return switch (r) {
      case DC -> 0;
      case POP -> 1;
      case HG -> 2;
    };
  }
}
