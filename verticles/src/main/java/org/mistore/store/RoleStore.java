package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.DataInput2;
import org.mapdb.DataOutput2;
import org.mapdb.HTreeMap;
import org.mapdb.MapModificationListener;
import org.mapdb.Serializer;
import org.mapdb.serializer.GroupSerializer;
import org.mistore.codecs.Role;

/**
 * The stable storage of one role on one node: a MapDB file opened with transactions, plus a redo
 * {@link Journal} beside it. A write is acknowledged once the journal record holding its changes is
 * on disk; MapDB commits at checkpoints (every {@link #CHECKPOINT_MS} ms of writes, or when the
 * journal passes {@link #CHECKPOINT_BYTES}), and a restart replays the journal over the last
 * checkpoint. So what a write returned survives {@code kill -9}. Every MapDB call runs on a worker
 * thread; callers get Futures. Maps must be declared through {@link #hashMap} and {@link #treeMap}
 * so their changes reach the journal.
 *
 * <p>The file remembers which node and role created it: opening it as another node fails, so a
 * misconfigured {@code --data} cannot mix two nodes' data.
 */
public final class RoleStore {
  private final Vertx vertx;
  private final Path file;
  private final DB db;
  private final Journal journal;
  /** Map changes made since the last journal record, in order (filled by the maps' listeners). */
  private final Queue<Journal.Change> changes = new ConcurrentLinkedQueue<>();
  /** Maps the journal holds changes of that have not been declared (so not replayed) yet. */
  private final Set<String> undeclared = ConcurrentHashMap.newKeySet();
  private final ConcurrentMap<String, String> meta;
  private final List<Sidecar> sidecars = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<java.util.function.Consumer<String>> onStopped = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final GroupCommit commits;
  private final long checkpointTimer;
  private long lastCheckpoint = System.nanoTime();
  private volatile long journalBytes;
  /** Value bytes captured since the last journal record (written by the writer thread's ops). */
  private volatile long pendingBytes;
  /**
   * Why the store stopped taking writes, null while it takes them. Set when a journal record, a
   * checkpoint, or a write to MapDB or a block file failed: MapDB's memory then holds changes of
   * writes that failed (or is damaged by the failure), which no later checkpoint may commit. A
   * restart recovers from what is on disk.
   */
  private volatile Throwable stopped;

  /** MapDB commits at least this often while writes come in (the journal holds the rest); see the checkpoint-ms setting. */
  public static final long CHECKPOINT_MS = 3000;
  /** ... and whenever the journal grows past this many bytes, which bounds replay and memory. */
  static final long CHECKPOINT_BYTES = 8L << 20;
  /** A batch writes its journal record early once its changes hold this many value bytes (bounds heap). */
  static final long RECORD_BYTES = 4L << 20;

  /** How often MapDB commits while writes come in ({@link #CHECKPOINT_MS}; tests may wait longer). */
  private final long checkpointMs;

  private RoleStore(Vertx vertx, Path file, DB db, Journal journal, long checkpointMs) throws IOException {
    this.checkpointMs = checkpointMs;
    this.vertx = vertx;
    this.file = file;
    this.db = db;
    this.journal = journal;
    undeclared.addAll(journal.mapsAtOpen());
    journal.damageAtOpen().ifPresent(why -> System.getLogger(RoleStore.class.getName()).log(System.Logger.Level.ERROR,
        why + "; this store misses those writes (a POP copies an object's missed versions from its other POP when"
            + " the object is next used)"));
    this.journalBytes = journal.size();
    this.meta = hashMap("meta", Serializer.STRING, Serializer.STRING);
    this.commits = new GroupCommit(vertx, db, file.getFileName().toString(), this::makeDurable,
        this::checkpointIfDue, () -> pendingBytes >= RECORD_BYTES);
    // Idle stores still fold their journal into MapDB, so a restart has little to replay.
    this.checkpointTimer = vertx.setPeriodic(checkpointMs, t -> {
      if (journalBytes > 0 && stopped == null) {
        commits.write(d -> null);
      }
    });
  }

  /**
   * Declares (creates or opens) a hash map of small values (up to a few hundred bytes) whose changes
   * are journaled, replaying what the journal holds for it. Call on the writer thread (inside
   * {@link #write}) or while opening.
   */
  public <K, V> HTreeMap<K, V> hashMap(String name, Serializer<K> keys, Serializer<V> values) {
    return hashMap(name, keys, values, true);
  }

  /**
   * As {@link #hashMap(String, Serializer, Serializer)}, for values that may be large (kilobytes and
   * more): each is its own MapDB record, so a put does not rewrite the other values that share its
   * leaf.
   */
  public <K, V> HTreeMap<K, V> hashMapOfLargeValues(String name, Serializer<K> keys, Serializer<V> values) {
    return hashMap(name, keys, values, false);
  }

  private <K, V> HTreeMap<K, V> hashMap(String name, Serializer<K> keys, Serializer<V> values, boolean inline) {
    Capture<K, V> capture = new Capture<>(name, keys, values);
    // 8 segments of 16-way index nodes over 4 levels (512 Ki leaves) instead of MapDB's 128-way
    // nodes: every lookup and put unpacks and repacks the nodes on its path, and small nodes made
    // puts 1.5 to 1.7 times cheaper here up to a million entries. Small values live in their leaf
    // instead of a record of their own: a put allocates, writes and later checkpoints one record
    // fewer (4 KiB creates on the dev cluster: about 10 % faster, with a shorter p99, in a store
    // past 100,000 versions). Maps created earlier keep the layout and value placement stored in
    // their file.
    DB.HashMapMaker<K, V> maker = db.hashMap(name, keys, values).layout(8, 16, 4);
    HTreeMap<K, V> map = (inline ? maker.valueInline() : maker).modificationListener(capture).createOrOpen();
    replay(name, map, capture);
    return map;
  }

  /** Declares a sorted map with values stored outside its nodes (for byte arrays), like {@link #hashMap}. */
  public <K, V> BTreeMap<K, V> treeMap(String name, GroupSerializer<K> keys, GroupSerializer<V> values) {
    Capture<K, V> capture = new Capture<>(name, keys, values);
    BTreeMap<K, V> map = db.treeMap(name, keys, values).valuesOutsideNodesEnable().modificationListener(capture)
        .createOrOpen();
    replay(name, map, capture);
    return map;
  }

  /** Whether the file, or the journal, holds a map of this name (declared by this or an earlier version). */
  boolean exists(String name) {
    return db.exists(name) || undeclared.contains(name);
  }

  /**
   * Files beside the store that its maps point into (see {@link Segments}), closed with the store.
   * Before each journal record they force to disk what that record names and does not carry itself
   * ({@code all} false), so a change naming their contents never outlives the contents; before a
   * checkpoint empties the journal, everything ({@code all} true).
   */
  interface Sidecar {
    void force(boolean all) throws IOException;

    void close() throws IOException;
  }

  /**
   * Hands the journal's records named {@code name} to {@code replay}, once: a map replays its changes
   * this way, and so do records that live in the journal only, never in MapDB (a sidecar's contents
   * carried by the journal until the next checkpoint). Call on the writer thread while declaring maps.
   */
  void journalOnly(String name, java.util.function.Consumer<Journal.Change> replay) {
    if (!undeclared.contains(name)) {
      return;
    }
    try {
      journal.replay(c -> {
        if (c.map().equals(name)) {
          replay.accept(c);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    undeclared.remove(name);
  }

  /** Adds a journal-only record (see {@link #journalOnly}) to the current write's journal record. Writer thread. */
  void record(String name, byte[] key, byte[] value) {
    changes.add(new Journal.Change(name, key, value));
    pendingBytes += value.length;
  }

  /** Attaches a sidecar; call on the writer thread while declaring maps. */
  void attach(Sidecar sidecar) {
    sidecars.add(sidecar);
  }

  private <K, V> void replay(String name, java.util.Map<K, V> map, Capture<K, V> capture) {
    capture.muted = true;
    try {
      journalOnly(name, c -> {
        K key = capture.keyOf(c.key());
        if (c.value() == null) {
          map.remove(key);
        } else {
          map.put(key, capture.valueOf(c.value()));
        }
      });
    } finally {
      capture.muted = false;
    }
  }

  /** Records a map's changes for the journal, serialized with the map's own serializers. */
  private final class Capture<K, V> implements MapModificationListener<K, V> {
    private final String name;
    private final Serializer<K> keys;
    private final Serializer<V> values;
    /** Set only while the map replays the journal, before anyone else holds the map. */
    private boolean muted;

    Capture(String name, Serializer<K> keys, Serializer<V> values) {
      this.name = name;
      this.keys = keys;
      this.values = values;
    }

    @Override
    public void modify(K key, V oldValue, V newValue, boolean triggered) {
      if (!muted) {
        // Byte-array values (blocks) go to the journal as they are: no serialized copy of each block.
        byte[] value = newValue == null ? null
            : values == Serializer.BYTE_ARRAY ? (byte[]) newValue : bytes(values, newValue);
        changes.add(new Journal.Change(name, bytes(keys, key), value));
        pendingBytes += value == null ? 0 : value.length;
      }
    }

    K keyOf(byte[] data) {
      return read(keys, data);
    }

    @SuppressWarnings("unchecked")
    V valueOf(byte[] data) {
      return values == Serializer.BYTE_ARRAY ? (V) data : read(values, data);
    }

    private static <T> byte[] bytes(Serializer<T> serializer, T value) {
      DataOutput2 out = new DataOutput2();
      try {
        serializer.serialize(out, value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.copyBytes();
    }

    private static <T> T read(Serializer<T> serializer, byte[] data) {
      try {
        return serializer.deserialize(new DataInput2.ByteArray(data), data.length);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * On the writer thread after a batch of writes: one journal record with every change, forced to
   * disk; then a MapDB checkpoint when one is due.
   */
  private void makeDurable() {
    if (stopped != null) {
      throw stoppedFailure();
    }
    try {
      List<Journal.Change> batch = new ArrayList<>();
      Journal.Change next;
      while ((next = changes.poll()) != null) {
        batch.add(next);
      }
      pendingBytes = 0;
      for (Sidecar s : sidecars) {
        s.force(false);
      }
      if (!batch.isEmpty()) {
        journal.append(batch);
      }
      journalBytes = journal.size();
    } catch (IOException | RuntimeException e) {
      throw stop("cannot write the journal of ", e);
    }
  }

  /**
   * Stops the store taking writes because of {@code cause}; returns the failure to throw. Those
   * waiting for the store to stop (see {@link #whenStopped}) learn why.
   */
  private StoreException stop(String what, Throwable cause) {
    boolean first = stopped == null;
    if (first) {
      // The first failure is the one to tell: later ones may only be its consequences.
      stopped = cause;
      String why = stoppedFailure().getMessage();
      // Once, with the stack of a failure nobody expects; a full disk needs no stack.
      System.getLogger(RoleStore.class.getName()).log(System.Logger.Level.ERROR, why,
          diskProblem(cause).endsWith("the disk is full") ? null : cause);
      onStopped.forEach(listener -> listener.accept(why));
    }
    return new StoreException(what + file.getFileName() + ": " + diskProblem(cause) + "; the store takes no more "
        + "writes, what it acknowledged is on disk: restart the node once the disk is fixed", cause);
  }

  private StoreException stoppedFailure() {
    return new StoreException("store " + file.getFileName() + " takes no more writes since a write to its disk failed ("
        + diskProblem(stopped) + "); what it acknowledged is on disk: restart the node once the disk is fixed");
  }

  /**
   * Whether a write failed because the disk or MapDB did, not because the write refused itself
   * (a conflict, a bad checksum): MapDB's memory may then hold half of a change (a record whose
   * write-ahead file could not be created, say), which no checkpoint may ever commit.
   */
  static boolean storageFault(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.mapdb.DBException || t instanceof IOException || t instanceof java.io.IOError) {
        return true;
      }
    }
    return false;
  }

  /** The innermost message of a disk failure, naming a full disk as such. */
  static String diskProblem(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    if (message == null) {
      message = e.getClass().getName();
    }
    return message.contains("No space left on device") && !message.contains("the disk is full")
        ? message + ": the disk is full" : message;
  }

  /** Called once, with the reason, when the store stops taking writes; on the writer thread. */
  public void whenStopped(java.util.function.Consumer<String> listener) {
    onStopped.add(listener);
  }

  /** Why the store takes no more writes (a write to its disk failed), or empty while it takes them. */
  public java.util.Optional<String> stoppedBecause() {
    return stopped == null ? java.util.Optional.empty() : java.util.Optional.of(stoppedFailure().getMessage());
  }

  /** Whether the store stopped taking writes (see {@link #stoppedBecause}), without building its reason. */
  public boolean isStopped() {
    return stopped != null;
  }

  /**
   * On the writer thread after a batch was made durable and its writes answered: a MapDB checkpoint
   * when one is due. Writes queued meanwhile wait for it; the batch before it does not.
   */
  private void checkpointIfDue() {
    if (stopped != null) {
      return;
    }
    boolean due = System.nanoTime() - lastCheckpoint > checkpointMs * 1_000_000;
    if (journal.size() > CHECKPOINT_BYTES || journal.size() > 0 && due) {
      try {
        checkpoint();
      } catch (IOException | RuntimeException e) {
        throw stop("cannot checkpoint ", e);
      }
    }
  }

  /** Makes the next journal record fail, as a failing disk would (for tests). */
  void breakJournal() throws IOException {
    journal.close();
  }

  /** A checkpoint now, after the writes queued before it (for tests). */
  Future<Void> checkpointNow() {
    return commits.write(d -> {
      checkpointAll();
      return null;
    });
  }

  /** Makes everything applied so far durable, then checkpoints (opening, closing, tests). */
  private void checkpointAll() {
    makeDurable();
    try {
      checkpoint();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  /** MapDB commits everything applied so far; the journal then starts empty. */
  private void checkpoint() throws IOException {
    // What the journal carried for the sidecars must be on disk before the journal is emptied.
    for (Sidecar s : sidecars) {
      s.force(true);
    }
    db.commit();
    journal.reset(Set.copyOf(undeclared));
    lastCheckpoint = System.nanoTime();
    journalBytes = journal.size();
  }

  /**
   * Runs {@code op} on the store's writer thread; the Future completes after the commit that made its
   * changes durable (shared with other writes queued meanwhile). {@code op} checks before it changes.
   */
  public <T> Future<T> write(java.util.function.Function<DB, T> op) {
    return commits.write(refusedOnceStopped(op));
  }

  /**
   * {@code op}, failing before it changes anything once the store stopped taking writes. An op that
   * fails because the disk or MapDB did stops the store at once: its batch then fails whole (no
   * journal record of it is written) and no checkpoint commits what MapDB holds in memory.
   */
  private <T> java.util.function.Function<DB, T> refusedOnceStopped(java.util.function.Function<DB, T> op) {
    return db -> {
      if (stopped != null) {
        throw stoppedFailure();
      }
      try {
        return op.apply(db);
      } catch (RuntimeException | java.io.IOError e) {
        if (storageFault(e)) {
          throw stop("cannot write to ", e);
        }
        throw e;
      }
    };
  }

  /** The longest a {@link #writeSoon} waits for other writes to share its batch. */
  static final long LINGER_MS = 50;

  /**
   * As {@link #write}, for writes no client waits on (copies made after the client's answer): the
   * batch may wait up to {@link #LINGER_MS} for more writes, so that many share one fsync.
   */
  public <T> Future<T> writeSoon(java.util.function.Function<DB, T> op) {
    return writeSoon(op, LINGER_MS);
  }

  <T> Future<T> writeSoon(java.util.function.Function<DB, T> op, long lingerMs) {
    return commits.writeSoon(refusedOnceStopped(op), lingerMs);
  }

  /** How many durable batches (one journal record and fsync each) this store has made: fewer than writes under load. */
  public long commitCount() {
    return commits.commits();
  }


  /**
   * The bytes of {@code data} once it matches {@code length} and {@code sha256}, else a failed
   * Future with {@link IllegalArgumentException} ({@code what} names it). Large blocks are hashed on
   * a worker thread, small ones at once.
   */
  public Future<byte[]> checked(Buffer data, long length, String sha256, String what) {
    return checked(data, length, sha256, what, false);
  }

  /**
   * As {@link #checked(Buffer, long, String, String)}, without hashing again when {@code hashed}:
   * the checksum was computed from these very bytes in this process (see
   * {@link org.mistore.codecs.StoreBlock#hashed}); the length is still checked.
   */
  public Future<byte[]> checked(Buffer data, long length, String sha256, String what, boolean hashed) {
    if (hashed && data.length() == length) {
      return Future.succeededFuture(data.getBytes());
    }
    java.util.concurrent.Callable<byte[]> check = () -> {
      if (!Checksums.matches(data, length, sha256)) {
        throw new IllegalArgumentException(what + " does not match its checksum");
      }
      return data.getBytes();
    };
    if (data.length() <= Checksums.HASH_INLINE_BYTES) {
      try {
        return Future.succeededFuture(check.call());
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.executeBlocking(check, false);
  }

  /** Runs a read on a worker thread. */
  public <T> Future<T> read(java.util.function.Function<DB, T> op) {
    try {
      return vertx.executeBlocking(() -> op.apply(db), false);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Vert.x is closing (its worker pool has stopped): a read asked for on the way out fails quietly.
      return Future.failedFuture(new StoreException("store " + file.getFileName() + " is closed (" + e.getMessage() + ")"));
    }
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
    return open(vertx, file, nodeId, role, CHECKPOINT_MS);
  }

  /** As {@link #open(Vertx, Path, String, Role)}, checkpointing every {@code checkpointMs} of writes. */
  public static Future<RoleStore> open(Vertx vertx, Path file, String nodeId, Role role, long checkpointMs) {
    return open(vertx, file, nodeId, role, checkpointMs, mappedSliceBytes(role));
  }

  /**
   * MapDB maps its file in slices of this size and, at every checkpoint, forces each slice to disk
   * with a call of its own, which costs about 50 µs even for a clean slice here: with 1 MiB slices a
   * checkpoint of a 560 MiB store took 29 ms instead of 6 ms (load-tests/README). POPs and the DC keep
   * a record per version, so their files grow large: 16 MiB slices. An HG's file holds an index entry
   * per block of mostly a MiB, so it stays small: 1 MiB, MapDB's default. A file grows a slice at a
   * time, zero-filled; an existing file opens with any slice size.
   */
  static long mappedSliceBytes(Role role) {
    return role == Role.HG ? 1L << 20 : 16L << 20;
  }

  /** As {@link #open(Vertx, Path, String, Role, long)}, mapping the file in slices of {@code sliceBytes}. */
  static Future<RoleStore> open(Vertx vertx, Path file, String nodeId, Role role, long checkpointMs,
      long sliceBytes) {
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
        DBMaker.Maker maker = DBMaker.fileDB(file.toFile()).transactionEnable();
        // The file is memory-mapped: reads of MapDB's tree nodes are memory reads instead of a system
        // call each (a mapped file's slower commit is paid only at checkpoints). It holds metadata and
        // the block index only, so the mapping stays small even on an HG that holds many blocks.
        // MapDB writes zeros over each new write-ahead log and each extension of the file before it
        // maps it (a MiB per checkpoint), so a full disk fails that write instead of stopping the JVM
        // when the mapped page is touched: kept, although it costs disk bandwidth.
        db = maker.fileMmapEnable().cleanerHackEnable().allocateIncrement(sliceBytes).make();
      } catch (Exception e) {
        throw new StoreException("cannot open store " + file + ": " + e.getMessage());
      }
      RoleStore store;
      try {
        store = new RoleStore(vertx, file, db, Journal.open(journalOf(file)), checkpointMs);
      } catch (IOException | RuntimeException e) {
        db.close();
        throw new StoreException("cannot open the journal of store " + file + ": " + e.getMessage());
      }
      try {
        store.claim(nodeId, role);
      } catch (RuntimeException e) {
        store.closeNow();
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
      checkpointAll();
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
            total += Files.isDirectory(p) ? folderSize(p) : Files.size(p);
          }
        }
      }
      return total;
    }, false);
  }

  private static long folderSize(Path folder) throws IOException {
    long total = 0;
    try (var files = Files.list(folder)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        try {
          total += Files.size(p);
        } catch (java.nio.file.NoSuchFileException e) {
          // deleted meanwhile
        }
      }
    }
    return total;
  }

  static Path journalOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".journal");
  }

  /** Closes the file after a last checkpoint; everything acknowledged is already durable. */
  public Future<Void> close() {
    vertx.cancelTimer(checkpointTimer);
    return commits.close().transform(x -> vertx.executeBlocking(() -> {
      if (!db.isClosed()) {
        // A stopped store's MapDB memory may hold changes of failed writes, or be damaged by the
        // failure: it is neither committed nor rolled back (a rollback writes to the write-ahead log
        // too), only closed, as a crash would leave it. The next open recovers from the disk.
        if (stopped == null) {
          checkpointAll();
        }
        closeNow();
      }
      return null;
    }, false));
  }

  private void closeNow() {
    vertx.cancelTimer(checkpointTimer);
    try {
      for (Sidecar s : sidecars) {
        s.close();
      }
      journal.close();
    } catch (IOException e) {
      System.getLogger(RoleStore.class.getName()).log(System.Logger.Level.WARNING, "closing journal", e);
    }
    db.close();
  }
}
