package org.mistore.placement;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.FailureCode;
import org.mistore.pop.PopObjectStore;
import org.mistore.pop.StoreFailure;
import org.mistore.store.BlockStore;

/**
 * Blocks read back from the HG copies of a region: copies asked one after the other (the ones up and
 * answering first), each checked against its checksum; a corrupt copy is rewritten from the good one,
 * a missing one dropped from the index and placed again. Runs on the POP's event loop.
 */
final class HgReads {
  private static final System.Logger LOG = System.getLogger(HgReads.class.getName());
  private final String self;
  private final PopObjectStore store;
  private final HgCopies hgs;
  private final Predicate<String> isUp;
  private final long readTimeoutMs;
  private final Consumer<String> queueRepair;
  /** HGs that failed to answer a read lately: asked last until then (nanos). */
  private final Map<String, Long> suspectUntil = new HashMap<>();
  private final Counter corrupt;
  private final Counter missing;
  private final Counter slow;
  private final Counter hgReads;
  private final Counter repaired;
  private final Counter repairFailures;

  HgReads(String self, PopObjectStore store, HgCopies hgs, Predicate<String> isUp, long readTimeoutMs,
      Consumer<String> queueRepair, MeterRegistry registry, Counter repaired, Counter repairFailures) {
    this.self = self;
    this.store = store;
    this.hgs = hgs;
    this.isUp = isUp;
    this.readTimeoutMs = readTimeoutMs;
    this.queueRepair = queueRepair;
    this.repaired = repaired;
    this.repairFailures = repairFailures;
    corrupt = registry.counter("mistore.blocks.corrupt", "pop", self);
    missing = registry.counter("mistore.blocks.missing", "pop", self);
    slow = registry.counter("mistore.blocks.unanswered", "pop", self);
    hgReads = registry.counter("mistore.blocks.hg.reads", "pop", self);
  }

  long corruptFound() {
    return (long) corrupt.count();
  }

  long missingFound() {
    return (long) missing.count();
  }

  /** A good copy from the given holders, best-ranked first (stable: equal ranks keep their order). */
  Future<Buffer> fromCopies(BlockRef ref, List<String> holders) {
    List<String> order = new ArrayList<>(holders);
    order.sort(java.util.Comparator.comparing(this::rank));
    return fromHgs(ref, order, 0, new ArrayList<>());
  }

  /** Copies to ask first: 0 for an HG up and answering, 1 for one that just failed to answer, 2 for one down. */
  private int rank(String hg) {
    if (!isUp.test(hg)) {
      return 2;
    }
    Long until = suspectUntil.get(hg);
    if (until != null && until < System.nanoTime()) {
      suspectUntil.remove(hg);
      until = null;
    }
    return until == null ? 0 : 1;
  }

  /**
   * A block of a committed version: the POP's own copy if it holds one, else an HG copy that passes
   * its checksum (copies tried in turn, starting at a different one per block so a read spreads over
   * the stripe). A bad copy is rewritten from the good one; a missing one is re-placed.
   */
  Future<RegionPlacement.Served> read(BlockRef ref) {
    return store.checkedBlock(ref).compose(own -> {
      if (own.isPresent()) {
        return Future.succeededFuture(new RegionPlacement.Served(own.get().data(), null, own.get().checked()));
      }
      return store.placement(ref).compose(holders -> {
        List<String> rotated = new ArrayList<>();
        int n = holders.size();
        for (int i = 0; i < n; i++) {
          rotated.add(holders.get((ref.index() + i) % n));
        }
        // Each HG copy is checked against the block's SHA-256 before it is served.
        return fromCopies(ref, rotated).map(data -> new RegionPlacement.Served(data, RegionPlacement.HG_BLOCKS, true));
      });
    });
  }

  private Future<Buffer> fromHgs(BlockRef ref, List<String> order, int at, List<String> bad) {
    if (at == order.size()) {
      // No good copy here to rewrite the corrupt ones from: they stop counting as copies, and the
      // repair that follows places good ones (from the other copy-holder) instead of them.
      bad.forEach(hg -> store.unplaced(BlockStore.key(ref), hg).onSuccess(v -> queueRepair.accept(BlockStore.key(ref))));
      return Future.failedFuture(new StoreFailure(FailureCode.UNAVAILABLE, "no good copy of block " + ref.index()
          + " of " + ref.version().id() + " v" + ref.version().version() + " is reachable (" + order.size()
          + " HG copies known)"));
    }
    String hg = order.get(at);
    hgReads.increment();
    return hgs.read(hg, ref).compose(read -> {
      switch (read.outcome()) {
        case GOOD -> {
          bad.forEach(b -> rewrite(b, ref, read.data()));
          return Future.succeededFuture(read.data());
        }
        case CORRUPT -> {
          corrupt.increment();
          LOG.log(System.Logger.Level.WARNING, "POP {0}: HG {1} holds a corrupt copy of block {2} of {3}; "
              + "reading another copy and rewriting it", self, hg, ref.index(), ref.version().id());
          bad.add(hg);
        }
        case MISSING -> {
          missing.increment();
          store.unplaced(BlockStore.key(ref), hg).onSuccess(v -> queueRepair.accept(BlockStore.key(ref)));
        }
        case FAILED -> {
          slow.increment();
          // Until the directory decides, later reads ask this HG last.
          suspectUntil.put(hg, System.nanoTime() + Math.max(5_000, 2 * readTimeoutMs) * 1_000_000L);
        }
      }
      return fromHgs(ref, order, at + 1, bad);
    });
  }

  /** Replaces a corrupt copy on an HG with good bytes (the HG checks them again). */
  private void rewrite(String hg, BlockRef ref, Buffer good) {
    hgs.store(hg, ref, good, false)
        .onSuccess(v -> repaired.increment())
        .onFailure(e -> {
          repairFailures.increment();
          store.unplaced(BlockStore.key(ref), hg).onSuccess(x -> queueRepair.accept(BlockStore.key(ref)));
        });
  }
}
