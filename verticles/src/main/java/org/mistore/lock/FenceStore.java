package org.mistore.lock;

import io.vertx.core.Future;
import org.mistore.codecs.ObjectId;

/**
 * Per-object fence counters that only rise, across restarts and takeovers. Fences are handed out
 * from ranges whose upper end (the ceiling) is made durable before the first fence of the range is
 * given, so most grants cost no disk write; a restarted or taking-over POP starts above the ceiling.
 */
public interface FenceStore {
  /** The next fence of {@code id}, strictly above every fence given before. */
  Future<Long> nextFence(ObjectId id);

  /** The durable ceiling of {@code id}: no fence above it was ever given here. */
  long ceiling(ObjectId id);

  /** Raises the durable ceiling of {@code id} to at least {@code ceiling} (the backup's copy of the primary's). */
  Future<Void> recordCeiling(ObjectId id, long ceiling);

  /** The latest fence of {@code id} (carried by read grants). */
  Future<Long> currentFence(ObjectId id);
}
