package org.mistore.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.mapdb.DB;

/**
 * Batches writes to one store: every write queued while a batch is being made durable goes into the
 * next batch, and each write's Future completes only after the step that made its batch durable
 * (one journal record and fsync). One writer thread per file; callers on event loops never wait.
 *
 * <p>A write must check everything before it changes anything: a write that throws fails alone, but
 * what it had already put is committed with its batch.
 */
final class GroupCommit {
  private record Pending<T>(Function<DB, T> op, Promise<T> promise, Context context) {
    /** Runs the op; returns how to complete its Future once the batch is durable. */
    Runnable apply(DB db) {
      try {
        T value = op.apply(db);
        return () -> context.runOnContext(v -> promise.complete(value));
      } catch (RuntimeException e) {
        return () -> context.runOnContext(v -> promise.fail(e));
      }
    }

    void fail(Throwable cause) {
      context.runOnContext(v -> promise.fail(cause));
    }
  }

  private final Vertx vertx;
  private final DB db;
  private final WorkerExecutor writer;
  private final Queue<Pending<?>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  /** Whether a batch was asked for (by a write that does not linger, or a linger timer) since the last began. */
  private volatile boolean drainWanted;
  /** When the timer that drains what {@link #writeSoon} queued is due (nano time), 0 when none is armed. */
  private final java.util.concurrent.atomic.AtomicLong lingerUntil = new java.util.concurrent.atomic.AtomicLong();
  private static final long STALE_TIMER_NANOS = 1_000_000_000L;
  /** Set by {@link #close}: later writes fail at once instead of queuing behind a closed writer. */
  private volatile boolean closing;
  /**
   * Completed, once closing, when the writer has finished its last task (housekeeping included):
   * closing the writer interrupts a task still running, and an interrupted checkpoint fails.
   */
  private final Promise<Void> idle = Promise.promise();
  private final java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();

  private final Runnable makeDurable;
  private final Runnable afterBatch;
  private final java.util.function.BooleanSupplier batchFull;

  /**
   * {@code makeDurable} makes the changes of a batch's ops durable; {@code afterBatch} runs on the
   * writer thread once the batch's writes are answered (housekeeping such as a checkpoint, which
   * then delays only the writes queued after it); {@code batchFull} says when the changes held in
   * memory are enough for one batch.
   */
  GroupCommit(Vertx vertx, DB db, String name, Runnable makeDurable, Runnable afterBatch,
      java.util.function.BooleanSupplier batchFull) {
    this.vertx = vertx;
    this.db = db;
    this.makeDurable = makeDurable;
    this.afterBatch = afterBatch;
    this.batchFull = batchFull;
    this.writer = vertx.createSharedWorkerExecutor("mistore-commit-" + name, 1);
  }

  <T> Future<T> write(Function<DB, T> op) {
    if (closing) {
      return closingFailure();
    }
    Future<T> done = queue(op);
    drain();
    return done;
  }

  /**
   * As {@link #write}, but the batch may start up to {@code lingerMs} later, so that writes nobody
   * waits on (replication) share one fsync; a write that comes meanwhile takes it along at once.
   */
  <T> Future<T> writeSoon(Function<DB, T> op, long lingerMs) {
    if (closing) {
      return closingFailure();
    }
    Future<T> done = queue(op);
    long now = System.nanoTime();
    long armed = lingerUntil.get();
    // A timer armed long ago and never fired was cancelled with the verticle that set it: arm anew.
    if ((armed == 0 || now - armed > STALE_TIMER_NANOS) && lingerUntil.compareAndSet(armed, now + lingerMs * 1_000_000)) {
      vertx.setTimer(lingerMs, t -> {
        lingerUntil.set(0);
        if (!queue.isEmpty()) {
          drain();
        }
      });
    }
    return done;
  }

  private static <T> Future<T> closingFailure() {
    return Future.failedFuture(new StoreException("the store is closing: its node is stopping"));
  }

  /** Adds a write to the next batch, without starting one. */
  private <T> Future<T> queue(Function<DB, T> op) {
    Promise<T> promise = Promise.promise();
    queue.add(new Pending<>(op, promise, vertx.getOrCreateContext()));
    return promise.future();
  }

  private void drain() {
    drainWanted = true;
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    writer.executeBlocking(() -> {
      // Set again by any write (or linger timer) asking for a batch while this one is made.
      drainWanted = false;
      List<Pending<?>> batch = new ArrayList<>();
      List<Runnable> completions = new ArrayList<>();
      Pending<?> next;
      try {
        // A batch ends when the queue is empty or its changes hold many bytes (then the rest waits
        // for the next batch): heap stays bounded and early writes are not held back by later ones.
        while ((batch.isEmpty() || !batchFull.getAsBoolean()) && (next = queue.poll()) != null) {
          batch.add(next);
          completions.add(next.apply(db));
        }
        if (!batch.isEmpty() && batchFull.getAsBoolean() && !queue.isEmpty()) {
          // Cut short by its size: the writes left over go in the next batch, not when the next write
          // comes (they may have been queued before this batch began, which cleared the flag).
          drainWanted = true;
        }
        if (!batch.isEmpty()) {
          makeDurable.run();
          commits.incrementAndGet();
        }
      } catch (RuntimeException | Error e) {
        if (!(e instanceof StoreException)) {
          // A stopped store said why once, when it stopped; each batch refused since is no news.
          System.getLogger(GroupCommit.class.getName()).log(System.Logger.Level.ERROR, "a batch could not be made durable", e);
        }
        batch.forEach(p -> p.fail(e));
        return null;
      }
      // Durable: answer the batch now (each on its own context), then housekeeping.
      completions.forEach(Runnable::run);
      afterBatch.run();
      return null;
    }, true).onComplete(done -> {
      draining.set(false);
      if (closing && queue.isEmpty()) {
        idle.tryComplete();
      }
      if (done.failed()) {
        if (!(done.cause() instanceof StoreException)) {
          System.getLogger(GroupCommit.class.getName()).log(System.Logger.Level.ERROR, "writer failed", done.cause());
        }
        if (closing) {
          // The writer is closed: what is still queued will never run.
          Pending<?> late;
          while ((late = queue.poll()) != null) {
            late.fail(new StoreException("the store is closed: its node is stopping"));
          }
          idle.tryComplete();
          return;
        }
      }
      // Lingering writes queued meanwhile wait for their timer; the rest go at once.
      if (drainWanted && !queue.isEmpty()) {
        drain();
      }
    });
  }

  long commits() {
    return commits.get();
  }

  /**
   * Closes the writer after the writes queued so far are durable and its last task, checkpoint
   * included, has ended (never interrupting one).
   */
  Future<Void> close() {
    closing = true;
    Future<Object> last = queue(d -> null);
    drain();
    return last.transform(x -> idle.future()).transform(x -> writer.close());
  }
}
