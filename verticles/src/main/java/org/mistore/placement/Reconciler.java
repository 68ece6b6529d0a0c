package org.mistore.placement;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.VersionRef;
import org.mistore.pop.PopObjectStore;

/**
 * What an HG that is (back) up holds, against the POP's index: a block a committed version names is
 * kept (and indexed again) while the region lacks copies of it, else deleted from the HG; a block no
 * version names is deleted; an index entry the HG no longer backs is dropped and its block re-placed.
 * Runs on the POP's event loop, one block at a time.
 */
final class Reconciler {
  private static final System.Logger LOG = System.getLogger(Reconciler.class.getName());
  private final String self;
  private final PopObjectStore store;
  private final HgCopies hgs;
  private final Predicate<String> isUp;
  private final int copiesWanted;
  private final Consumer<String> queueRepair;
  private final Counter reconciledKept;
  private final Counter reconciledDeleted;
  private final java.util.ArrayDeque<String> queue = new java.util.ArrayDeque<>();
  private final java.util.Set<String> queued = new java.util.HashSet<>();
  private boolean running;

  Reconciler(String self, PopObjectStore store, HgCopies hgs, Predicate<String> isUp, int copiesWanted,
      Consumer<String> queueRepair, Counter kept, Counter deleted) {
    this.self = self;
    this.store = store;
    this.hgs = hgs;
    this.isUp = isUp;
    this.copiesWanted = copiesWanted;
    this.queueRepair = queueRepair;
    this.reconciledKept = kept;
    this.reconciledDeleted = deleted;
  }

  /**
   * An HG is (back) up: the blocks it holds that a committed version still names are kept and indexed
   * while the block lacks copies, else deleted; index entries it no longer backs are dropped and
   * re-placed.
   */
  void reconcile(String hg) {
    if (queued.add(hg)) {
      queue.add(hg);
      pump();
    }
  }

  /** One HG at a time, so two returning HGs never both count the other's copy as it goes. */
  private void pump() {
    if (running || queue.isEmpty()) {
      return;
    }
    String hg = queue.poll();
    queued.remove(hg);
    running = true;
    reconcileNow(hg).onComplete(x -> {
      running = false;
      pump();
    });
  }

  private Future<Void> reconcileNow(String hg) {
    return hgs.list(hg).compose(keys -> store.placements().compose(index -> {
      java.util.Set<String> held = new java.util.HashSet<>(keys);
      index.forEach((key, holders) -> {
        if (holders.contains(hg) && !held.contains(key)) {
          store.unplaced(key, hg).onSuccess(v -> queueRepair.accept(key));
        }
      });
      return Windowed.run(keys.size(), 1, i -> reconcileOne(hg, keys.get(i)).map(true)).<Void>mapEmpty();
    })).onFailure(e -> LOG.log(System.Logger.Level.INFO, "POP {0}: reconciling HG {1} failed: {2}", self, hg,
        e.getMessage())).recover(e -> Future.succeededFuture());
  }

  private Future<Void> reconcileOne(String hg, String key) {
    return store.refOf(key).compose(ref -> {
      if (ref.isEmpty()) {
        return parse(key).map(r -> hgs.delete(hg, r).onSuccess(v -> reconciledDeleted.increment()))
            .orElse(Future.succeededFuture());
      }
      // The index as it is now, not as it was when the pass began.
      return store.placement(ref.get()).compose(holders -> keepOrDelete(hg, key, ref.get(), holders));
    }).recover(e -> Future.succeededFuture());
  }

  private Future<Void> keepOrDelete(String hg, String key, BlockRef ref, List<String> holders) {
    long others = holders.stream().filter(h -> !h.equals(hg) && isUp.test(h)).count();
    if (others >= copiesWanted) {
      // Out of the index first: a read never goes to a copy being deleted.
      return (holders.contains(hg) ? store.unplaced(key, hg) : Future.<Void>succeededFuture())
          .compose(v -> hgs.delete(hg, ref))
          .onSuccess(v -> reconciledDeleted.increment());
    }
    if (holders.contains(hg)) {
      reconciledKept.increment();
      return Future.succeededFuture();
    }
    // A copy the index does not name (it was dropped from it, perhaps as corrupt) is checked before
    // it counts again: a bad one is deleted and the block repaired.
    return hgs.read(hg, ref).compose(read -> switch (read.outcome()) {
      case GOOD -> store.placed(ref, hg).onSuccess(v -> reconciledKept.increment());
      case CORRUPT -> hgs.delete(hg, ref).onSuccess(v -> {
        reconciledDeleted.increment();
        queueRepair.accept(key);
      });
      default -> Future.<Void>succeededFuture();
    });
  }

  /** A ref naming a block key (length unknown: only for deletion, which goes by key). */
  private static Optional<BlockRef> parse(String key) {
    String[] p = key.split("/");
    try {
      return Optional.of(new BlockRef(new VersionRef(ObjectId.parse(p[0]),
          Long.parseLong(p[1])), Integer.parseInt(p[2]), 0, p[3]));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
