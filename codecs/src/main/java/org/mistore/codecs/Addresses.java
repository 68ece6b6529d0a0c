package org.mistore.codecs;

/**
 * Every event-bus address, dotted {@code mistore.<role>.<node>.<verb>}. Nothing else builds addresses.
 */
public final class Addresses {
  /** Published by POPs and the DC: their own heartbeats and the relayed heartbeats of their HGs. */
  public static final String DIRECTORY_HEARTBEAT = "mistore.directory.all.heartbeat";

  /** Verb at a POP taking heartbeats of its HGs. */
  public static final String HEARTBEAT = "heartbeat";
  /** Verb every role answers with its node report (liveness probe). */
  public static final String PING = "ping";

  private Addresses() {
  }

  public static String of(Role role, String nodeId, String verb) {
    return "mistore." + role.wireName() + '.' + NodeIds.require(nodeId, "node id") + '.' + verb;
  }

  public static String hg(String nodeId, String verb) {
    return of(Role.HG, nodeId, verb);
  }

  public static String pop(String nodeId, String verb) {
    return of(Role.POP, nodeId, verb);
  }

  public static String dc(String nodeId, String verb) {
    return of(Role.DC, nodeId, verb);
  }
}
