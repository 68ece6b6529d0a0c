package org.mistore.testing;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Damage done to a store's block files from outside, as a failing disk would. */
public final class BlockFiles {
  private BlockFiles() {
  }

  /**
   * Flips one bit of a byte inside every copy of {@code block} found in the files of {@code folder}
   * (a store may hold more than one: a copy no longer indexed stays in its file until compaction).
   */
  public static void flipAByteOf(byte[] block, Path folder) throws Exception {
    int inside = block.length / 2;
    int flipped = 0;
    try (var files = Files.list(folder)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        byte[] all = Files.readAllBytes(f);
        for (int at = 0; at + block.length <= all.length; at++) {
          if (Arrays.equals(all, at, at + block.length, block, 0, block.length)) {
            try (RandomAccessFile out = new RandomAccessFile(f.toFile(), "rw")) {
              out.seek(at + inside);
              out.write(block[inside] ^ 0x40);
            }
            flipped++;
            at += block.length - 1;
          }
        }
      }
    }
    if (flipped == 0) {
      throw new AssertionError("block not found in " + folder);
    }
  }
}
