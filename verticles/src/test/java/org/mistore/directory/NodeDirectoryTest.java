package org.mistore.directory;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.Codecs;
import org.mistore.codecs.NodeReport;
import org.mistore.codecs.Role;
import org.mistore.testing.Eventually;

@ExtendWith(VertxExtension.class)
class NodeDirectoryTest {

  private static NodeReport report(String id, Role role, String member, long sentAt) {
    return new NodeReport(id, role, "region-1", role == Role.HG ? "pop-1" : "", member, 100, 10, 1, sentAt);
  }

  @Test
  void publishedHeartbeatsMakeNodesUpAndSilenceMakesThemDown(Vertx vertx) {
    Codecs.registerAll(vertx);
    NodeDirectory directory = new NodeDirectory(vertx, 400);
    List<String> downs = new CopyOnWriteArrayList<>();
    directory.onDown(e -> downs.add(e.report().nodeId()));
    directory.start().await();
    vertx.eventBus().publish(Addresses.DIRECTORY_HEARTBEAT, report("pop-1", Role.POP, "m1", 1));
    Eventually.await("pop-1 up", Duration.ofSeconds(2),
        () -> directory.find(Role.POP, "pop-1").map(e -> e.status() == NodeStatus.UP).orElse(false));
    long tookMs = Eventually.await("pop-1 down", Duration.ofSeconds(3),
        () -> directory.find(Role.POP, "pop-1").map(e -> e.status() == NodeStatus.DOWN).orElse(false));
    assertThat(tookMs).isGreaterThanOrEqualTo(300);
    assertThat(downs).containsExactly("pop-1");
    directory.stop().await();
  }

  @Test
  void memberLeavingTakesDownEveryRoleItHostedAtOnce(Vertx vertx) {
    NodeDirectory directory = new NodeDirectory(vertx, 60_000);
    directory.heard(report("pop-1", Role.POP, "m1", 1));
    directory.heard(report("hg-1", Role.HG, "m1", 1));
    directory.heard(report("dc-1", Role.DC, "m2", 1));
    directory.memberLeft("m1");
    assertThat(directory.up(Role.POP)).isEmpty();
    assertThat(directory.up(Role.HG)).isEmpty();
    assertThat(directory.up(Role.DC)).extracting(NodeReport::nodeId).containsExactly("dc-1");
  }

  @Test
  void anOlderReportArrivingLateDoesNotReplaceANewerOne(Vertx vertx) {
    NodeDirectory directory = new NodeDirectory(vertx, 60_000);
    NodeReport newer = new NodeReport("hg-1", Role.HG, "region-1", "pop-1", "m", 100, 50, 1, 20);
    NodeReport older = new NodeReport("hg-1", Role.HG, "region-1", "pop-1", "m", 100, 10, 1, 10);
    directory.heard(newer);
    directory.heard(older);
    assertThat(directory.find(Role.HG, "hg-1")).get().extracting(DirectoryEntry::report).isEqualTo(newer);
    NodeReport restarted = new NodeReport("hg-1", Role.HG, "region-1", "pop-1", "m", 100, 0, 2, 5);
    directory.heard(restarted);
    assertThat(directory.find(Role.HG, "hg-1")).get().extracting(DirectoryEntry::report).isEqualTo(restarted);
  }
}
