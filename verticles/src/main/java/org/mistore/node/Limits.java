package org.mistore.node;

/** Sizes, leases and waits every role and the API enforce; see {@link NodeSettings} for keys and defaults. */
public record Limits(int blockSize, long maxObjectBytes, long lockDefaultTtlMs, long lockMaxTtlMs,
    long lockWaitDefaultMs, long lockMaxWaitMs, int blocksInFlight, int webSocketMaxBytes,
    long hgCacheBytes, long popCacheBytes, int hgCopies, int stripes, boolean popKeepsBlocks, long hgReadTimeoutMs,
    int repairBlocksInFlight, int owedRepliesPerHg, long owedRepliesTtlMs, long uploadIdleMs,
    long checkpointMs, int webSocketMaxInFlight, long placementBusyBytesPerSecond, long catchUpBlockWaitMs, long uploadStallMs,
    long uploadBufferBytes, long downloadStallMs) {

  /**
   * These limits for a JVM of {@code heapBytes} running {@code pops} POPs and {@code hgs} HGs, whose
   * caches share that heap: each POP's transit cache keeps at most an eighth of it, divided among
   * the POPs, and each HG's owner cache at most a sixteenth divided among the HGs (a dev cluster runs
   * 3 POPs and 12 HGs in one JVM, whose default caches took more than a 256 MiB heap). A smaller
   * setting than its share is kept; a larger one is capped, with a WARNING.
   */
  public Limits sharingHeap(long heapBytes, long pops, long hgs) {
    // A JVM without POPs has no transit cache to cap (nor an HG without HGs an owner cache).
    long pop = pops > 0 ? capped("pop-cache-bytes", popCacheBytes, heapBytes, 8, pops, "POP transit") : popCacheBytes;
    // One HG alone is capped where its gateway is built (org.mistore.api.Gateways), as before.
    long hg = hgs > 1 ? capped("hg-cache-bytes", hgCacheBytes, heapBytes, 16, hgs, "HG owner")
        : hgCacheBytes;
    return new Limits(blockSize, maxObjectBytes, lockDefaultTtlMs, lockMaxTtlMs, lockWaitDefaultMs, lockMaxWaitMs,
        blocksInFlight, webSocketMaxBytes, hg, pop, hgCopies, stripes, popKeepsBlocks, hgReadTimeoutMs,
        repairBlocksInFlight, owedRepliesPerHg, owedRepliesTtlMs, uploadIdleMs, checkpointMs, webSocketMaxInFlight,
        placementBusyBytesPerSecond, catchUpBlockWaitMs, uploadStallMs, uploadBufferBytes, downloadStallMs);
  }

  /** {@code wanted}, or the share of {@code heapBytes / fraction} each of {@code sharers} caches gets when smaller. */
  private static long capped(String key, long wanted, long heapBytes, int fraction, long sharers, String cache) {
    long share = heapBytes / fraction / Math.max(1, sharers);
    if (wanted <= share) {
      return wanted;
    }
    System.getLogger(Limits.class.getName()).log(System.Logger.Level.WARNING, key + " " + wanted + " is over 1/"
        + fraction + " of the heap (-Xmx " + heapBytes + " bytes)"
        + (sharers > 1 ? " shared by the " + sharers + " " + cache + " caches of this JVM" : "") + ": each "
        + cache + " cache keeps at most " + share + " bytes");
    return share;
  }
}
