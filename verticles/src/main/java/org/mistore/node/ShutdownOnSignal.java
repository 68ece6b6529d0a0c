package org.mistore.node;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps {@code main} alive while the node runs. SIGTERM or SIGINT close it gracefully (leaving the
 * cluster) and the process then exits 0, or 1 when the close failed: a stop that was asked for is
 * not a failure to a service manager (the JVM's own handling would exit 143). A second signal while
 * closing stops the process at once. Any other way the JVM shuts down still closes the node, from a
 * shutdown hook.
 */
final class ShutdownOnSignal {
  private ShutdownOnSignal() {
  }

  /**
   * While the node starts: SIGTERM or SIGINT print one line and exit 0 (what is on disk is kept; the
   * next start goes on from it), instead of the JVM's silent exit 143. {@link #awaitSignal} takes
   * the signals over once the node runs.
   */
  static void whileStarting(String name) {
    sun.misc.SignalHandler exit = s -> {
      System.err.println("mistore: " + name + " asked to stop (SIG" + s.getName() + ") while starting: exiting");
      System.exit(0);
    };
    onSignal("TERM", exit);
    onSignal("INT", exit);
  }

  /** Returns once a stop signal closed the node: true when it closed cleanly. */
  static boolean awaitSignal(MistoreNode node, String name) {
    CountDownLatch signalled = new CountDownLatch(1);
    AtomicBoolean closing = new AtomicBoolean();
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (closing.compareAndSet(false, true)) {
          close(node, name);
        }
      }, "mistore-shutdown"));
    } catch (IllegalStateException exiting) {
      // A signal during the start is ending the process (see whileStarting): nothing more to do.
      return false;
    }
    handle("TERM", signalled, name);
    handle("INT", signalled, name);
    try {
      signalled.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !closing.compareAndSet(false, true) || close(node, name);
  }

  private static boolean close(MistoreNode node, String name) {
    System.err.println("mistore: " + name + " stopping, leaving the cluster");
    try {
      node.close();
      System.err.println("mistore: " + name + " stopped");
      return true;
    } catch (Exception e) {
      System.err.println("mistore: " + name + " did not stop cleanly: " + SettingsLoader.oneLine(e));
      return false;
    }
  }

  /**
   * Counts {@code signalled} down on the named signal instead of the JVM's exit; on a second one,
   * halts. Where the platform refuses the handler, the signal keeps the JVM's meaning (with it, the
   * shutdown hook closes the node).
   */
  private static void handle(String signal, CountDownLatch signalled, String name) {
    onSignal(signal, s -> {
      if (signalled.getCount() == 0) {
        System.err.println("mistore: " + name + " asked to stop again: stopping at once");
        Runtime.getRuntime().halt(1);
      }
      signalled.countDown();
    });
  }

  /** Installs {@code handler} for the named signal; where the platform refuses, the JVM's meaning stays. */
  private static void onSignal(String signal, sun.misc.SignalHandler handler) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal(signal), handler);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // left to the JVM
    }
  }
}
