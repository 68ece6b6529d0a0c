package org.mistore.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Append-only files holding a store's block bytes, in a folder beside its MapDB file; the store's
 * index maps each block key to a {@link Location}. A block is written once, sequentially, and forced
 * to disk before the journal record that names it ({@link RoleStore.Sidecar}), so MapDB never
 * carries block bytes: its checkpoints stay small whatever the blocks weigh. A small block's record
 * may instead travel in that journal record itself ({@code covered}): then one fsync (the journal's)
 * makes the write durable, the file is synced before the next checkpoint, and a replay after a crash
 * puts the record back ({@link #restore}).
 *
 * <p>Each record is {@code [key length][data length][key][data]}, so a file can be read back in
 * order (to move its live blocks elsewhere, see {@link BlockStore}). A file is only appended to by
 * the run that created it: after a restart, writes go to a new file, so a record torn by a crash can
 * only be the last of its file. Appends run on the store's writer thread; reads on any thread.
 */
final class Segments implements RoleStore.Sidecar {
  /** Where a block's bytes are: file number, offset of the data, length. */
  record Location(int segment, long offset, int length) {
    static final int BYTES = 16;

    byte[] encode() {
      return ByteBuffer.allocate(BYTES).putInt(segment).putLong(offset).putInt(length).array();
    }

    static Location decode(byte[] raw) {
      ByteBuffer in = ByteBuffer.wrap(raw);
      return new Location(in.getInt(), in.getLong(), in.getInt());
    }
  }

  /** A record found by {@link #scan}: its key and where its data is. */
  record Entry(String key, Location at) {
  }

  /** Thrown by {@link #read} when the file was deleted: the block moved, look it up again. */
  static final class Moved extends IOException {
    Moved(int segment) {
      super("segment " + segment + " was deleted", null);
    }
  }

  private static final int HEADER = 8;
  private static final String SUFFIX = ".seg";

  private final Path dir;
  private final long maxBytes;
  /** Read channels, opened on demand; replaced when an interrupted reader closed one. */
  private final ConcurrentMap<Integer, FileChannel> readers = new ConcurrentHashMap<>();
  private final Set<Integer> deleted = ConcurrentHashMap.newKeySet();
  /** Sealed files mapped in memory for large reads (see {@link #view}), mapped on demand. */
  private final ConcurrentMap<Integer, MappedByteBuffer> maps = new ConcurrentHashMap<>();
  /** Files up to this number were there at open: sealed, never appended to again. */
  private volatile int sealedAtOpen = -1;
  /**
   * Records of at least this many bytes in a sealed file are read through its mapping: no copy into
   * the heap (nor from it into the socket's buffer), and no heap held for them.
   */
  static final int MAPPED_READ_BYTES = 64 * 1024;
  /** Segment number → size, for files not being appended to (writer thread only). */
  private final SortedMap<Integer, Long> sealed = new TreeMap<>();
  // RandomAccessFile, not FileChannel: an interrupted writer thread must not close the file.
  private RandomAccessFile current;
  private int currentId;
  private long currentSize;
  /** Where {@link #current}'s file pointer is (-1: unknown, after a failed write). */
  private long filePointer = -1;
  private boolean dirty;
  /** Whether a record the journal does not carry was appended since the last sync. */
  private boolean uncovered;
  /** Files rolled over since the last force, and whether the folder gained an entry. */
  private final List<RandomAccessFile> unsynced = new ArrayList<>();
  private boolean dirChanged;
  /** The first failed sync: after it, every force fails (the store stops acknowledging writes). */
  private IOException failed;
  /**
   * Small records appended to the current file and not written to it yet, from file offset
   * {@link #pendingStart}: they go out a page at a time. A write that ends inside a page the file
   * never had makes the kernel zero the rest of that page first, which cost a third of each small
   * append here (ext4). Readers copy from it under {@link #pendingLock}; the writer changes it under
   * that lock too.
   */
  private final ByteBuffer pending = ByteBuffer.allocate(PENDING_BYTES);
  private final Object pendingLock = new Object();
  /** Where {@link #pending} starts in the file {@link #pendingSegment}. */
  private volatile long pendingStart;
  private volatile int pendingSegment = -1;
  static final int PENDING_BYTES = 256 * 1024;
  /** Records up to this size are gathered in {@link #pending}; larger ones are written at once. */
  private static final int PENDING_RECORD = PENDING_BYTES / 4;
  private static final int PAGE = 4096;

  private Segments(Path dir, long maxBytes) {
    this.dir = dir;
    this.maxBytes = maxBytes;
  }

  /** Opens the folder (creating it); existing files are sealed, empty ones deleted. */
  static Segments open(Path dir, long maxBytes) throws IOException {
    Files.createDirectories(dir);
    Segments s = new Segments(dir, maxBytes);
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (!name.endsWith(SUFFIX)) {
          continue;
        }
        int id;
        try {
          id = Integer.parseInt(name.substring(0, name.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
          continue;
        }
        long size = Files.size(p);
        if (size == 0) {
          Files.delete(p);
        } else {
          s.sealed.put(id, size);
        }
      }
    }
    s.currentId = s.sealed.isEmpty() ? 0 : s.sealed.lastKey();
    s.sealedAtOpen = s.currentId;
    return s;
  }

  Path dir() {
    return dir;
  }

  private Path fileOf(int segment) {
    return dir.resolve(String.format("%08d", segment) + SUFFIX);
  }

  /**
   * A record appended: where its data is, and, when the journal carries it, the whole record and
   * where it starts (see {@link #restore}); null otherwise.
   */
  record Appended(Location at, long start, byte[] record) {
  }

  /**
   * Appends a block. With {@code covered} the caller's journal record carries the whole record
   * ({@link Appended#record}) until the next checkpoint, so only {@link #force force(true)} syncs
   * it; otherwise the next {@link #force} does. Writer thread only.
   */
  Appended append(String key, byte[] data, boolean covered) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    long need = HEADER + k.length + (long) data.length;
    if (current == null || currentSize > 0 && currentSize + need > maxBytes) {
      roll();
    }
    long start = currentSize;
    Location at = new Location(currentId, start + HEADER + k.length, data.length);
    byte[] record = null;
    if (need <= PENDING_RECORD) {
      if (pending.remaining() < need) {
        writePending(false);
      }
      record = ByteBuffer.allocate((int) need).putInt(k.length).putInt(data.length).put(k).put(data).array();
      synchronized (pendingLock) {
        pending.put(record);
      }
    } else {
      writePending(true); // the file grows in order
      // A record the journal carries, or up to SMALL_RECORD, is written whole, with one copy and one
      // system call; a larger one without the copy.
      boolean whole = covered || need <= SMALL_RECORD;
      ByteBuffer head = ByteBuffer.allocate(whole ? (int) need : HEADER + k.length).putInt(k.length)
          .putInt(data.length).put(k);
      if (whole) {
        record = head.put(data).array();
        writeAt(start, record, record.length);
      } else {
        writeAt(start, head.array(), head.capacity());
        writeAt(start + head.capacity(), data, data.length);
      }
      synchronized (pendingLock) {
        pendingStart = start + need;
      }
    }
    currentSize += need;
    dirty = true;
    uncovered |= !covered;
    return new Appended(at, start, covered ? record : null);
  }

  /** Writes {@code length} bytes of {@code bytes} at {@code position} of the current file. Writer thread. */
  private void writeAt(long position, byte[] bytes, int length) throws IOException {
    if (filePointer != position) {
      current.seek(position); // writes follow each other: needed only after a failed one
    }
    filePointer = -1; // unknown until the write succeeds
    current.write(bytes, 0, length);
    filePointer = position + length;
  }

  /**
   * Writes what {@link #pending} holds to the file: {@code all} of it, or only up to the last page
   * boundary (the rest stays, so that no write ends inside a new page). Writer thread.
   */
  private void writePending(boolean all) throws IOException {
    int held = pending.position();
    int n = all ? held : (int) ((pendingStart + held) / PAGE * PAGE - pendingStart);
    if (n <= 0) {
      return;
    }
    writeAt(pendingStart, pending.array(), n);
    // Readers find the bytes in the file from now on.
    synchronized (pendingLock) {
      System.arraycopy(pending.array(), n, pending.array(), 0, held - n);
      pending.position(held - n);
      pendingStart += n;
    }
  }

  /** Records up to this size are written with one copy and one system call. */
  private static final int SMALL_RECORD = 256 * 1024;

  /**
   * Puts back a record the journal carried (replay after a crash that may have lost it): writes it
   * at {@code start} of file {@code segment} unless the file already holds it there. Writer thread,
   * before the first append.
   */
  void restore(int segment, long start, byte[] record) throws IOException {
    Path path = fileOf(segment);
    try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
      if (f.length() >= start + record.length) {
        byte[] there = new byte[record.length];
        f.seek(start);
        f.readFully(there);
        if (java.util.Arrays.equals(there, record)) {
          return;
        }
      }
      f.seek(start);
      f.write(record);
      f.getFD().sync();
    }
    sealed.merge(segment, start + record.length, Math::max);
    currentId = Math.max(currentId, segment);
    dirChanged = true;
  }

  private void roll() throws IOException {
    if (current != null) {
      writePending(true);
      sealed.put(currentId, currentSize);
      unsynced.add(current);
    }
    currentId++;
    current = new RandomAccessFile(fileOf(currentId).toFile(), "rw");
    current.setLength(0);
    currentSize = 0;
    filePointer = 0;
    synchronized (pendingLock) {
      pendingSegment = currentId;
      pendingStart = 0;
    }
    dirChanged = true;
  }

  /** The file being appended to (-1 before the first append of this run): never compacted. */
  int current() {
    return current == null ? -1 : currentId;
  }

  /** Sealed files and their sizes (writer thread only). */
  SortedMap<Integer, Long> sealed() {
    return sealed;
  }

  @Override
  public void force(boolean all) throws IOException {
    if (failed != null) {
      // Whether what the failed sync covered reached the disk is unknown: no later write may count on it.
      throw new IOException("a block file could not be synced (" + failed.getMessage()
          + "); no write is acknowledged until the node restarts", failed);
    }
    if (!all && !uncovered) {
      return; // the journal record about to be written carries everything appended since the last sync
    }
    uncovered = false;
    if (current != null) {
      writePending(true);
    }
    try {
      while (!unsynced.isEmpty()) {
        try (RandomAccessFile f = unsynced.remove(0)) {
          f.getFD().sync();
        }
      }
      if (dirty) {
        current.getFD().sync();
        dirty = false;
      }
    } catch (IOException e) {
      failed = e;
      throw e;
    }
    if (dirChanged) {
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
      dirChanged = false;
    }
  }

  /**
   * The data at {@code at} as a read-only view: a large record of a sealed file is a slice of that
   * file's memory mapping (the page cache itself, no copy); anything else is copied as by {@link #read}.
   * A file stays mapped until it is deleted. {@link Moved} when its file was deleted meanwhile. Any thread.
   */
  ByteBuffer view(Location at) throws IOException {
    int segment = at.segment();
    boolean sealedFile = segment <= sealedAtOpen || segment < pendingSegment;
    if (at.length() >= MAPPED_READ_BYTES && sealedFile && !deleted.contains(segment)) {
      MappedByteBuffer map = mapped(segment);
      if (map != null && at.offset() + at.length() <= map.capacity()) {
        return map.slice((int) at.offset(), at.length()); // read-only, as the mapping
      }
    }
    return ByteBuffer.wrap(read(at));
  }

  /** The mapping of a sealed file, or null when it cannot be mapped (then {@link #read} says why). */
  private MappedByteBuffer mapped(int segment) {
    MappedByteBuffer map = maps.get(segment);
    if (map != null) {
      return map;
    }
    try (FileChannel ch = FileChannel.open(fileOf(segment), StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0 || size > Integer.MAX_VALUE) {
        return null;
      }
      map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
    MappedByteBuffer raced = maps.putIfAbsent(segment, map);
    if (deleted.contains(segment)) {
      // Deleted while this reader mapped it: keep no mapping of a deleted file (it holds its space).
      maps.remove(segment);
      return null;
    }
    return raced != null ? raced : map;
  }

  /** The data at {@code at}; {@link Moved} when its file was deleted meanwhile. Any thread. */
  byte[] read(Location at) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(at.length());
    // The part still in memory (the end of the current file), copied; the rest is in the file.
    int inFile = at.length();
    if (at.segment() == pendingSegment) {
      synchronized (pendingLock) {
        long end = at.offset() + at.length();
        if (at.segment() == pendingSegment && end > pendingStart) {
          long from = Math.max(at.offset(), pendingStart);
          System.arraycopy(pending.array(), (int) (from - pendingStart), buf.array(), (int) (from - at.offset()),
              (int) (end - from));
          inFile = (int) (from - at.offset());
        }
      }
      if (inFile == 0) {
        return buf.array();
      }
    }
    for (int attempt = 0; ; attempt++) {
      if (deleted.contains(at.segment())) {
        throw new Moved(at.segment());
      }
      FileChannel ch;
      try {
        ch = readers.computeIfAbsent(at.segment(), this::openReader);
      } catch (java.io.UncheckedIOException e) {
        if (e.getCause() instanceof NoSuchFileException) {
          throw new Moved(at.segment());
        }
        throw e.getCause();
      }
      if (deleted.contains(at.segment())) {
        // Deleted while this reader opened it: do not keep the deleted file open.
        readers.remove(at.segment(), ch);
        ch.close();
        throw new Moved(at.segment());
      }
      try {
        buf.clear().limit(inFile);
        while (buf.hasRemaining()) {
          if (ch.read(buf, at.offset() + buf.position()) < 0) {
            throw new IOException("segment " + at.segment() + " ends before the block at " + at.offset());
          }
        }
        return buf.array();
      } catch (ClosedChannelException e) {
        // Closed by a deletion (then the block moved) or by an interrupted reader (then reopen).
        readers.remove(at.segment(), ch);
        if (attempt > 0 && !deleted.contains(at.segment())) {
          throw e;
        }
      }
    }
  }

  private FileChannel openReader(int segment) {
    try {
      return FileChannel.open(fileOf(segment), StandardOpenOption.READ);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Records of a sealed file from {@code from}, until about {@code budget} bytes of data are listed
   * or the file ends (a torn last record ends it too). Writer thread only.
   */
  List<Entry> scan(int segment, long from, long budget, long[] next) throws IOException {
    List<Entry> found = new ArrayList<>();
    long size = sealed.getOrDefault(segment, 0L);
    long at = from;
    long listed = 0;
    try (RandomAccessFile f = new RandomAccessFile(fileOf(segment).toFile(), "r")) {
      while (at + HEADER <= size && listed < budget) {
        f.seek(at);
        int keyLength = f.readInt();
        int dataLength = f.readInt();
        if (keyLength <= 0 || keyLength > 4096 || dataLength < 0 || at + HEADER + keyLength + dataLength > size) {
          at = size; // a torn or foreign tail: nothing valid follows
          break;
        }
        byte[] k = new byte[keyLength];
        f.readFully(k);
        found.add(new Entry(new String(k, StandardCharsets.UTF_8),
            new Location(segment, at + HEADER + keyLength, dataLength)));
        listed += dataLength;
        at += HEADER + keyLength + dataLength;
      }
    }
    // Go on only where the budget stopped the scan; anything else is the end (a tail too short for a
    // record header, or a torn record, holds nothing the index can name).
    next[0] = listed >= budget && at + HEADER <= size ? at : -1;
    return found;
  }

  /** Deletes a sealed file none of whose blocks the index names any more (durably so). Writer thread. */
  void delete(int segment) throws IOException {
    deleted.add(segment);
    sealed.remove(segment);
    maps.remove(segment); // unmapped once no reader holds a view of it
    FileChannel reader = readers.remove(segment);
    if (reader != null) {
      reader.close();
    }
    Files.deleteIfExists(fileOf(segment));
    dirChanged = true;
  }

  @Override
  public void close() throws IOException {
    for (RandomAccessFile f : unsynced) {
      f.close();
    }
    unsynced.clear();
    if (current != null) {
      try {
        writePending(true);
      } finally {
        current.close();
        current = null;
      }
    }
    for (FileChannel ch : readers.values()) {
      ch.close();
    }
    readers.clear();
    maps.clear();
  }
}
