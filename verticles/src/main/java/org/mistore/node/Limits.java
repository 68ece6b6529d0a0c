package org.mistore.node;

/** Sizes, leases and waits every role and the API enforce; see {@link NodeSettings} for keys and defaults. */
public record Limits(int blockSize, long maxObjectBytes, long lockDefaultTtlMs, long lockMaxTtlMs,
    long lockWaitDefaultMs, long lockMaxWaitMs, int blocksInFlight, int webSocketMaxBytes,
    long hgCacheBytes, long popCacheBytes, int hgCopies, int stripes, boolean popKeepsBlocks, long hgReadTimeoutMs,
    int repairBlocksInFlight, int owedRepliesPerHg, long owedRepliesTtlMs, long uploadIdleMs,
    long checkpointMs, int webSocketMaxInFlight, long placementBusyBytesPerSecond, long catchUpBlockWaitMs, long uploadStallMs,
    long uploadBufferBytes) {
}
