package org.mistore.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free loopback ports for tests. */
public final class Ports {
  private Ports() {
  }

  /**
   * A port that is free now, below the kernel's ephemeral range (32768+), so that the random ports
   * the nodes' event buses bind meanwhile cannot take it before the node it is meant for starts.
   */
  public static synchronized int free() {
    for (int tries = 0; tries < 1000; tries++) {
      int port = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12000);
      if (!handedOut.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException busy) {
        // try another
      }
    }
    throw new IllegalStateException("no free port in 20000-31999");
  }

  private static final java.util.Set<Integer> handedOut = new java.util.HashSet<>();
}
