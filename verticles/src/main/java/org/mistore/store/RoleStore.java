package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.mistore.codecs.Role;

/**
 * The stable storage of one role on one node: a MapDB file opened with transactions (write-ahead
 * log), so what a commit returned survives {@code kill -9}. Every MapDB call runs on a worker thread;
 * callers get Futures.
 *
 * <p>The file remembers which node and role created it: opening it as another node fails, so a
 * misconfigured {@code --data} cannot mix two nodes' data.
 */
public final class RoleStore {
  private final Vertx vertx;
  private final Path file;
  private final DB db;
  private final ConcurrentMap<String, String> meta;
  private final GroupCommit commits;

  private RoleStore(Vertx vertx, Path file, DB db) {
    this.vertx = vertx;
    this.file = file;
    this.db = db;
    this.meta = db.hashMap("meta", Serializer.STRING, Serializer.STRING).createOrOpen();
    this.commits = new GroupCommit(vertx, db, file.getFileName().toString());
  }

  /**
   * Runs {@code op} on the store's writer thread; the Future completes after the commit that made its
   * changes durable (shared with other writes queued meanwhile). {@code op} checks before it changes.
   */
  public <T> Future<T> write(java.util.function.Function<DB, T> op) {
    return commits.write(op);
  }

  /** How many MapDB commits (each two fsyncs) this store has made: fewer than writes under load. */
  public long commitCount() {
    return commits.commits();
  }

  /** Runs a read on a worker thread. */
  public <T> Future<T> read(java.util.function.Function<DB, T> op) {
    return vertx.executeBlocking(() -> op.apply(db), false);
  }

  /** The MapDB handle, for role stores declaring their maps at open (on a worker thread). */
  public DB db() {
    return db;
  }

  /**
   * Opens (or creates) the store of {@code role} on node {@code nodeId}. Fails with a
   * {@link StoreException} when the folder is not writable, the file is locked by another process or
   * belongs to another node.
   */
  public static Future<RoleStore> open(Vertx vertx, Path file, String nodeId, Role role) {
    return vertx.executeBlocking(() -> {
      Path dir = file.toAbsolutePath().getParent();
      try {
        Files.createDirectories(dir);
      } catch (Exception e) {
        throw new StoreException("cannot create data folder " + dir + ": " + e.getMessage());
      }
      if (!Files.isDirectory(dir) || !Files.isWritable(dir) || !Files.isReadable(dir)) {
        throw new StoreException("data folder " + dir + " is not a readable and writable folder");
      }
      DB db;
      try {
        db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
      } catch (Exception e) {
        throw new StoreException("cannot open store " + file + ": " + e.getMessage());
      }
      RoleStore store = new RoleStore(vertx, file, db);
      try {
        store.claim(nodeId, role);
      } catch (RuntimeException e) {
        db.close();
        throw e;
      }
      return store;
    }, false);
  }

  private void claim(String nodeId, Role role) {
    String owner = meta.get("node-id");
    String ownerRole = meta.get("role");
    if (owner == null) {
      meta.put("node-id", nodeId);
      meta.put("role", role.wireName());
      meta.put("created-at", Long.toString(System.currentTimeMillis()));
      db.commit();
    } else if (!owner.equals(nodeId) || !role.wireName().equals(ownerRole)) {
      throw new StoreException("store " + file + " belongs to " + ownerRole + " node '" + owner + "', not "
          + role.wireName() + " node '" + nodeId + "'");
    }
  }

  public Path file() {
    return file;
  }

  /** Bytes the store occupies on disk (main file and its write-ahead logs). */
  public Future<Long> sizeOnDisk() {
    return vertx.executeBlocking(() -> {
      long total = 0;
      Path dir = file.toAbsolutePath().getParent();
      String name = file.getFileName().toString();
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          if (p.getFileName().toString().startsWith(name)) {
            total += Files.size(p);
          }
        }
      }
      return total;
    }, false);
  }

  /** Closes the file; everything committed is already durable. */
  public Future<Void> close() {
    return commits.close().transform(x -> vertx.executeBlocking(() -> {
      if (!db.isClosed()) {
        db.close();
      }
      return null;
    }, false));
  }
}
