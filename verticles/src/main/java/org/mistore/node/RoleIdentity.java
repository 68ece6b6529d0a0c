package org.mistore.node;

import org.mistore.codecs.NodeIds;
import org.mistore.codecs.Role;

/** One role instance: its role, node id, region and (for an HG) its POP. */
public record RoleIdentity(Role role, String id, String region, String pop) {
  public RoleIdentity {
    NodeIds.require(id, "node id");
    NodeIds.require(region, "region");
    if (role == Role.HG) {
      NodeIds.require(pop, "POP of HG " + id);
    } else {
      pop = "";
    }
  }
}
