package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.LongSupplier;
import org.mapdb.DB;
import org.mapdb.Serializer;
import org.mistore.codecs.Codecs;
import org.mistore.codecs.OwedReply;

/**
 * Results of writes owed to gateways, kept durably in a role's store: at a POP those its HGs were
 * down for (until they return), at an HG those its POP delivered (for its clients' retries). At most
 * {@code perHg} per gateway, the oldest ({@link OwedReply#keptAt()}) dropped first, and none older
 * than {@code ttlMs}: an expired result is never returned and is removed by {@link #expire()}.
 *
 * <p>Keyed {@code <hg>|<lookup key>}, sorted, so one gateway's results are a key range and the same
 * result kept twice is kept once. Counts live in memory (rebuilt at open), so asking them is free.
 */
public final class KeptReplies {
  private static final String MAP = "owed-replies";
  private final RoleStore store;
  private final ConcurrentNavigableMap<String, byte[]> kept;
  /** Results per gateway; changed only on the store's writer thread, read from anywhere. */
  private final ConcurrentMap<String, Integer> counts = new ConcurrentHashMap<>();
  private final int perHg;
  private final long ttlMs;
  private final LongSupplier clock;

  private KeptReplies(RoleStore store, DB db, int perHg, long ttlMs, LongSupplier clock) {
    this.store = store;
    this.kept = store.treeMap(MAP, Serializer.STRING, Serializer.BYTE_ARRAY);
    this.perHg = perHg;
    this.ttlMs = ttlMs;
    this.clock = clock;
    for (String key : kept.keySet()) {
      counts.merge(hgOf(key), 1, Integer::sum);
    }
  }

  /** Declares the map (on the store's writer thread); {@code clock} gives epoch millis. */
  public static Future<KeptReplies> open(RoleStore store, int perHg, long ttlMs, LongSupplier clock) {
    return store.write(db -> new KeptReplies(store, db, perHg, ttlMs, clock));
  }

  private static String key(OwedReply r) {
    return r.hg() + "|" + r.lookupKey();
  }

  private static String hgOf(String key) {
    return key.substring(0, key.indexOf('|'));
  }

  private static byte[] encode(OwedReply r) {
    return Codecs.OWED_REPLY.encode(r).getBytes();
  }

  private static OwedReply decode(byte[] raw) {
    return Codecs.OWED_REPLY.decode(Buffer.buffer(raw));
  }

  private boolean expired(OwedReply r, long now) {
    return r.keptAt() < now - ttlMs;
  }

  /**
   * Keeps results durably (a result already kept is replaced); then drops the oldest of each
   * gateway beyond {@code perHg}. The result is how many were dropped.
   */
  public Future<Integer> keep(Collection<OwedReply> replies) {
    if (replies.isEmpty()) {
      return Future.succeededFuture(0);
    }
    List<Map.Entry<String, byte[]>> encoded = replies.stream().map(r -> Map.entry(key(r), encode(r))).toList();
    return store.write(db -> {
      Set<String> hgs = new HashSet<>();
      for (Map.Entry<String, byte[]> e : encoded) {
        if (kept.put(e.getKey(), e.getValue()) == null) {
          counts.merge(hgOf(e.getKey()), 1, Integer::sum);
        }
        hgs.add(hgOf(e.getKey()));
      }
      int dropped = 0;
      for (String hg : hgs) {
        dropped += trim(hg);
      }
      return dropped;
    });
  }

  /** On the writer thread: drops the oldest results of {@code hg} beyond the bound. */
  private int trim(String hg) {
    int over = count(hg) - perHg;
    if (over <= 0) {
      return 0;
    }
    List<Map.Entry<String, OwedReply>> all = new ArrayList<>();
    range(hg).forEach((k, v) -> all.add(Map.entry(k, decode(v))));
    all.sort(Comparator.comparingLong((Map.Entry<String, OwedReply> e) -> e.getValue().keptAt())
        .thenComparing(Map.Entry::getKey));
    for (int i = 0; i < over; i++) {
      remove(all.get(i).getKey());
    }
    return over;
  }

  private ConcurrentNavigableMap<String, byte[]> range(String hg) {
    return kept.subMap(hg + "|", hg + "|\uffff");
  }

  /** On the writer thread. */
  private boolean remove(String key) {
    if (kept.remove(key) == null) {
      return false;
    }
    counts.computeIfPresent(hgOf(key), (k, n) -> n > 1 ? n - 1 : null);
    return true;
  }

  /** The live result of {@code hg} under {@code lookupKey} (see {@link OwedReply#lookupKey}). */
  public Future<Optional<OwedReply>> find(String hg, String lookupKey) {
    if (count(hg) == 0) {
      return Future.succeededFuture(Optional.empty());
    }
    long now = clock.getAsLong();
    return store.read(db -> Optional.ofNullable(kept.get(hg + "|" + lookupKey)).map(KeptReplies::decode)
        .filter(r -> !expired(r, now)));
  }

  /** Up to {@code max} live results of {@code hg}, in key order. */
  public Future<List<OwedReply>> page(String hg, int max) {
    if (count(hg) == 0) {
      return Future.succeededFuture(List.of());
    }
    long now = clock.getAsLong();
    return store.read(db -> {
      List<OwedReply> out = new ArrayList<>();
      for (byte[] raw : range(hg).values()) {
        OwedReply r = decode(raw);
        if (!expired(r, now)) {
          out.add(r);
          if (out.size() == max) {
            break;
          }
        }
      }
      return out;
    });
  }

  /** Forgets results (their gateway took them); the result is how many were still kept. */
  public Future<Integer> forget(Collection<OwedReply> replies) {
    List<String> keys = replies.stream().map(KeptReplies::key).toList();
    return store.write(db -> (int) keys.stream().filter(this::remove).count());
  }

  /** Removes every result older than the time to live; the result is how many. */
  public Future<Integer> expire() {
    if (total() == 0) {
      return Future.succeededFuture(0);
    }
    long now = clock.getAsLong();
    // Found on a reader thread; the writer only removes (and checks again: a result may have been kept anew).
    return store.read(db -> {
      List<String> old = new ArrayList<>();
      kept.forEach((k, v) -> {
        if (expired(decode(v), now)) {
          old.add(k);
        }
      });
      return old;
    }).compose(old -> old.isEmpty() ? Future.succeededFuture(0) : store.write(db -> (int) old.stream()
        .filter(k -> {
          byte[] raw = kept.get(k);
          return raw != null && expired(decode(raw), now) && remove(k);
        }).count()));
  }

  /** Results kept for {@code hg}. */
  public int count(String hg) {
    return counts.getOrDefault(hg, 0);
  }

  /** Results kept, all gateways together. */
  public int total() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The gateways with results kept. */
  public Set<String> hgs() {
    return Set.copyOf(counts.keySet());
  }
}
