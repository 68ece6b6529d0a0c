package org.mistore.node;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mistore node}: one production node hosting one or more roles. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one production node. Every option may also come from --config FILE, MISTORE_* "
        + "environment variables or mistore.* system properties (flags win).")
final class NodeCommand implements Callable<Integer> {
  @Option(names = "--role", paramLabel = "ROLE", description = "hg, pop or dc; repeat for several roles.")
  List<String> roles;
  @Option(names = "--id", description = "Node id (1-40 of A-Z a-z 0-9 _ -).")
  String id;
  @Option(names = "--region", description = "Region of the node.")
  String region;
  @Option(names = "--pop", paramLabel = "POP_ID", description = "For an HG: its POP.")
  String pop;
  @Option(names = "--data", paramLabel = "DIR", description = "Data folder (default mistore-data).")
  String data;
  @Option(names = "--http-host", description = "API interface (default 127.0.0.1).")
  String httpHost;
  @Option(names = "--http-port", description = "API port (default 8080, 0 = any free).")
  Integer httpPort;
  @Option(names = "--cluster-name", description = "Hazelcast cluster name (default mistore).")
  String clusterName;
  @Option(names = "--cluster-host", description = "Cluster bind address (default 127.0.0.1).")
  String clusterHost;
  @Option(names = "--cluster-port", description = "Hazelcast port (default 5701).")
  Integer clusterPort;
  @Option(names = "--eventbus-port", description = "Event-bus port (default 0 = any free).")
  Integer eventBusPort;
  @Option(names = "--members", paramLabel = "HOST:PORT,...", description = "Hazelcast TCP/IP members.")
  String members;
  @Option(names = "--cluster-config", paramLabel = "FILE", description = "Hazelcast XML/YAML file instead of TCP/IP join.")
  String clusterConfig;
  @Option(names = "--heartbeat-interval-ms", description = "Heartbeat period (default 1000).")
  Long heartbeatIntervalMs;
  @Option(names = "--failure-detection-ms", description = "Silence before a node is down (default 5000).")
  Long failureDetectionMs;
  @Option(names = "--capacity-bytes", description = "Donated disk quota in bytes.")
  Long capacityBytes;
  @Option(names = "--config", paramLabel = "FILE", description = "JSON or YAML file with the settings above.")
  Path config;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /**
   * Adds to the {@code node} command's spec a flag {@code --<key>} for every setting that has none
   * above (README's table; values are checked like the same setting from any other source).
   */
  static void addSettingFlags(picocli.CommandLine.Model.CommandSpec node) {
    for (Setting s : NodeSettings.ALL) {
      if (s == NodeSettings.ROLES || node.findOption("--" + s.key()) != null) {
        continue;
      }
      node.addOption(picocli.CommandLine.Model.OptionSpec.builder("--" + s.key())
          // picocli reads a description as a format string: a '%' of the text is written '%%'.
          .paramLabel("VALUE").type(String.class).description(s.doc().replace("%", "%%")).build());
    }
  }

  @Override
  public Integer call() {
    JsonObject flags = new JsonObject();
    if (roles != null) {
      flags.put(NodeSettings.ROLES.key(), new JsonArray(List.copyOf(roles)));
    }
    put(flags, NodeSettings.ID, id);
    put(flags, NodeSettings.REGION, region);
    put(flags, NodeSettings.POP, pop);
    put(flags, NodeSettings.DATA, data);
    put(flags, NodeSettings.HTTP_HOST, httpHost);
    put(flags, NodeSettings.HTTP_PORT, httpPort);
    put(flags, NodeSettings.CLUSTER_NAME, clusterName);
    put(flags, NodeSettings.CLUSTER_HOST, clusterHost);
    put(flags, NodeSettings.CLUSTER_PORT, clusterPort);
    put(flags, NodeSettings.EVENTBUS_PORT, eventBusPort);
    put(flags, NodeSettings.MEMBERS, members);
    put(flags, NodeSettings.CLUSTER_CONFIG, clusterConfig);
    put(flags, NodeSettings.HEARTBEAT_INTERVAL_MS, heartbeatIntervalMs);
    put(flags, NodeSettings.FAILURE_DETECTION_MS, failureDetectionMs);
    put(flags, NodeSettings.CAPACITY_BYTES, capacityBytes);
    for (Setting s : NodeSettings.ALL) {
      picocli.CommandLine.Model.OptionSpec option = spec.findOption("--" + s.key());
      if (!flags.containsKey(s.key()) && option != null && option.getValue() != null) {
        flags.put(s.key(), option.<String>getValue());
      }
    }
    NodeSettings settings = NodeSettings.from(loadConfig(config, flags));
    String name = settings.roles().stream().map(r -> r.wireName()).toList() + " node " + settings.id();
    ShutdownOnSignal.whileStarting(name);
    MistoreNode node = Launch.node(settings);
    // An HG is ready only once it hears from its POP: the line says so rather than "ready".
    java.util.Optional<String> notReady = node.notReadyBecause();
    System.out.println("mistore: " + name + (notReady.isEmpty() ? " ready" : " started") + " in region "
        + settings.region() + "; API at http://" + settings.httpHost() + ":" + node.httpPort() + "/v1"
        + notReady.map(why -> "; not ready yet (GET /ready says when it is): " + why).orElse(""));
    return ShutdownOnSignal.awaitSignal(node, name) ? 0 : 1;
  }

  static void put(JsonObject flags, Setting s, Object value) {
    if (value != null) {
      flags.put(s.key(), value);
    }
  }

  /** Reads file, environment and system properties with vertx-config on a short-lived Vert.x. */
  static JsonObject loadConfig(Path file, JsonObject flags) {
    Vertx vertx = Vertx.vertx();
    try {
      return SettingsLoader.load(vertx, NodeSettings.ALL, file, flags).await();
    } finally {
      vertx.close().await();
    }
  }
}
