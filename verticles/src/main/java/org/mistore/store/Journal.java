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
 */
final class Journal implements AutoCloseable {
  /** One map change: {@code value} null means the key was removed. */
  record Change(String map, byte[] key, byte[] value) {
  }

  /** The length before a payload and the checksum after it. */
  private static final int HEADER = 8;

  private final Path file;
  // RandomAccessFile, not FileChannel: an interrupted writer thread must not close the log.
  private RandomAccessFile channel;
  /** Writes at the file's position, through the same descriptor. */
  private FileOutputStream stream;
  private long size;
  /** The maps the log held changes of when it was opened. */
  private final Set<String> openedWith;

  private Journal(Path file, RandomAccessFile channel, long size, Set<String> openedWith) throws IOException {
    this.file = file;
    this.channel = channel;
    this.stream = new FileOutputStream(channel.getFD());
    this.size = size;
    this.openedWith = openedWith;
  }

  /** Opens the log, cutting off a torn last record (never acknowledged). */
  static Journal open(Path file) throws IOException {
    RandomAccessFile channel = new RandomAccessFile(file.toFile(), "rw");
    Set<String> maps = new java.util.HashSet<>();
    long valid = scan(channel, c -> maps.add(c.map()));
    if (valid < channel.length()) {
      channel.setLength(valid);
      channel.getFD().sync();
    }
    return new Journal(file, channel, valid, Set.copyOf(maps));
  }

  /** The maps whose changes the log held when it was opened (found by the scan that validated it). */
  Set<String> mapsAtOpen() {
    return openedWith;
  }

  /** Bytes of records since the last checkpoint. */
  long size() {
    return size;
  }

  /** Every change recorded since the last checkpoint, in order. */
  void replay(Consumer<Change> sink) throws IOException {
    scan(channel, sink);
  }

  /** Appends one record of changes and forces it to disk; returns when it is durable. */
  void append(List<Change> changes) throws IOException {
    long at = write(channel, stream, size, changes);
    channel.getFD().sync();
    size = at;
  }

  /**
   * Writes one record at {@code at}: {@code [length][payload][CRC-32C of payload]}, the payload
   * streamed (a record of many blocks is never copied whole). Returns where it ends.
   */
  private static long write(RandomAccessFile to, FileOutputStream stream, long at, List<Change> changes)
      throws IOException {
    long length = 4;
    for (Change c : changes) {
      length += 2 + c.map().getBytes(StandardCharsets.UTF_8).length + 4 + c.key().length + 4
          + (c.value() == null ? 0 : c.value().length);
    }
    if (length > Integer.MAX_VALUE - HEADER) {
      throw new IOException("a journal record of " + length + " bytes is too large");
    }
    to.seek(at);
    CRC32C crc = new CRC32C();
    DataOutputStream raw = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
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
    if (keep.isEmpty()) {
      channel.setLength(0);
      channel.getFD().sync();
      size = 0;
      return;
    }
    List<Change> kept = new ArrayList<>();
    scan(channel, c -> {
      if (keep.contains(c.map())) {
        kept.add(c);
      }
    });
    Path next = file.resolveSibling(file.getFileName() + ".next");
    long written = 0;
    try (RandomAccessFile out = new RandomAccessFile(next.toFile(), "rw")) {
      out.setLength(0);
      if (!kept.isEmpty()) {
        written = write(out, new FileOutputStream(out.getFD()), 0, kept);
      }
      out.getFD().sync();
    }
    channel.close();
    // A crash before the move leaves the old log, a superset: replaying it again is harmless.
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    channel = new RandomAccessFile(file.toFile(), "rw");
    stream = new FileOutputStream(channel.getFD());
    size = written;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Reads records from the start; returns where the valid ones end. */
  private static long scan(RandomAccessFile channel, Consumer<Change> sink) throws IOException {
    long end = channel.length();
    long at = 0;
    while (at + HEADER + 4 <= end) {
      channel.seek(at);
      int length = channel.readInt();
      if (length < 4 || at + HEADER + length > end) {
        break;
      }
      byte[] payload = new byte[length];
      channel.readFully(payload);
      int expected = channel.readInt();
      CRC32C crc = new CRC32C();
      crc.update(payload);
      if ((int) crc.getValue() != expected) {
        break;
      }
      if (sink != null) {
        decode(payload, sink);
      }
      at += HEADER + length;
    }
    return at;
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
