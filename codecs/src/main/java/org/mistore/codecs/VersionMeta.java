package org.mistore.codecs;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What is known of one committed version: size, content type, SHA-256 of the whole content, the
 * block size and each block's SHA-256, creation time, the writing HG, whether it is a tombstone, and
 * the stripe width its blocks are spread over on HGs.
 *
 * @param stripes stripe width {@code k} asked for at creation (1..{@value #MAX_STRIPES}); 0 means the
 *     object's earlier choice, else the region's default
 */
public record VersionMeta(VersionRef ref, long size, String contentType, String sha256, int blockSize,
    List<String> blockSha256, long createdAt, String writer, boolean deleted, int stripes) {
  /** Widest stripe an object may ask for. */
  public static final int MAX_STRIPES = 32;
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  /** 2^40 bytes of 64 KiB blocks: more blocks than any configured maximum size can need. */
  public static final int MAX_BLOCKS = 1 << 24;

  public VersionMeta {
    if (ref == null || contentType == null || writer == null || blockSha256 == null) {
      throw new IllegalArgumentException("version meta needs a ref, content type, writer and block list");
    }
    if (size < 0 || blockSize <= 0) {
      throw new IllegalArgumentException("version meta size/block size out of range");
    }
    if (!HEX64.matcher(sha256).matches() || !blockSha256.stream().allMatch(h -> HEX64.matcher(h).matches())) {
      throw new IllegalArgumentException("version meta checksums are not 64 lower-case hex digits");
    }
    long expectedBlocks = (size + blockSize - 1) / blockSize;
    if (blockSha256.size() != expectedBlocks) {
      throw new IllegalArgumentException("version meta has " + blockSha256.size() + " blocks, size needs "
          + expectedBlocks);
    }
    if (stripes < 0 || stripes > MAX_STRIPES) {
      throw new IllegalArgumentException("stripe width " + stripes + " is outside 0.." + MAX_STRIPES);
    }
    blockSha256 = List.copyOf(blockSha256);
  }

  /** A version that leaves the stripe width to the object's earlier choice or the region's default. */
  public VersionMeta(VersionRef ref, long size, String contentType, String sha256, int blockSize,
      List<String> blockSha256, long createdAt, String writer, boolean deleted) {
    this(ref, size, contentType, sha256, blockSize, blockSha256, createdAt, writer, deleted, 0);
  }

  /** The same content as version {@code version} of the same object (the primary numbers a write it locked itself). */
  public VersionMeta withVersion(long version) {
    return new VersionMeta(new VersionRef(ref.id(), version), size, contentType, sha256, blockSize, blockSha256,
        createdAt, writer, deleted, stripes);
  }

  public int blockCount() {
    return blockSha256.size();
  }

  /** Length of block {@code index}. */
  public int blockLength(int index) {
    long start = (long) index * blockSize;
    return (int) Math.min(blockSize, size - start);
  }

  public BlockRef block(int index) {
    return new BlockRef(ref, index, blockLength(index), blockSha256.get(index));
  }

  void write(WireWriter w) {
    ref.write(w);
    w.writeLong(size).writeString(contentType).writeString(sha256).writeInt(blockSize).writeInt(blockSha256.size());
    blockSha256.forEach(w::writeString);
    w.writeLong(createdAt).writeString(writer).writeBoolean(deleted).writeInt(stripes);
  }

  static VersionMeta read(WireReader r) {
    VersionRef ref = VersionRef.read(r);
    long size = r.readLong();
    String contentType = r.readString();
    String sha = r.readString();
    int blockSize = r.readInt();
    int n = r.readCount(MAX_BLOCKS, "block");
    List<String> blocks = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      blocks.add(r.readString());
    }
    long createdAt = r.readLong();
    String writer = r.readString();
    boolean deleted = r.readBoolean();
    int stripes = r.readInt();
    try {
      return new VersionMeta(ref, size, contentType, sha, blockSize, blocks, createdAt, writer, deleted, stripes);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("version meta: " + e.getMessage());
    }
  }
}
