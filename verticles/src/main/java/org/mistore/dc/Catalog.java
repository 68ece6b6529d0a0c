package org.mistore.dc;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import org.mapdb.Serializer;
import org.mistore.codecs.ObjectId;
import org.mistore.store.RoleStore;

/**
 * The DC's durable metadata: for every object it heard a version of, its primary and backup POPs,
 * head version, size and when it last changed. Fed by the version events primaries publish; updates
 * are gathered and written in one commit every {@link #FLUSH_MS} ms, so the catalog never slows a write.
 * Used on the DC verticle's event loop; MapDB only on the store's worker.
 */
final class Catalog {
  static final long FLUSH_MS = 200;

  private final RoleStore store;
  private final ConcurrentMap<String, String> entries;
  private Map<String, JsonObject> pending = new HashMap<>();
  private boolean flushing;

  private Catalog(RoleStore store) {
    this.store = store;
    this.entries = store.hashMap("catalog", Serializer.STRING, Serializer.STRING);
  }

  static Future<Catalog> open(RoleStore store) {
    return store.write(db -> new Catalog(store));
  }

  /** The highest counter per creating HG among the catalog's ids with primary {@code primary} (pending included). */
  Future<Map<String, Long>> highestMintedBy(String primary) {
    java.util.List<String> waiting = new java.util.ArrayList<>(pending.keySet());
    return store.read(db -> {
      Map<String, Long> out = org.mistore.pop.PopObjectStore.highestOf(primary, entries.keySet());
      org.mistore.pop.PopObjectStore.highestOf(primary, waiting).forEach((hg, n) -> out.merge(hg, n, Math::max));
      return out;
    });
  }

  /** A committed version {@code {"id","version","size"}}; older news than what is known is ignored. */
  void heard(Vertx vertx, JsonObject event) {
    ObjectId id;
    try {
      id = ObjectId.parse(event.getString("id"));
    } catch (RuntimeException e) {
      return;
    }
    JsonObject entry = new JsonObject().put("id", id.render()).put("primary", id.primaryPop())
        .put("backup", id.backupPop()).put("head", event.getLong("version", 0L))
        .put("updatedAt", System.currentTimeMillis());
    if (event.containsKey("size")) {
      entry.put("size", event.getLong("size"));
    }
    pending.merge(id.render(), entry, (a, b) -> a.getLong("head") >= b.getLong("head") ? a : b);

    if (!flushing) {
      flushing = true;
      vertx.setTimer(FLUSH_MS, t -> flushOnTimer(vertx));
    }
  }

  private void flushOnTimer(Vertx vertx) {
    flush().onComplete(r -> {
      if (pending.isEmpty()) {
        flushing = false;
      } else {
        vertx.setTimer(FLUSH_MS, t -> flushOnTimer(vertx));
      }
    });
  }

  /**
   * Writes what is pending in one commit (also when the DC stops); an entry never goes back to an
   * older head, and keeps its size.
   */
  Future<Void> flush() {
    Map<String, JsonObject> batch = pending;
    pending = new HashMap<>();
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    return store.write(db -> {
      batch.forEach((key, entry) -> entries.merge(key, entry.encode(), (old, neu) -> {
        JsonObject known = new JsonObject(old);
        if (known.getLong("head") >= entry.getLong("head")) {
          return old;
        }
        return entry.containsKey("size") ? neu : entry.copy().put("size", known.getLong("size", 0L)).encode();
      }));
      return null;
    }).<Void>mapEmpty().onFailure(e -> batch.forEach((key, entry) ->
        // Not written: keep it for the next flush (newer news that came meanwhile wins).
        pending.merge(key, entry, (newer, old) -> newer.getLong("head") >= old.getLong("head") ? newer : old)));
  }

  /** What the DC knows of {@code id} (written or still pending). */
  Future<Optional<JsonObject>> where(ObjectId id) {
    JsonObject waiting = pending.get(id.render());
    if (waiting != null && waiting.containsKey("size")) {
      return Future.succeededFuture(Optional.of(waiting.copy()));
    }
    return store.read(db -> Optional.ofNullable(entries.get(id.render())).map(JsonObject::new)).map(stored -> {
      if (waiting == null) {
        return stored;
      }
      return Optional.of(waiting.copy().put("size", stored.map(s -> s.getLong("size", 0L)).orElse(0L)));
    });
  }

  Future<Integer> size() {
    return store.read(db -> entries.size());
  }
}
