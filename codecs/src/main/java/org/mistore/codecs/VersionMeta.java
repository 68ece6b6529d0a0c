package org.mistore.codecs;

import java.util.List;

/**
 * What is known of one committed version: size, content type, SHA-256 of the whole content, the
 * block size and each block's SHA-256 and CRC32C, creation time, the writing HG, whether it is a
 * tombstone, and the stripe width its blocks are spread over on HGs.
 *
 * @param stripes stripe width {@code k} asked for at creation (1..{@value #MAX_STRIPES}); 0 means the
 *     object's earlier choice, else the region's default
 * @param blockCrc32c each block's CRC32C, computed from the client's bytes as they came in, so that
 *     a block can be checked on its way out at a fraction of a SHA-256's cost; empty for versions
 *     written before it was kept (their blocks are checked against their SHA-256)
 */
public record VersionMeta(VersionRef ref, long size, String contentType, String sha256, int blockSize,
    List<String> blockSha256, long createdAt, String writer, boolean deleted, int stripes,
    List<Integer> blockCrc32c) {
  /** Widest stripe an object may ask for. */
  public static final int MAX_STRIPES = 32;
  /** 2^40 bytes of 64 KiB blocks: more blocks than any configured maximum size can need. */
  public static final int MAX_BLOCKS = 1 << 24;
  /** Set in the encoded stripe width when the block CRC32Cs follow it (versions stored before have none). */
  private static final int WITH_CRC32C = 1 << 30;

  public VersionMeta {
    if (ref == null || contentType == null || writer == null || blockSha256 == null || blockCrc32c == null) {
      throw new IllegalArgumentException("version meta needs a ref, content type, writer and block list");
    }
    if (size < 0 || blockSize <= 0) {
      throw new IllegalArgumentException("version meta size/block size out of range");
    }
    if (!BlockRef.isSha256(sha256) || !blockSha256.stream().allMatch(BlockRef::isSha256)) {
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
    if (!blockCrc32c.isEmpty() && blockCrc32c.size() != blockSha256.size()) {
      throw new IllegalArgumentException("version meta has " + blockCrc32c.size() + " block CRC32Cs for "
          + blockSha256.size() + " blocks");
    }
    blockSha256 = List.copyOf(blockSha256);
    blockCrc32c = List.copyOf(blockCrc32c);
  }

  /** A version whose block CRC32Cs are not known. */
  public VersionMeta(VersionRef ref, long size, String contentType, String sha256, int blockSize,
      List<String> blockSha256, long createdAt, String writer, boolean deleted, int stripes) {
    this(ref, size, contentType, sha256, blockSize, blockSha256, createdAt, writer, deleted, stripes, List.of());
  }

  /** A version that leaves the stripe width to the object's earlier choice or the region's default. */
  public VersionMeta(VersionRef ref, long size, String contentType, String sha256, int blockSize,
      List<String> blockSha256, long createdAt, String writer, boolean deleted) {
    this(ref, size, contentType, sha256, blockSize, blockSha256, createdAt, writer, deleted, 0);
  }

  /** The same content as version {@code version} of the same object (the primary numbers a write it locked itself). */
  public VersionMeta withVersion(long version) {
    return new VersionMeta(new VersionRef(ref.id(), version), size, contentType, sha256, blockSize, blockSha256,
        createdAt, writer, deleted, stripes, blockCrc32c);
  }

  /** The CRC32C of block {@code index}, or null when this version does not know it. */
  public Integer blockCrc32c(int index) {
    return blockCrc32c.isEmpty() ? null : blockCrc32c.get(index);
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
    w.writeLong(createdAt).writeString(writer).writeBoolean(deleted)
        .writeInt(blockCrc32c.isEmpty() ? stripes : stripes | WITH_CRC32C);
    blockCrc32c.forEach(w::writeInt);
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
    List<Integer> crcs = List.of();
    if ((stripes & WITH_CRC32C) != 0) {
      stripes &= ~WITH_CRC32C;
      Integer[] read = new Integer[n];
      for (int i = 0; i < n; i++) {
        read[i] = r.readInt();
      }
      crcs = java.util.Arrays.asList(read);
    }
    try {
      return new VersionMeta(ref, size, contentType, sha, blockSize, blocks, createdAt, writer, deleted, stripes,
          crcs);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("version meta: " + e.getMessage());
    }
  }
}
