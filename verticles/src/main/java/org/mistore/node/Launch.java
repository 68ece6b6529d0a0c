package org.mistore.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.mistore.directory.NodeDirectory;

/** Starting a production node from its settings, with the checks that make failures one clear line. */
public final class Launch {
  private Launch() {
  }

  /**
   * Checks the data folder and the HTTP port before joining the cluster (joining takes seconds; a
   * typo should not), then joins and deploys. Blocking: call from {@code main} or a test thread.
   */
  public static MistoreNode node(NodeSettings s) {
    checkDataFolder(s.data());
    checkPortFree(s.httpHost(), s.httpPort(), "serve HTTP");
    if (s.clusterConfig() == null) {
      checkPortFree(s.clusterHost(), s.clusterPort(), "listen for the cluster");
    }
    AtomicReference<NodeDirectory> directoryRef = new AtomicReference<>();
    ClusterBootstrap.Booted booted = ClusterBootstrap.clustered(s, member -> {
      NodeDirectory d = directoryRef.get();
      if (d != null) {
        d.memberLeft(member);
      }
    });
    NodeDirectory directory = new NodeDirectory(booted.vertx(), s.failureDetectionMs());
    directoryRef.set(directory);
    NodeServices services = new NodeServices(booted.vertx(), directory, booted.memberId(), booted.registry(), s.data(),
        s.heartbeatIntervalMs(), s.failureDetectionMs(), s.capacityBytes(), s.limits());
    try {
      return MistoreNode.start(booted, directory, services,
          s.roles().stream().map(r -> new RoleIdentity(r, s.id(), s.region(), s.pop())).toList(),
          s.httpHost(), s.httpPort()).await();
    } catch (RuntimeException e) {
      booted.close();
      throw e instanceof StartupException ? e : new StartupException(SettingsLoader.oneLine(e));
    }
  }

  static void checkDataFolder(Path data) {
    try {
      Files.createDirectories(data);
    } catch (IOException | SecurityException e) {
      throw new StartupException("cannot create data folder " + data + ": " + SettingsLoader.oneLine(e));
    }
    if (!Files.isDirectory(data) || !Files.isReadable(data) || !Files.isWritable(data)) {
      throw new StartupException("data folder " + data + " is not a readable and writable folder");
    }
  }

  static void checkPortFree(String host, int port, String what) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new StartupException("cannot " + what + " on " + host + ":" + port + ": " + SettingsLoader.oneLine(e));
    }
  }
}
