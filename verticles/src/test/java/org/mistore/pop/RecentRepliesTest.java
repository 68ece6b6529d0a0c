package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.OwedReply;
import org.mistore.codecs.VersionRef;

/** Replies sent during the failure-detection time, remembered per HG for the case it was dying unseen. */
class RecentRepliesTest {
  private final AtomicLong clock = new AtomicLong(10_000);

  private OwedReply sent(String hg, String requestId) {
    return new OwedReply(hg, requestId, new VersionRef(ObjectId.parse("pop-1.pop-2.hg-1-1.1"), 2), 1, "c".repeat(64),
        false, clock.get());
  }

  @Test
  void onlyRepliesInsideTheWindowAreTakenAndEachOnce() {
    RecentReplies recent = new RecentReplies(5000, 100, clock::get);
    recent.remember(sent("hg-1", "early"));
    clock.addAndGet(3000);
    recent.remember(sent("hg-1", "late"));
    recent.remember(sent("hg-2", "other"));
    clock.addAndGet(2500);
    assertThat(recent.take("hg-1")).extracting(OwedReply::requestId).containsExactly("late");
    assertThat(recent.take("hg-1")).isEmpty();
    clock.addAndGet(3000);
    recent.prune();
    assertThat(recent.take("hg-2")).as("left the window").isEmpty();
  }

  @Test
  void eachHgKeepsItsNewestRepliesUpToTheBound() {
    RecentReplies recent = new RecentReplies(5000, 2, clock::get);
    for (int i = 1; i <= 4; i++) {
      recent.remember(sent("hg-1", "r" + i));
    }
    assertThat(recent.take("hg-1")).extracting(OwedReply::requestId).containsExactly("r3", "r4");
  }
}
