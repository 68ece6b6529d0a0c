package org.mistore.directory;

import java.util.Locale;

/** What the directory believes of a node. */
public enum NodeStatus {
  /** Heard from within the failure-detection time. */
  UP,
  /** Silent for longer than the failure-detection time, or its cluster member left. */
  DOWN;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
