package org.mistore.codecs;

import java.util.ArrayList;
import java.util.List;

/**
 * Request to store several small blocks durably in one go (one message and one HG batch for all);
 * the HG answers with one outcome per block, in order.
 */
public record StoreBlocks(List<StoreBlock> blocks) {
  /** Most blocks in one request. */
  public static final int MAX_BLOCKS = 256;

  public StoreBlocks {
    if (blocks == null || blocks.isEmpty() || blocks.size() > MAX_BLOCKS) {
      throw new IllegalArgumentException("store-blocks holds 1.." + MAX_BLOCKS + " blocks");
    }
    blocks = List.copyOf(blocks);
  }

  StoreBlocks copy() {
    return new StoreBlocks(blocks.stream().map(StoreBlock::copy).toList());
  }

  void write(WireWriter w) {
    w.writeInt(blocks.size());
    blocks.forEach(b -> b.write(w));
  }

  static StoreBlocks read(WireReader r) {
    int n = r.readCount(MAX_BLOCKS, "block");
    List<StoreBlock> blocks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      blocks.add(StoreBlock.read(r));
    }
    try {
      return new StoreBlocks(blocks);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("store-blocks: " + e.getMessage());
    }
  }
}
