package org.mistore.node;

import java.util.function.Consumer;

/**
 * JVM errors (out of memory, most likely) that a Future or a handler caught instead of letting them
 * kill their thread: a node that goes on after one may answer every request with a 500 while it
 * still looks ready. The launcher makes them end the process with code 3, as an error that kills a
 * thread does ({@link Main#uncaught}); left alone (tests in one JVM), they are only reported.
 */
public final class JvmErrors {
  private static volatile Consumer<VirtualMachineError> onError = e -> { };

  private JvmErrors() {
  }

  /** Sets what happens on a JVM error caught by {@link #check}. */
  public static void onError(Consumer<VirtualMachineError> action) {
    onError = action;
  }

  /** Hands {@code failure} to the JVM-error action when it, or a cause of it, is a JVM error; says whether it was. */
  public static boolean check(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof VirtualMachineError error) {
        onError.accept(error);
        return true;
      }
    }
    return false;
  }
}
