package org.mistore.pop;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.mistore.codecs.OwedReply;

/**
 * The results a POP replied to its HGs during the last {@code windowMs} (about the failure-detection
 * time), at most {@code perHg} per HG, in memory. A reply to an HG that had died but was not yet
 * known dead is lost on the way; when the HG is then seen down (or restarted), these are the replies
 * it may never have had. Used on one event loop.
 */
final class RecentReplies {
  private final Map<String, ArrayDeque<OwedReply>> byHg = new HashMap<>();
  private final long windowMs;
  private final int perHg;
  private final LongSupplier clock;

  RecentReplies(long windowMs, int perHg, LongSupplier clock) {
    this.windowMs = windowMs;
    this.perHg = perHg;
    this.clock = clock;
  }

  /** Remembers a reply sent now ({@link OwedReply#keptAt()} is when it was sent). */
  void remember(OwedReply reply) {
    ArrayDeque<OwedReply> replies = byHg.computeIfAbsent(reply.hg(), k -> new ArrayDeque<>());
    replies.addLast(reply);
    while (replies.size() > perHg) {
      replies.pollFirst();
    }
    prune(replies);
  }

  /** The replies sent to {@code hg} within the window, oldest first; forgets them. */
  List<OwedReply> take(String hg) {
    ArrayDeque<OwedReply> replies = byHg.remove(hg);
    if (replies == null) {
      return List.of();
    }
    prune(replies);
    return List.copyOf(replies);
  }

  /** Forgets what left the window. */
  void prune() {
    byHg.values().removeIf(replies -> {
      prune(replies);
      return replies.isEmpty();
    });
  }

  private void prune(ArrayDeque<OwedReply> replies) {
    long from = clock.getAsLong() - windowMs;
    while (!replies.isEmpty() && replies.peekFirst().keptAt() < from) {
      replies.pollFirst();
    }
  }
}
