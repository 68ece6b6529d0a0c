package org.mistore.node;

import java.util.concurrent.CountDownLatch;

/** Keeps {@code main} alive while the node runs; SIGTERM or SIGINT close it gracefully (leaving the cluster). */
final class ShutdownOnSignal {
  private ShutdownOnSignal() {
  }

  static void awaitSignal(MistoreNode node, String name) {
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("mistore: " + name + " stopping, leaving the cluster");
      try {
        node.close();
        System.err.println("mistore: " + name + " stopped");
      } catch (Exception e) {
        System.err.println("mistore: " + name + " did not stop cleanly: " + SettingsLoader.oneLine(e));
      } finally {
        closed.countDown();
      }
    }, "mistore-shutdown"));
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
