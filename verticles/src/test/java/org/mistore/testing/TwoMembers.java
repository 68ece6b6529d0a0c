package org.mistore.testing;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.mistore.node.ClusterBootstrap;
import org.mistore.node.NodeSettings;

/** Two clustered Vert.x instances in this JVM, members of a Hazelcast cluster of their own on loopback. */
public final class TwoMembers implements AutoCloseable {
  public final ClusterBootstrap.Booted a;
  public final ClusterBootstrap.Booted b;
  public final int portA;
  public final int portB;

  private TwoMembers(ClusterBootstrap.Booted a, ClusterBootstrap.Booted b, int portA, int portB) {
    this.a = a;
    this.b = b;
    this.portA = portA;
    this.portB = portB;
  }

  /** Starts both members of a cluster named {@code prefix} plus a random suffix. */
  public static TwoMembers start(String prefix) {
    String cluster = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    int portA = Ports.free();
    int portB = Ports.free();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    ClusterBootstrap.Booted a = ClusterBootstrap.clustered(member("a", cluster, portA, members), m -> { });
    try {
      return new TwoMembers(a, ClusterBootstrap.clustered(member("b", cluster, portB, members), m -> { }), portA, portB);
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  private static NodeSettings member(String id, String cluster, int port, String members) {
    return NodeSettings.from(new JsonObject().put("roles", "dc").put("id", id).put("region", "test")
        .put("cluster-name", cluster).put("cluster-port", port).put("members", members));
  }

  @Override
  public void close() {
    try {
      b.close();
    } finally {
      a.close();
    }
  }
}
