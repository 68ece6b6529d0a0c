package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 over Vert.x buffers without copying them (blocks are up to 8 MiB; an HG may have 64 MiB of heap). */
public final class Checksums {
  private Checksums() {
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Feeds {@code data} to {@code digest} through a view of its bytes. */
  public static void update(MessageDigest digest, Buffer data) {
    digest.update(((BufferInternal) data).getByteBuf().nioBuffer());
  }

  /** Whether {@code data} (may be null) has {@code length} bytes and the lower-case hex {@code sha256}. */
  public static boolean matches(Buffer data, long length, String sha256) {
    return data != null && data.length() == length && sha256(data).equals(sha256);
  }

  /** Lower-case hex SHA-256 of {@code data}. */
  public static String sha256(Buffer data) {
    MessageDigest digest = sha256();
    update(digest, data);
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Data up to this size is hashed on the calling thread: a worker hop costs more than its hash. */
  public static final int HASH_INLINE_BYTES = 16 * 1024;

  /**
   * As {@link #sha256(Buffer)}, off the event loop for data over {@link #HASH_INLINE_BYTES}: on a
   * worker thread, unordered, so blocks in flight are hashed side by side. Completes on the caller's context.
   */
  public static Future<String> sha256(Vertx vertx, Buffer data) {
    return data.length() <= HASH_INLINE_BYTES ? Future.succeededFuture(sha256(data))
        : vertx.executeBlocking(() -> sha256(data), false);
  }

  /** The CRC32C of {@code data}, read through a view of its bytes. */
  public static int crc32c(Buffer data) {
    return crc32c(((BufferInternal) data).getByteBuf().nioBuffer());
  }

  /** The CRC32C of the bytes {@code data} has left (its position moves to its limit). */
  public static int crc32c(java.nio.ByteBuffer data) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(data);
    return (int) crc.getValue();
  }

  /**
   * A nonce naming this process: a block's bytes checked here and handed over in this process, by
   * reference, need no second check (see {@code Addresses.HEADER_CHECKED_IN}); bytes that crossed the
   * network come from a process with another nonce.
   */
  public static final String PROCESS = java.util.UUID.randomUUID().toString();

  /** Data up to this size is given its CRC32C on the calling thread (about 0.1 ms a MiB here). */
  public static final int CRC_INLINE_BYTES = 1 << 20;

  /**
   * Whether {@code data} (may be null) has {@code length} bytes and the CRC32C {@code crc32c}; on the
   * calling thread up to {@link #CRC_INLINE_BYTES} (a worker hop cost large downloads about a tenth of
   * their rate, and the bytes are still in the CPU's cache when they are sent), on a worker beyond.
   */
  public static Future<Boolean> matchesCrc32c(Vertx vertx, Buffer data, long length, int crc32c) {
    if (data == null || data.length() != length) {
      return Future.succeededFuture(false);
    }
    return data.length() <= CRC_INLINE_BYTES ? Future.succeededFuture(crc32c(data) == crc32c)
        : vertx.executeBlocking(() -> crc32c(data) == crc32c, false);
  }

  /** As {@link #matches(Buffer, long, String)}, off the event loop like {@link #sha256(Vertx, Buffer)}. */
  public static Future<Boolean> matches(Vertx vertx, Buffer data, long length, String sha256) {
    return data == null || data.length() <= HASH_INLINE_BYTES ? Future.succeededFuture(matches(data, length, sha256))
        : vertx.executeBlocking(() -> matches(data, length, sha256), false);
  }
}
