package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.mapdb.BTreeMap;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.mistore.codecs.BlockRef;
import org.mistore.store.Segments.Location;

/**
 * The blocks a node holds, keyed by object, version, index and checksum. The bytes live in append-only {@link Segments} files beside the MapDB
 * file; MapDB holds only the index (key → file, offset, length, CRC32C), so a block is written to
 * disk once and checkpoints never copy block bytes. A block is checked against its checksum before
 * it is stored; a write is acknowledged once the block and the journal record naming it are on disk.
 * The CRC32C taken as it is stored lets {@link #getChecked} find a copy the disk has corrupted since.
 *
 * <p>Space is reclaimed by compaction: once the blocks still named in a sealed file fill at most half
 * of it, they are copied to the current file in steps of {@link #COMPACT_STEP_BYTES} (each a write of
 * its own, so writes queued meanwhile wait little), and the file is deleted once the index no longer
 * naming it is durable. Used by POPs, HGs and the DC alike.
 */
public final class BlockStore {
  /** A segment file is sealed and a new one started at this size. */
  static final long SEGMENT_BYTES = 64L << 20;
  /** Data copied per compaction step. */
  static final long COMPACT_STEP_BYTES = 4L << 20;
  /** The index map; the map "blocks" of earlier versions held the bytes themselves. */
  static final String INDEX = "block-index";
  private static final String LEGACY = "blocks";
  /**
   * Journal-only records of small blocks (key: file number and record offset; value: the whole
   * record): the write's one fsync, the journal's, makes such a block durable; the block file is
   * synced before the next checkpoint and a replay puts lost records back.
   */
  static final String RECORDS = "block-records";
  /** Blocks up to this size travel in the journal record of their write (compaction moves never do). */
  static final int JOURNALED_BYTES = 64 * 1024;

  private final RoleStore store;
  private final Segments segments;
  private final HTreeMap<String, byte[]> index;
  /** Bytes of data the index names per segment file (writer thread only). */
  private final Map<Integer, Long> live = new HashMap<>();
  /** Their sum: bytes of all blocks held (written by the writer thread, read by any). */
  private volatile long held;
  private final TreeSet<Integer> compactable = new TreeSet<>();
  private int compacting = -1;
  private long cursor;
  private boolean stepQueued;
  private volatile boolean closed;

  /**
   * Opens the segment files and declares the index; call on the writer thread (inside
   * {@link RoleStore#write}). Blocks an earlier version kept inside MapDB move to segment files.
   */
  public BlockStore(RoleStore store) {
    this(store, SEGMENT_BYTES);
  }

  BlockStore(RoleStore store, long segmentBytes) {
    this.store = store;
    try {
      this.segments = Segments.open(folderOf(store.file()), segmentBytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the block files of " + store.file() + ": " + e.getMessage(), e);
    }
    store.attach(new RoleStore.Sidecar() {
      @Override
      public void force(boolean all) throws IOException {
        segments.force(all);
      }

      @Override
      public void close() throws IOException {
        closed = true;
        segments.close();
      }
    });
    store.journalOnly(RECORDS, c -> {
      ByteBuffer where = ByteBuffer.wrap(c.key());
      try {
        segments.restore(where.getInt(), where.getLong(), c.value());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot restore a block in " + segments.dir() + ": " + e.getMessage(), e);
      }
    });
    this.index = store.hashMap(INDEX, Serializer.STRING, Serializer.BYTE_ARRAY);
    for (byte[] raw : index.values()) {
      Location at = Location.decode(raw);
      live.merge(at.segment(), (long) at.length(), Long::sum);
      held += at.length();
    }
    if (store.exists(LEGACY)) {
      BTreeMap<String, byte[]> legacy = store.treeMap(LEGACY, Serializer.STRING, Serializer.BYTE_ARRAY);
      for (String key : new ArrayList<>(legacy.keySet())) {
        putNow(key, legacy.get(key));
        legacy.remove(key);
      }
    }
    for (int segment : new ArrayList<>(segments.sealed().keySet())) {
      consider(segment);
    }
  }

  /** The folder of a store's block files. */
  public static Path folderOf(Path storeFile) {
    return storeFile.resolveSibling(storeFile.getFileName() + ".blocks");
  }

  /** {@code id/version(19 digits)} — the prefix of every block key of one version. */
  public static String versionKey(String id, long version) {
    StringBuilder key = new StringBuilder(id.length() + 20).append(id).append('/');
    return padded(key, version, 19).toString();
  }

  public static String key(BlockRef ref) {
    String id = ref.version().id().render();
    StringBuilder key = new StringBuilder(id.length() + 96).append(id).append('/');
    padded(key, ref.version().version(), 19).append('/');
    return padded(key, ref.index(), 10).append('/').append(ref.sha256()).toString();
  }

  /** Appends {@code n} (not negative) with leading zeros to {@code width} digits (String.format cost more than the rest of a key). */
  private static StringBuilder padded(StringBuilder to, long n, int width) {
    String digits = Long.toString(n);
    for (int i = digits.length(); i < width; i++) {
      to.append('0');
    }
    return to.append(digits);
  }

  public Future<Optional<Buffer>> get(BlockRef ref) {
    return store.read(db -> Optional.ofNullable(viewNow(key(ref))).map(BlockStore::wrapped));
  }

  /** The bytes were read into an array of their own, or are a view of the mapped file: wrapped, not copied. */
  private static Buffer wrapped(ByteBuffer bytes) {
    return io.vertx.core.internal.buffer.BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(bytes));
  }

  /** Thrown by {@link #getChecked} for a block whose bytes no longer match the CRC32C taken when it was stored. */
  public static final class CorruptBlock extends IOException {
    CorruptBlock(String key) {
      super("block " + key + " no longer matches the CRC32C taken when it was stored");
    }
  }

  /** A block read by {@link #getChecked}: {@code checked} unless it was stored before CRC32Cs were kept. */
  public record Checked(Buffer data, boolean checked) {
  }

  /**
   * As {@link #get}, checked against the CRC32C taken when the block was stored (blocks stored before
   * CRC32Cs were kept are not checked): fails with {@link CorruptBlock} when they differ.
   */
  public Future<Optional<Checked>> getChecked(BlockRef ref) {
    String key = key(ref);
    return store.read(db -> Optional.ofNullable(readNow(key, raw -> {
      ByteBuffer view = segments.view(Location.decode(raw));
      Integer crc = crcOf(raw);
      if (crc != null && Checksums.crc32c(view.duplicate()) != crc) {
        throw new CorruptBlock(key);
      }
      return new Checked(wrapped(view), crc != null);
    })));
  }

  /** The index value naming {@code at}, with the block's CRC32C when known. */
  private static byte[] indexValue(Location at, Integer crc) {
    byte[] location = at.encode();
    return crc == null ? location
        : ByteBuffer.allocate(Location.BYTES + 4).put(location).putInt(crc).array();
  }

  /** The CRC32C an index value holds, or null (values written before CRC32Cs were kept). */
  private static Integer crcOf(byte[] raw) {
    return raw.length >= Location.BYTES + 4 ? ByteBuffer.wrap(raw).getInt(Location.BYTES) : null;
  }

  /** Stores a block (already checked) as part of the current write; writer thread only. */
  public void putNow(String key, byte[] data) {
    putNow(key, data, data.length <= JOURNALED_BYTES, Checksums.crc32c(ByteBuffer.wrap(data)));
  }

  /**
   * As {@link #putNow(String, byte[])}; with {@code journaled} the write's journal record carries the
   * block; {@code crc} is its CRC32C as first stored (a moved block keeps it: a copy the disk corrupted
   * is not given a new one).
   */
  private void putNow(String key, byte[] data, boolean journaled, Integer crc) {
    int before = segments.current();
    Location at;
    try {
      Segments.Appended appended = segments.append(key, data, journaled);
      at = appended.at();
      if (journaled) {
        store.record(RECORDS, ByteBuffer.allocate(12).putInt(at.segment()).putLong(appended.start()).array(),
            appended.record());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a block to " + segments.dir() + ": " + e.getMessage(), e);
    }
    byte[] old = index.put(key, indexValue(at, crc));
    live.merge(at.segment(), (long) data.length, Long::sum);
    held += data.length;
    if (old != null) {
      release(Location.decode(old));
    }
    if (before >= 0 && before != at.segment()) {
      consider(before); // sealed by this append: it may hold little that is still live
    }
  }

  /** Drops a block as part of the current write; its length, or -1 when it was not held. Writer thread only. */
  public long removeNow(String key) {
    byte[] old = index.remove(key);
    if (old == null) {
      return -1;
    }
    Location at = Location.decode(old);
    release(at);
    return at.length();
  }

  /** The block's bytes, or null when not held. Any thread (blocking). */
  public byte[] getNow(String key) {
    return readNow(key, raw -> segments.read(Location.decode(raw)));
  }

  /**
   * As {@link #getNow}, as a read-only view: a large block of a sealed file is read through the
   * file's memory mapping instead of being copied into the heap (see {@link Segments#view}).
   */
  public ByteBuffer viewNow(String key) {
    return readNow(key, raw -> segments.view(Location.decode(raw)));
  }

  /** A reading of the block {@code key} names, looked up again when compaction moved it meanwhile. */
  private <T> T readNow(String key, SegmentRead<T> read) {
    for (int attempt = 0; ; attempt++) {
      byte[] raw = index.get(key);
      if (raw == null) {
        return null;
      }
      try {
        return read.at(raw);
      } catch (Segments.Moved e) {
        if (attempt > 2) {
          throw new UncheckedIOException(e);
        }
        // compaction moved it meanwhile: the index names its new place
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read block " + key + ": " + e.getMessage(), e);
      }
    }
  }

  /** A reading of a block from its index value (its {@link Location}, and its CRC32C when known). */
  private interface SegmentRead<T> {
    T at(byte[] indexValue) throws IOException;
  }

  public boolean contains(String key) {
    return index.containsKey(key);
  }

  /** The length of a held block, or -1. */
  public long lengthOf(String key) {
    byte[] raw = index.get(key);
    return raw == null ? -1 : Location.decode(raw).length();
  }

  /** Every block key, in no particular order (a live view). */
  public java.util.Set<String> keys() {
    return index.keySet();
  }

  /** Every block key, sorted (a copy; for listings and maintenance passes). */
  public List<String> sortedKeys() {
    List<String> keys = new ArrayList<>(index.keySet());
    java.util.Collections.sort(keys);
    return keys;
  }

  /** Bytes of all blocks held (any thread). */
  public long heldBytes() {
    return held;
  }

  private void release(Location at) {
    live.merge(at.segment(), -(long) at.length(), Long::sum);
    held -= at.length();
    consider(at.segment());
  }

  /** Queues a sealed file for compaction once at most half of it is live. */
  private void consider(int segment) {
    Long size = segments.sealed().get(segment);
    if (size == null || segment == compacting || segment == segments.current()) {
      return;
    }
    if (live.getOrDefault(segment, 0L) * 2 <= size) {
      compactable.add(segment);
      schedule();
    }
  }

  private void schedule() {
    if (stepQueued || closed || compactable.isEmpty() && compacting < 0) {
      return;
    }
    stepQueued = true;
    store.write(db -> step()).onComplete(done -> {
      // The index no longer naming the emptied files is durable now: they can go.
      List<Integer> emptied = done.succeeded() ? done.result() : List.of();
      if (closed) {
        return;
      }
      store.write(db -> {
        for (int segment : emptied) {
          try {
            segments.delete(segment);
          } catch (IOException e) {
            System.getLogger(BlockStore.class.getName()).log(System.Logger.Level.WARNING,
                "cannot delete block file " + segment + " of " + store.file(), e);
          }
        }
        stepQueued = false;
        schedule();
        return null;
      });
    });
  }

  /** Moves the live blocks of queued files, about {@link #COMPACT_STEP_BYTES} of them; returns the files emptied. */
  private List<Integer> step() {
    List<Integer> emptied = new ArrayList<>();
    long budget = COMPACT_STEP_BYTES;
    try {
      while (budget > 0) {
        if (compacting < 0) {
          Integer next = compactable.pollFirst();
          if (next == null) {
            break;
          }
          compacting = next;
          cursor = 0;
        }
        long[] next = new long[1];
        if (live.getOrDefault(compacting, 0L) > 0) {
          for (Segments.Entry e : segments.scan(compacting, cursor, budget, next)) {
            budget -= Math.max(1, e.at().length());
            byte[] raw = index.get(e.key());
            if (raw != null && Location.decode(raw).equals(e.at())) {
              byte[] data = segments.read(e.at());
              Integer crc = crcOf(raw);
              putNow(e.key(), data, false, crc != null ? crc : Checksums.crc32c(ByteBuffer.wrap(data)));
            }
          }
        } else {
          next[0] = -1;
        }
        if (next[0] >= 0) {
          cursor = next[0];
          continue;
        }
        if (live.getOrDefault(compacting, 0L) == 0) {
          live.remove(compacting);
          emptied.add(compacting);
        } else {
          System.getLogger(BlockStore.class.getName()).log(System.Logger.Level.WARNING, "block file " + compacting
              + " of " + store.file() + " still holds " + live.get(compacting) + " indexed bytes after compaction");
        }
        compacting = -1;
      }
    } catch (IOException | RuntimeException e) {
      // This file is left as it is until the next restart: a failing step is not retried in a loop.
      compacting = -1;
      throw new UncheckedIOException("cannot compact the block files of " + store.file() + ": " + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
    return emptied;
  }
}
