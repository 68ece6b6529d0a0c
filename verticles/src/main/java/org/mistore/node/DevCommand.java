package org.mistore.node;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mistore dev}: a whole cluster in one JVM with one client front door. */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = "Run a whole cluster (1 DC, POPs, HGs) in one JVM. Timing and capacity settings come from "
        + "MISTORE_* environment variables or mistore.* system properties.")
final class DevCommand implements Callable<Integer> {
  @Option(names = "--http-port", description = "Client port (default ${DEFAULT-VALUE}, 0 = any free).")
  int httpPort = 8080;
  @Option(names = "--http-host", description = "Client interface (default ${DEFAULT-VALUE}).")
  String httpHost = "127.0.0.1";
  @Option(names = "--pops", description = "Number of POPs, one region each (default ${DEFAULT-VALUE}).")
  int pops = 3;
  @Option(names = "--hgs-per-pop", description = "HGs per POP (default ${DEFAULT-VALUE}).")
  int hgsPerPop = 4;
  @Option(names = "--data", paramLabel = "DIR", description = "Data folder, kept across restarts (default ${DEFAULT-VALUE}).")
  Path data = Path.of("mistore-data");
  @Option(names = "--config", paramLabel = "FILE", description = "JSON or YAML file with timing, size and lock settings "
      + "(the keys of mistore node's settings; system properties and MISTORE_* environment variables work too).")
  Path config;

  @Override
  public Integer call() {
    if (pops < 1 || pops > 50 || hgsPerPop < 1 || hgsPerPop > 100) {
      throw new StartupException("--pops must be 1-50 and --hgs-per-pop 1-100");
    }
    NodeSettings tunables = DevCluster.tunables(NodeCommand.loadConfig(config, new JsonObject()));
    ShutdownOnSignal.whileStarting("dev cluster");
    // As for a node: a second dev cluster on the same folder stops with one line before opening anything.
    Launch.checkDataFolder(data);
    Launch.lockDataFolder(data);
    MistoreNode cluster = DevCluster.start(tunables, pops, hgsPerPop, data, httpHost, httpPort);
    String url = "http://" + httpHost + ":" + cluster.httpPort();
    System.out.println("mistore: dev cluster ready: 1 DC, " + pops + " POPs, " + pops * hgsPerPop + " HGs, data in "
        + data.toAbsolutePath().normalize());
    System.out.println("mistore: point clients at " + url + "/v1 (topology: " + url
        + "/v1/cluster; pick a gateway with header Mistore-Gateway: hg-P-H, default hg-1-1)");
    return ShutdownOnSignal.awaitSignal(cluster, "dev cluster") ? 0 : 1;
  }
}
