package org.mistore.lock;

import io.vertx.core.Future;
import org.mistore.codecs.ObjectId;

/** Durable per-object fence counters: they only rise, across restarts and takeovers. */
public interface FenceStore {
  /** The next fence of {@code id}, strictly above every fence given or recorded before; durable when completed. */
  Future<Long> nextFence(ObjectId id);

  /** Raises the stored fence of {@code id} to at least {@code fence} (a mirrored grant); durable when completed. */
  Future<Long> recordFence(ObjectId id, long fence);

  Future<Long> currentFence(ObjectId id);
}
