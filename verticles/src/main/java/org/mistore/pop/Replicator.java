package org.mistore.pop;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.codecs.StoreBlock;
import org.mistore.codecs.VersionMeta;
import org.mistore.directory.NodeDirectory;

/**
 * After a version commits, copies its blocks from this POP onto HGs of this POP's region, round-robin
 * over the live HGs, one copy per block, and records where each block went. It runs behind client
 * traffic: a few versions at a time, one block at a time each. A version that finds no live HG waits
 * and is tried again.
 */
final class Replicator {
  private static final System.Logger LOG = System.getLogger(Replicator.class.getName());
  private static final int VERSIONS_AT_ONCE = 2;

  private final Vertx vertx;
  private final String self;
  private final PopObjectStore store;
  private final NodeDirectory directory;
  private final ArrayDeque<VersionMeta> queue = new ArrayDeque<>();
  private final ArrayDeque<VersionMeta> waiting = new ArrayDeque<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final Counter placed;
  private int active;
  private long retryTimer = -1;

  Replicator(Vertx vertx, String self, PopObjectStore store, NodeDirectory directory, MeterRegistry registry) {
    this.vertx = vertx;
    this.self = self;
    this.store = store;
    this.directory = directory;
    registry.gauge("mistore.replication.pending.versions", List.of(io.micrometer.core.instrument.Tag.of("pop", self)),
        pending);
    placed = registry.counter("mistore.replication.blocks", "pop", self);
  }

  /** Schedules the blocks of a committed version for placement on this region's HGs. */
  void replicate(VersionMeta meta) {
    if (meta.blockCount() == 0) {
      return;
    }
    queue.add(meta);
    pending.incrementAndGet();
    pump();
  }

  private void pump() {
    while (active < VERSIONS_AT_ONCE && !queue.isEmpty()) {
      VersionMeta meta = queue.poll();
      active++;
      place(meta, 0).onComplete(done -> {
        active--;
        if (done.succeeded()) {
          pending.decrementAndGet();
        } else {
          LOG.log(System.Logger.Level.WARNING, "POP {0} keeps {1} v{2} until an HG of its region can take it: {3}",
              self, meta.ref().id(), meta.ref().version(), done.cause().getMessage());
          waiting.add(meta);
          retryLater();
        }
        pump();
      });
    }
  }

  private void retryLater() {
    if (retryTimer >= 0) {
      return;
    }
    retryTimer = vertx.setTimer(5000, t -> {
      retryTimer = -1;
      queue.addAll(waiting);
      waiting.clear();
      pump();
    });
  }

  private List<String> liveHgs() {
    return directory.up(Role.HG).stream().filter(r -> r.pop().equals(self)).map(NodeReport::nodeId).sorted().toList();
  }

  private Future<Void> place(VersionMeta meta, int index) {
    if (index == meta.blockCount()) {
      return Future.succeededFuture();
    }
    List<String> hgs = liveHgs();
    if (hgs.isEmpty()) {
      return Future.failedFuture("no live HG in the region of " + self);
    }
    int start = Math.floorMod(meta.ref().id().hashCode(), hgs.size());
    String hg = hgs.get((start + index) % hgs.size());
    BlockRef ref = meta.block(index);
    return store.block(ref)
        .compose(found -> found.map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture("block " + index + " missing at " + self)))
        .compose(data -> vertx.eventBus().request(Addresses.hg(hg, Addresses.HG_STORE_BLOCK), new StoreBlock(ref, data)))
        .compose(ack -> store.placed(ref, hg))
        .onSuccess(v -> placed.increment())
        .compose(v -> place(meta, index + 1));
  }
}
