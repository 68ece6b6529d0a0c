package org.mistore.lock;

import io.vertx.core.Future;
import org.mistore.codecs.LockGrant;

/** Where the primary's lock table copies its grants and releases: the object's backup POP. */
public interface LockMirror {
  /** Completes when the backup knows the grant (and has its fence durably). A failure fails the grant. */
  Future<Void> granted(LockGrant grant, long ttlMs);

  /** Best effort: a lost release only makes the backup honour a freed lease until its TTL. */
  void released(LockGrant grant);
}
