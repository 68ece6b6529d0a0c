package org.mistore.store;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * A redo log beside a MapDB file: each group of writes appends one record holding every map change
 * it made (map name, key, new value or removal) and is forced to disk once. MapDB itself commits
 * only at checkpoints, so an acknowledged write costs one sequential append and one fsync instead
 * of a MapDB commit (two fsyncs and a rewritten write-ahead log).
 *
 * <p>Replay is physical and per key, so it is idempotent: re-applying a record MapDB already holds
 * changes nothing. A record cut short by a crash fails its checksum and ends the log: its writes
 * were never acknowledged. Not thread-safe: used by one writer thread.
 *
 * <p>The file is reused, not truncated: a checkpoint starts a new generation (written in the file's
 * header) and the next records overwrite the old ones from the start. Each record's checksum covers
 * the generation, so an old record beyond the last new one fails it and ends the log. Overwriting
 * space the file already has spares the file system a block allocation (and its metadata) on every
 * record's fsync. A file of the earlier format (records from its first byte) is converted at open.
 */
final class Journal implements AutoCloseable {
  /** One map change: {@code value} null means the key was removed. */
  record Change(String map, byte[] key, byte[] value) {
  }

  /** The length before a payload and the checksum after it. */
  private static final int HEADER = 8;
  /** The file starts with this mark ("MSJ2") and the generation of its records. */
  private static final int MAGIC = 0x4D534A32;
  private static final int FILE_HEADER = 12;

  private final Path file;
  // RandomAccessFile, not FileChannel: an interrupted writer thread must not close the log.
  private RandomAccessFile channel;
  /** Writes at the file's position, through the same descriptor. */
  private FileOutputStream stream;
  /** Where the valid records end (a file offset). */
  private long end;
  /** The generation the current records carry; a checkpoint starts the next. */
  private long generation;
  /** The maps the log held changes of when it was opened. */
  private final Set<String> openedWith;
  /** What the disk damaged in the log before it was opened (see {@link #damageAtOpen}), or null. */
  private final String damage;

  private Journal(Path file, RandomAccessFile channel, long generation, long end, Set<String> openedWith,
      String damage) throws IOException {
    this.file = file;
    this.channel = channel;
    this.stream = new FileOutputStream(channel.getFD());
    this.generation = generation;
    this.end = end;
    this.openedWith = openedWith;
    this.damage = damage;
  }

  /** Opens the log, cutting off a torn last record (never acknowledged); converts an earlier format. */
  static Journal open(Path file) throws IOException {
    RandomAccessFile channel = new RandomAccessFile(file.toFile(), "rw");
    if (channel.length() == 0) {
      writeHeader(channel, 1);
      return new Journal(file, channel, 1, FILE_HEADER, Set.of(), null);
    }
    Long found = generationOf(channel);
    if (found == null) {
      channel.close();
      convert(file);
      channel = new RandomAccessFile(file.toFile(), "rw");
      found = generationOf(channel);
    }
    long generation = found;
    Set<String> maps = new java.util.HashSet<>();
    long valid = scan(channel, FILE_HEADER, generation, c -> maps.add(c.map()));
    String damage = null;
    if (valid < channel.length()) {
      damage = damageAt(file, channel, valid, generation);
      // Whatever follows the valid records (a torn one, or older ones) goes: new records must
      // never end where an old record of this generation begins.
      channel.setLength(valid);
      channel.getFD().sync();
    }
    return new Journal(file, channel, generation, valid, Set.copyOf(maps), damage);
  }

  /**
   * Why the records end at {@code valid} when that is not a crash: a torn last record, or records
   * of an earlier generation, end a log; an intact record of this generation after the one that
   * fails its checksum means the disk damaged the log, and the records from there on (acknowledged
   * writes) are lost. Then a copy of the file is kept beside it, and the description names it.
   * Only a damaged record whose length is still plausible can be stepped over to see this.
   */
  private static String damageAt(Path file, RandomAccessFile channel, long valid, long generation) throws IOException {
    long next = plausibleEnd(channel, valid, channel.length());
    if (next < 0) {
      return null;
    }
    long[] changes = {0};
    long intact = scan(channel, next, generation, c -> changes[0]++) - next;
    if (intact == 0) {
      return null;
    }
    Path kept = file.resolveSibling(file.getFileName() + ".damaged-" + System.currentTimeMillis());
    Files.copy(file, kept, StandardCopyOption.REPLACE_EXISTING);
    return "journal " + file + " is damaged: its record at byte " + valid + " fails its checksum, yet " + intact
        + " bytes of later records (" + changes[0] + " changes, acknowledged writes) are intact; they cannot be replayed"
        + " in order and are dropped (the file as it was is kept in " + kept.getFileName() + ")";
  }

  /**
   * When the disk damaged the log before it was opened (not a crash: intact records followed a
   * damaged one, and are lost), what was lost; empty otherwise.
   */
  java.util.Optional<String> damageAtOpen() {
    return java.util.Optional.ofNullable(damage);
  }

  /** The generation in the file's header, or null for a file of the earlier format (no header). */
  private static Long generationOf(RandomAccessFile channel) throws IOException {
    if (channel.length() < FILE_HEADER) {
      return null;
    }
    channel.seek(0);
    return channel.readInt() == MAGIC ? channel.readLong() : null;
  }

  private static byte[] header(long generation) {
    return java.nio.ByteBuffer.allocate(FILE_HEADER).putInt(MAGIC).putLong(generation).array();
  }

  private static void writeHeader(RandomAccessFile channel, long generation) throws IOException {
    channel.seek(0);
    channel.write(header(generation));
    channel.getFD().sync();
  }

  /** Rewrites a log of the earlier format (records from the first byte, no generation) in this one. */
  private static void convert(Path file) throws IOException {
    List<Change> all = new ArrayList<>();
    try (RandomAccessFile old = new RandomAccessFile(file.toFile(), "r")) {
      scan(old, 0, null, all::add);
    }
    replaceWith(file, 1, all);
  }

  /**
   * Writes {@code changes} as generation {@code generation}'s only record in a new file and moves it
   * over the log (a crash before the move leaves the old log, which replays the same or more).
   */
  private static long replaceWith(Path file, long generation, List<Change> changes) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    long written = FILE_HEADER;
    try (RandomAccessFile out = new RandomAccessFile(next.toFile(), "rw")) {
      out.setLength(0);
      out.write(header(generation));
      if (!changes.isEmpty()) {
        written = write(out, new FileOutputStream(out.getFD()), FILE_HEADER, generation, changes);
      }
      out.getFD().sync();
    }
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return written;
  }

  /** Bytes of valid records in the log at {@code file} (read-only; for tests and tools). */
  static long recordBytes(Path file) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      Long generation = generationOf(in);
      return generation == null ? scan(in, 0, null, null) : scan(in, FILE_HEADER, generation, null) - FILE_HEADER;
    }
  }

  /** The maps whose changes the log held when it was opened (found by the scan that validated it). */
  Set<String> mapsAtOpen() {
    return openedWith;
  }

  /** Bytes of records since the last checkpoint. */
  long size() {
    return end - FILE_HEADER;
  }

  /** Every change recorded since the last checkpoint, in order. */
  void replay(Consumer<Change> sink) throws IOException {
    scan(channel, FILE_HEADER, generation, sink);
  }

  /** Appends one record of changes and forces it to disk; returns when it is durable. */
  void append(List<Change> changes) throws IOException {
    long at = write(channel, stream, end, generation, changes);
    channel.getFD().sync();
    end = at;
  }

  /**
   * Writes one record at {@code at}: {@code [length][payload][CRC-32C of payload]}, the payload
   * streamed (a record of many blocks is never copied whole). Returns where it ends.
   */
  private static long write(RandomAccessFile to, FileOutputStream stream, long at, long generation,
      List<Change> changes) throws IOException {
    long length = 4;
    for (Change c : changes) {
      length += 2 + c.map().getBytes(StandardCharsets.UTF_8).length + 4 + c.key().length + 4
          + (c.value() == null ? 0 : c.value().length);
    }
    if (length > Integer.MAX_VALUE - HEADER) {
      throw new IOException("a journal record of " + length + " bytes is too large");
    }
    to.seek(at);
    CRC32C crc = seeded(generation);
    // A buffer the record's size (up to 64 KiB): most records are small, and one is allocated per batch.
    DataOutputStream raw = new DataOutputStream(new BufferedOutputStream(stream,
        (int) Math.min(1 << 16, length + HEADER)));
    raw.writeInt((int) length);
    DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc));
    out.writeInt(changes.size());
    for (Change c : changes) {
      byte[] name = c.map().getBytes(StandardCharsets.UTF_8);
      out.writeShort(name.length);
      out.write(name);
      out.writeInt(c.key().length);
      out.write(c.key());
      out.writeInt(c.value() == null ? -1 : c.value().length);
      if (c.value() != null) {
        out.write(c.value());
      }
    }
    out.flush();
    raw.writeInt((int) crc.getValue());
    raw.flush();
    return at + HEADER + length;
  }

  /**
   * Empties the log after MapDB committed everything it held, keeping the changes of maps not yet
   * declared ({@code keep}: their owners have not replayed them yet).
   */
  void reset(Set<String> keep) throws IOException {
    long next = generation + 1;
    if (keep.isEmpty()) {
      // The new generation makes every record in the file stale; later ones overwrite them.
      writeHeader(channel, next);
      generation = next;
      end = FILE_HEADER;
      return;
    }
    List<Change> kept = new ArrayList<>();
    scan(channel, FILE_HEADER, generation, c -> {
      if (keep.contains(c.map())) {
        kept.add(c);
      }
    });
    channel.close();
    long written = replaceWith(file, next, kept);
    channel = new RandomAccessFile(file.toFile(), "rw");
    stream = new FileOutputStream(channel.getFD());
    generation = next;
    end = written;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /**
   * Reads records from {@code from}, checksums seeded with {@code generation} (null: the earlier
   * format, unseeded); returns where the valid ones end.
   */
  private static long scan(RandomAccessFile channel, long from, Long generation, Consumer<Change> sink)
      throws IOException {
    long end = channel.length();
    long at = from;
    for (long next = plausibleEnd(channel, at, end); next >= 0; next = plausibleEnd(channel, at, end)) {
      byte[] payload = new byte[(int) (next - at - HEADER)];
      channel.readFully(payload);
      int expected = channel.readInt();
      CRC32C crc = generation == null ? new CRC32C() : seeded(generation);
      crc.update(payload);
      if ((int) crc.getValue() != expected) {
        break;
      }
      if (sink != null) {
        decode(payload, sink);
      }
      at = next;
    }
    return at;
  }

  /**
   * Where the record at {@code at} ends, when the length it starts with fits the file (the file's
   * position is then just past that length); -1 when it does not.
   */
  private static long plausibleEnd(RandomAccessFile channel, long at, long end) throws IOException {
    if (at + HEADER + 4 > end) {
      return -1;
    }
    channel.seek(at);
    int length = channel.readInt();
    return length < 4 || at + HEADER + length > end ? -1 : at + HEADER + length;
  }

  /** A checksum that covers the generation first: a record of another generation fails it. */
  private static CRC32C seeded(long generation) {
    CRC32C crc = new CRC32C();
    crc.update(java.nio.ByteBuffer.allocate(8).putLong(generation).array());
    return crc;
  }

  private static void decode(byte[] payload, Consumer<Change> sink) {
    ByteBuffer in = ByteBuffer.wrap(payload);
    int count = in.getInt();
    for (int i = 0; i < count; i++) {
      byte[] name = new byte[in.getShort() & 0xffff];
      in.get(name);
      byte[] key = new byte[in.getInt()];
      in.get(key);
      int valueLength = in.getInt();
      byte[] value = null;
      if (valueLength >= 0) {
        value = new byte[valueLength];
        in.get(value);
      }
      sink.accept(new Change(new String(name, StandardCharsets.UTF_8), key, value));
    }
  }
}
