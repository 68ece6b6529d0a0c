package org.mistore.testing;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/** Deterministic pseudo-random bodies of any size, never held in memory, and their SHA-256. */
public final class Streams {
  private Streams() {
  }

  public static InputStream of(long size, long seed) {
    return new InputStream() {
      final Random random = new Random(seed);
      final byte[] chunk = new byte[65536];
      int at = chunk.length;
      long left = size;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        if (at == chunk.length) {
          random.nextBytes(chunk);
          at = 0;
        }
        int n = (int) Math.min(Math.min(len, chunk.length - at), left);
        System.arraycopy(chunk, at, b, off, n);
        at += n;
        left -= n;
        return n;
      }
    };
  }

  public static String sha256(InputStream in) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) > 0; ) {
      md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
