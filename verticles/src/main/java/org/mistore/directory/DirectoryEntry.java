package org.mistore.directory;

import org.mistore.codecs.NodeReport;

/** The latest report of one role on one node, when it arrived (monotonic millis) and the status derived from it. */
public record DirectoryEntry(NodeReport report, long lastSeenMillis, NodeStatus status) {

  public String key() {
    return keyOf(report);
  }

  static String keyOf(NodeReport r) {
    return r.role().wireName() + "/" + r.nodeId();
  }

  DirectoryEntry down() {
    return new DirectoryEntry(report, lastSeenMillis, NodeStatus.DOWN);
  }
}
