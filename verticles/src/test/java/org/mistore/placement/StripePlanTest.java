package org.mistore.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StripePlanTest {
  private static List<StripePlan.Candidate> hgs(int n, long free) {
    return IntStream.rangeClosed(1, n).mapToObj(i -> new StripePlan.Candidate("hg-" + i, free)).toList();
  }

  @Test
  void theCopiesOfEveryBlockGoToDistinctStripeMembersRoundRobin() {
    StripePlan plan = StripePlan.of(hgs(6, 1 << 30), 4, 7, 1 << 20);
    assertThat(plan.stripe()).hasSize(4).doesNotHaveDuplicates();
    Set<String> firstCopies = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      List<String> order = plan.order(i);
      assertThat(order).hasSize(6).doesNotHaveDuplicates();
      assertThat(order.subList(0, 2)).allMatch(plan.stripe()::contains);
      assertThat(order.get(0)).isEqualTo(plan.stripe().get(i % 4));
      firstCopies.add(order.get(0));
    }
    assertThat(firstCopies).containsExactlyInAnyOrderElementsOf(plan.stripe());
  }

  @Test
  void theStripeIsNeverWiderThanTheLiveHgsAndSkipsHgsWithoutRoom() {
    assertThat(StripePlan.of(hgs(3, 1 << 30), 20, 0, 1 << 20).stripe()).hasSize(3);
    List<StripePlan.Candidate> live = List.of(new StripePlan.Candidate("hg-1", 0),
        new StripePlan.Candidate("hg-2", 1 << 30), new StripePlan.Candidate("hg-3", 100),
        new StripePlan.Candidate("hg-4", 1 << 30));
    for (int spread = 0; spread < 4; spread++) {
      StripePlan plan = StripePlan.of(live, 2, spread, 1 << 20);
      assertThat(plan.stripe()).containsExactlyInAnyOrder("hg-2", "hg-4");
      assertThat(StripePlan.withRoomFirst(live, spread, 1 << 20).subList(0, 2))
          .containsExactlyInAnyOrder("hg-2", "hg-4");
    }
  }

  @Test
  void objectsStartTheirStripesOnDifferentHgs() {
    Set<String> starts = new HashSet<>();
    for (int spread = 0; spread < 6; spread++) {
      starts.add(StripePlan.of(hgs(6, 1 << 30), 4, spread, 1).stripe().get(0));
    }
    assertThat(starts).hasSize(6);
  }
}
