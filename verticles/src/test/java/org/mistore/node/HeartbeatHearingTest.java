package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.multimap.MultiMap;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.directory.NodeDirectory;
import org.mistore.directory.NodeStatus;
import org.mistore.testing.Eventually;
import org.mistore.testing.TwoMembers;

/**
 * A directory on one member of a real two-member Hazelcast cluster, hearing the heartbeats the other
 * member publishes. The event bus's record of who listens on the heartbeat address is the boundary
 * where the fault is put in.
 */
class HeartbeatHearingTest {
  private static final long DETECTION_MS = 600;
  private TwoMembers cluster;
  private ClusterBootstrap.Booted a;
  private ClusterBootstrap.Booted b;
  private NodeDirectory directory;

  @BeforeEach
  void cluster() {
    cluster = TwoMembers.start("hearing");
    a = cluster.a;
    b = cluster.b;
    directory = new NodeDirectory(a.vertx(), DETECTION_MS, a::peers);
    directory.start().await();
  }

  @AfterEach
  void close() {
    try {
      if (directory != null) {
        directory.stop().await();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  private void publishFromB() {
    b.vertx().eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, new NodeReport("pop-2", Role.POP, "south", "",
        b.memberId(), 100, 10, 1, System.currentTimeMillis()));
  }

  private boolean pop2Is(NodeStatus status) {
    return directory.find(Role.POP, "pop-2").map(e -> e.status() == status).orElse(false);
  }

  @Test
  void aNodeWhoseHeartbeatSubscriptionWasLostSubscribesAgainAndHearsItsPeerOnceMore() {
    long beats = b.vertx().setPeriodic(100, id -> publishFromB());
    try {
      Eventually.await("pop-2 heard", Duration.ofSeconds(10), () -> pop2Is(NodeStatus.UP));
      // The cluster forgets that a listens to heartbeats: b's publishes stop reaching it.
      MultiMap<String, HazelcastRegistrationInfo> subs = b.hazelcast().getMultiMap("__vertx.subs");
      String busNodeOfA = a.hazelcast().getCluster().getLocalMember().getAttribute("__vertx.nodeId");
      int removed = 0;
      for (HazelcastRegistrationInfo info : subs.get(Addresses.DIRECTORY_HEARTBEAT)) {
        if (info.unwrap().nodeId().equals(busNodeOfA)) {
          removed += subs.remove(Addresses.DIRECTORY_HEARTBEAT, info) ? 1 : 0;
        }
      }
      assertThat(removed).isEqualTo(1);
      Eventually.await("pop-2 held down once unheard", Duration.ofSeconds(10), () -> pop2Is(NodeStatus.DOWN));
      long tookMs = Eventually.await("pop-2 heard again", Duration.ofSeconds(20), () -> pop2Is(NodeStatus.UP));
      assertThat(tookMs).as("renewal waits one failure-detection time of silence").isGreaterThanOrEqualTo(DETECTION_MS / 2);
      assertThat(subs.get(Addresses.DIRECTORY_HEARTBEAT)).extracting(i -> i.unwrap().nodeId()).contains(busNodeOfA);
      assertThat(directory.deafness()).isEmpty();
    } finally {
      b.vertx().cancelTimer(beats);
    }
  }

  @Test
  void aKnownNodeSilentWhileItsMemberStaysInTheClusterIsReportedAsDeafnessUntilHeardAgain() {
    publishFromB();
    Eventually.await("pop-2 heard", Duration.ofSeconds(10), () -> pop2Is(NodeStatus.UP));
    assertThat(directory.deafness()).isEmpty();
    // b stays a member but its heartbeats stop: after four detection times that is this node not hearing.
    String why = Eventually.value("deafness told", Duration.ofSeconds(20), () -> directory.deafness().orElse(""),
        s -> !s.isEmpty());
    assertThat(why).contains("pop-2 at 127.0.0.1:" + cluster.portB).contains("503");
    publishFromB();
    Eventually.await("deafness over once heard", Duration.ofSeconds(10), () -> directory.deafness().isEmpty());
  }
}
