package org.mistore.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.mistore.directory.NodeDirectory;

/**
 * What every role verticle on one Vert.x instance shares: the directory, the cluster member id, the
 * metrics registry, where data lives and the timing and capacity settings.
 */
public record NodeServices(Vertx vertx, NodeDirectory directory, String memberId, MeterRegistry registry,
    Path dataDir, long heartbeatIntervalMs, long failureDetectionMs, long capacityBytes, Limits limits) {

  /** These services with other limits. */
  public NodeServices withLimits(Limits other) {
    return new NodeServices(vertx, directory, memberId, registry, dataDir, heartbeatIntervalMs, failureDetectionMs,
        capacityBytes, other);
  }

  /** The MapDB file of one role instance. */
  public Path storeFile(RoleIdentity who) {
    return dataDir.resolve(storeFileName(who.role(), who.id()));
  }

  /** The name of the MapDB file of {@code role} on node {@code id}, in its data folder. */
  static String storeFileName(org.mistore.codecs.Role role, String id) {
    return role.wireName() + "-" + id + ".db";
  }
}
