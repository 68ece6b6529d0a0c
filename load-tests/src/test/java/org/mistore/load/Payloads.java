package org.mistore.load;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Object contents: pseudo-random bytes (fixed seed), in memory or in a temporary file for large ones. */
public final class Payloads {
  private Payloads() {}

  public static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A temporary file of {@code size} bytes, deleted on exit, written in 1 MiB pieces (never whole in memory). */
  public static Path file(long size, long seed) {
    try {
      Path p = Files.createTempFile("mistore-load-", ".bin");
      p.toFile().deleteOnExit();
      Random r = new Random(seed);
      byte[] chunk = new byte[1 << 20];
      try (OutputStream out = Files.newOutputStream(p)) {
        for (long left = size; left > 0; left -= chunk.length) {
          r.nextBytes(chunk);
          out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
      }
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Hex SHA-256 of a file, to check what the server says it stored. */
  public static String sha256(Path file) {
    try (var in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
