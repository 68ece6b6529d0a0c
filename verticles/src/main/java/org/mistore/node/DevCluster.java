package org.mistore.node;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mistore.codecs.Role;
import org.mistore.directory.NodeDirectory;

/**
 * A whole cluster in one JVM for a first run and for tests: one DC, {@code pops} POPs each with its
 * region, {@code hgsPerPop} HGs per POP, one client front door. The same verticles and codecs as
 * production; only the deployment differs (one Vert.x, local event bus).
 */
public final class DevCluster {
  private DevCluster() {
  }

  /** The ids the dev cluster uses: {@code dc-1}, {@code pop-P} in {@code region-P}, {@code hg-P-H}. */
  public static List<RoleIdentity> topology(int pops, int hgsPerPop) {
    if (pops < 1 || hgsPerPop < 1) {
      throw new StartupException("a dev cluster needs at least one POP and one HG per POP");
    }
    List<RoleIdentity> all = new ArrayList<>();
    all.add(new RoleIdentity(Role.DC, "dc-1", "core", ""));
    for (int p = 1; p <= pops; p++) {
      all.add(new RoleIdentity(Role.POP, "pop-" + p, "region-" + p, ""));
    }
    for (int p = 1; p <= pops; p++) {
      for (int h = 1; h <= hgsPerPop; h++) {
        all.add(new RoleIdentity(Role.HG, "hg-" + p + "-" + h, "region-" + p, "pop-" + p));
      }
    }
    return all;
  }

  /** The timing, size and capacity settings of a dev cluster, validated as a node's (identity comes from the topology). */
  public static NodeSettings tunables(JsonObject config) {
    return NodeSettings.from(config.copy().put("roles", "dc").put("id", "dev").put("region", "dev"));
  }

  /** Starts the dev cluster; blocking, call from {@code main} or a test thread. */
  public static MistoreNode start(NodeSettings tunables, int pops, int hgsPerPop, Path data, String httpHost,
      int httpPort) {
    List<RoleIdentity> topology = topology(pops, hgsPerPop);
    Launch.checkDataFolder(data);
    Launch.checkPortFree(httpHost, httpPort, "serve HTTP");
    ClusterBootstrap.Booted booted = ClusterBootstrap.local(tunables.eventLoops(), tunables.eventBusMetrics());
    NodeDirectory directory = new NodeDirectory(booted.vertx(), tunables.failureDetectionMs());
    NodeServices services = new NodeServices(booted.vertx(), directory, booted.memberId(), booted.registry(), data,
        tunables.heartbeatIntervalMs(), tunables.failureDetectionMs(), tunables.capacityBytes(), tunables.limits());
    try {
      return MistoreNode.start(booted, directory, services, topology, httpHost, httpPort).await();
    } catch (RuntimeException e) {
      booted.close();
      throw e instanceof StartupException ? e : new StartupException(SettingsLoader.oneLine(e));
    }
  }
}
