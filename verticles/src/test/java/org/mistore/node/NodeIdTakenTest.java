package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mistore.testing.Ports;

/** A second member with a node id already in the cluster is refused before it serves anything. */
class NodeIdTakenTest {
  private final List<ClusterBootstrap.Booted> started = new ArrayList<>();

  @AfterEach
  void close() {
    started.forEach(ClusterBootstrap.Booted::close);
  }

  private static NodeSettings member(String id, String cluster, int port, String members) {
    return NodeSettings.from(new JsonObject().put("roles", "pop").put("id", id).put("region", "test")
        .put("cluster-name", cluster).put("cluster-port", port).put("members", members)
        .put("failure-detection-ms", 1000).put("heartbeat-interval-ms", 250));
  }

  @Test
  void aSecondNodeWithATakenIdIsRefusedAndAnotherIdJoins() {
    String cluster = "ids-" + UUID.randomUUID().toString().substring(0, 8);
    int portA = Ports.free();
    int portB = Ports.free();
    int portC = Ports.free();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB + ",127.0.0.1:" + portC;
    started.add(ClusterBootstrap.clustered(member("pop-1", cluster, portA, members), m -> { }));

    assertThatThrownBy(() -> started.add(ClusterBootstrap.clustered(member("pop-1", cluster, portB, members), m -> { })))
        .isInstanceOf(StartupException.class)
        .hasMessage("node id pop-1 is taken: the cluster member at 127.0.0.1:" + portA
            + " runs a node of that id (every node needs an id of its own)");

    ClusterBootstrap.Booted other = ClusterBootstrap.clustered(member("pop-2", cluster, portC, members), m -> { });
    started.add(other);
    assertThat(other.hazelcast().getCluster().getMembers()).as("the refused member left").hasSize(2);
  }
}
