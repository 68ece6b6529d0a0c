package org.mistore.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.mistore.codecs.NodeIds;
import org.mistore.codecs.Role;

/**
 * Everything one node is told at start-up, validated. Built from a merged JSON object whose keys are
 * the {@link #ALL} settings' keys (flags, then system properties, then environment, then file, then
 * defaults); see {@link SettingsLoader}.
 */
public record NodeSettings(
    List<Role> roles,
    String id,
    String region,
    String pop,
    Path data,
    String httpHost,
    int httpPort,
    String clusterName,
    String clusterHost,
    int clusterPort,
    int eventBusPort,
    List<String> members,
    Path clusterConfig,
    long heartbeatIntervalMs,
    long failureDetectionMs,
    long capacityBytes,
    int eventLoops,
    boolean eventBusMetrics,
    Limits limits) {

  public static final Setting ROLES = new Setting("roles", "", "Roles this node runs: any of hg, pop, dc (list, or comma-separated).");
  public static final Setting ID = new Setting("id", "", "Node id, unique in the cluster: 1-40 characters of A-Z a-z 0-9 _ -.");
  public static final Setting REGION = new Setting("region", "", "Region of the node (a POP and its HGs share one).");
  public static final Setting POP = new Setting("pop", "", "For an HG: the id of its POP (the only node it talks to).");
  public static final Setting DATA = new Setting("data", "mistore-data", "Folder of the node's MapDB stores (one file per role).");
  public static final Setting HTTP_HOST = new Setting("http-host", "127.0.0.1", "Interface the client API listens on (0.0.0.0 for all).");
  public static final Setting HTTP_PORT = new Setting("http-port", "8080", "Port of the client API (HTTP and WebSocket); 0 picks a free one.");
  public static final Setting CLUSTER_NAME = new Setting("cluster-name", "mistore", "Hazelcast cluster name; nodes with another name never join.");
  public static final Setting CLUSTER_HOST = new Setting("cluster-host", "127.0.0.1", "Address Hazelcast and the event bus bind to and announce.");
  public static final Setting CLUSTER_PORT = new Setting("cluster-port", "5701", "Hazelcast member port.");
  public static final Setting EVENTBUS_PORT = new Setting("eventbus-port", "0", "Event-bus TCP port; 0 picks a free one.");
  public static final Setting MEMBERS = new Setting("members", "", "Hazelcast TCP/IP join list: host:port entries (ranges like h:5701-5703 are expanded).");
  public static final Setting CLUSTER_CONFIG = new Setting("cluster-config", "", "A Hazelcast XML/YAML file to use instead of the built-in TCP/IP join (see cluster-config/).");
  public static final Setting HEARTBEAT_INTERVAL_MS = new Setting("heartbeat-interval-ms", "1000", "How often every role sends its heartbeat; at most 600000.");
  public static final Setting FAILURE_DETECTION_MS = new Setting("failure-detection-ms", "5000", "A node silent this long is marked down (also Hazelcast's member timeout, rounded up to seconds); at most 3600000.");
  public static final Setting EVENT_LOOPS = new Setting("event-loops", "0", "Event-loop threads of the node's Vert.x, 1..64; 0: one per core. (Vert.x's own default is two per core; one per core served more 4 KiB writes and faster large reads on 2-core machines, where a request passes between a node's roles.) With fewer loops, heartbeats wait longer behind a busy loop: keep failure-detection-ms at seconds, not hundreds of milliseconds.");
  public static final Setting EVENTBUS_METRICS = new Setting("eventbus-metrics", "false", "Whether /metrics carries Vert.x's event-bus meters (vertx_eventbus_*: messages sent, delivered, discarded and pending, handlers). Off by default: counting every message between a node's roles cost 3 to 12 % of the dev cluster's 4 KiB creates (two A/B rounds, load-tests/README). HTTP, JVM and mistore_* meters are always on.");
  public static final Setting CAPACITY_BYTES = new Setting("capacity-bytes", "10737418240", "Disk quota this node donates (bytes): an HG refuses blocks beyond it. It counts the blocks' bytes; the store's index, its journal (up to 8 MiB between checkpoints) and block files awaiting compaction take some more, which the usedBytes of /v1/cluster includes, so usedBytes can pass it by that much.");

  public static final Setting BLOCK_SIZE = new Setting("block-size", "1048576", "Block (stripe unit) size in bytes, 64 KiB to 8 MiB.");
  public static final Setting MAX_OBJECT_BYTES = new Setting("max-object-bytes", "1073741824", "Largest object body accepted; larger uploads get 413. Enforced by the gateway that takes the body (the HG, or a POP node serving clients itself): give every gateway the same value.");
  public static final Setting LOCK_DEFAULT_TTL_MS = new Setting("lock-default-ttl-ms", "10000", "Lease of a lock whose request names no ttlMs.");
  public static final Setting LOCK_MAX_TTL_MS = new Setting("lock-max-ttl-ms", "60000", "Longest lease a client may ask for.");
  public static final Setting LOCK_WAIT_DEFAULT_MS = new Setting("lock-wait-default-ms", "5000", "How long a write without Mistore-Lock waits for the write lock (Mistore-Lock-Wait overrides); at most lock-max-wait-ms.");
  public static final Setting LOCK_MAX_WAIT_MS = new Setting("lock-max-wait-ms", "60000", "Longest waitMs a lock request may ask for.");
  public static final Setting BLOCKS_IN_FLIGHT = new Setting("blocks-in-flight", "4", "Blocks of one upload or download in transit at once (the request is paused beyond).");

  public static final Setting WEBSOCKET_MAX_IN_FLIGHT = new Setting("websocket-max-in-flight", "64", "Requests one WebSocket connection may have in flight (1..4096); the gateway reads no more of its frames until a reply goes out.");
  public static final Setting WEBSOCKET_MAX_BYTES = new Setting("websocket-max-bytes", "8388608", "Largest object a WebSocket put or get carries (base64 in one message), at most 1/32 of the heap the JVM reports (just under 2 MiB with -Xmx64m: 2,027,520 bytes on a JDK 17 that reports 61.9 MiB); larger objects need HTTP.");

  public static final Setting HG_CACHE_BYTES = new Setting("hg-cache-bytes", "8388608", "Bytes of blocks each HG keeps in its owner cache (memory), at most 1/16 of the heap, shared among the HGs of one JVM (a larger value is capped, with a WARNING at start); 0 turns it off.");

  public static final Setting POP_CACHE_BYTES = new Setting("pop-cache-bytes", "67108864", "Bytes of blocks each POP keeps in its transit cache (memory), at most 1/8 of the heap, shared among the POPs of one JVM (a larger value is capped, with a WARNING at start); 0 turns it off.");

  public static final Setting HG_COPIES = new Setting("hg-copies", "1", "Copies r of each block a POP keeps on distinct HGs of its region, 1..8.");
  public static final Setting STRIPES = new Setting("stripes", "4", "Stripe width k of objects created without Mistore-Stripes, 1..32 (never more than the region's live HGs).");
  public static final Setting POP_KEEPS_BLOCKS = new Setting("pop-keeps-blocks", "true", "Whether a POP keeps its own durable copy of a block after hg-copies HGs acknowledged it; false drops it then, so reads come from HG blocks.");
  public static final Setting HG_READ_TIMEOUT_MS = new Setting("hg-read-timeout-ms", "5000", "How long a POP waits for a block from one HG before asking another copy (one seen down meanwhile is given up at once).");
  public static final Setting REPAIR_BLOCKS_IN_FLIGHT = new Setting("repair-blocks-in-flight", "2", "Blocks a POP copies at once to restore hg-copies after an HG loss or a bad copy (1..16; kept low so clients go first).");

  public static final Setting OWED_REPLIES_PER_HG = new Setting("owed-replies-per-hg", "1000", "Most results of writes a POP keeps for one down HG of its region until it returns, and the HG keeps once delivered (1..100000; the oldest go first).");
  public static final Setting UPLOAD_IDLE_MS = new Setting("upload-idle-ms", "3600000", "An upload no new block has reached for this long (1000..2592000000), neither committed nor aborted (its gateway died mid-upload), is dropped by its POPs with its blocks; an upload slower than one block per this time fails.");
  public static final Setting UPLOAD_STALL_MS = new Setting("upload-stall-ms", "30000", "An upload whose client sends nothing for this long (1000..3600000) while the gateway waits for its body fails with 408 and its connection closes (a write lock the gateway took for it is released); a request waiting that long for upload memory gets 503.");
  public static final Setting DOWNLOAD_STALL_MS = new Setting("download-stall-ms", "600000", "A download whose client takes none of its bytes for this long (1000..86400000; the default is 10 minutes) has its connection cut, and a read lock the gateway took for it is released. Long, as a client reading slowly but steadily may let no byte leave the gateway for many seconds (TCP opens its window in large steps).");
  public static final Setting UPLOAD_BUFFER_BYTES = new Setting("upload-buffer-bytes", "0", "Bytes of request bodies a gateway holds at once over all its uploads (blocks being filled or on their way to the POPs); 0: an eighth of the heap the JVM reports (just under 8 MiB with -Xmx64m). Each upload needs one block (block-size; less for a smaller Content-Length) to start: beyond, uploads wait for room, so no number of clients can exhaust the heap.");
  public static final Setting CATCHUP_BLOCK_WAIT_MS = new Setting("catchup-block-wait-ms", "2000", "How long (0..600000) a POP returning to an object it missed versions of copies their blocks before it serves the object again; past that it commits the older versions at once and copies their blocks in the background (reads of them meanwhile come from the other POP or the HGs). The newest version is always copied whole first.");
  public static final Setting PLACEMENT_BUSY_BYTES_PER_SECOND = new Setting("placement-busy-bytes-per-second", "8388608", "While clients upload to or read from a POP, the pace of its background copies of earlier versions onto its region's HGs (bytes per second; 0: no yielding). Clients go first; the copies catch up once they are done.");
  public static final Setting CHECKPOINT_MS = new Setting("checkpoint-ms", Long.toString(org.mistore.store.RoleStore.CHECKPOINT_MS), "How often each store folds its journal into MapDB while writes come in (100..60000). The store's writes wait for that (about a tenth of a second under load), so a longer interval means fewer pauses, and a longer journal to replay after a crash (a journal of 8 MiB folds at once).");
  public static final Setting OWED_REPLIES_TTL_MS = new Setting("owed-replies-ttl-ms", "86400000", "How long a POP keeps the result of a write whose HG was down, and the HG keeps it once delivered (a retry with the same Mistore-Request-Id is answered from it).");

  public static final List<Setting> ALL = List.of(ROLES, ID, REGION, POP, DATA, HTTP_HOST, HTTP_PORT, CLUSTER_NAME,
      CLUSTER_HOST, CLUSTER_PORT, EVENTBUS_PORT, MEMBERS, CLUSTER_CONFIG, HEARTBEAT_INTERVAL_MS, FAILURE_DETECTION_MS,
      CAPACITY_BYTES, EVENT_LOOPS, EVENTBUS_METRICS, BLOCK_SIZE, MAX_OBJECT_BYTES, LOCK_DEFAULT_TTL_MS, LOCK_MAX_TTL_MS, LOCK_WAIT_DEFAULT_MS,
      LOCK_MAX_WAIT_MS, BLOCKS_IN_FLIGHT, WEBSOCKET_MAX_BYTES, WEBSOCKET_MAX_IN_FLIGHT, HG_CACHE_BYTES,
      POP_CACHE_BYTES, HG_COPIES, STRIPES, POP_KEEPS_BLOCKS, HG_READ_TIMEOUT_MS, REPAIR_BLOCKS_IN_FLIGHT,
      OWED_REPLIES_PER_HG, OWED_REPLIES_TTL_MS, UPLOAD_IDLE_MS, CHECKPOINT_MS, PLACEMENT_BUSY_BYTES_PER_SECOND,
      CATCHUP_BLOCK_WAIT_MS, UPLOAD_STALL_MS, UPLOAD_BUFFER_BYTES, DOWNLOAD_STALL_MS);

  /** Validates a merged configuration; {@link StartupException} naming the key on any bad value. */
  public static NodeSettings from(JsonObject c) {
    List<Role> roles = roles(c);
    if (roles.isEmpty()) {
      throw new StartupException("no role given: use --role hg|pop|dc (or " + ROLES.envName() + ")");
    }
    String id = requireId(c, ID);
    String region = requireId(c, REGION);
    String pop = text(c, POP);
    if (roles.contains(Role.HG)) {
      if (pop.isEmpty() && roles.contains(Role.POP)) {
        pop = id;
      }
      if (pop.isEmpty()) {
        throw new StartupException("an HG needs its POP: use --pop POP_ID (or " + POP.envName() + ")");
      }
      requireId(pop, POP);
    }
    long heartbeat = within(c, HEARTBEAT_INTERVAL_MS, 1, 600_000);
    long detection = within(c, FAILURE_DETECTION_MS, 1, 3_600_000);
    if (detection < 2 * heartbeat) {
      throw new StartupException(FAILURE_DETECTION_MS.key() + " (" + detection + ") must be at least twice "
          + HEARTBEAT_INTERVAL_MS.key() + " (" + heartbeat + ")");
    }
    String clusterConfig = text(c, CLUSTER_CONFIG);
    return new NodeSettings(roles, id, region, pop, Path.of(text(c, DATA)), text(c, HTTP_HOST), port(c, HTTP_PORT),
        requireId(c, CLUSTER_NAME), text(c, CLUSTER_HOST), port(c, CLUSTER_PORT), port(c, EVENTBUS_PORT), members(c),
        clusterConfig.isEmpty() ? null : Path.of(clusterConfig), heartbeat, detection, positiveLong(c, CAPACITY_BYTES),
        eventLoops(c), bool(c, EVENTBUS_METRICS), limits(c));
  }

  private static Limits limits(JsonObject c) {
    long block = positiveLong(c, BLOCK_SIZE);
    if (block < 65536 || block > 8 * 1048576) {
      throw new StartupException(BLOCK_SIZE.key() + " " + block + " is outside 65536..8388608");
    }
    long defaultTtl = positiveLong(c, LOCK_DEFAULT_TTL_MS);
    long maxTtl = positiveLong(c, LOCK_MAX_TTL_MS);
    if (defaultTtl > maxTtl) {
      throw new StartupException(LOCK_DEFAULT_TTL_MS.key() + " exceeds " + LOCK_MAX_TTL_MS.key());
    }
    long waitDefault = positiveLong(c, LOCK_WAIT_DEFAULT_MS);
    if (waitDefault > positiveLong(c, LOCK_MAX_WAIT_MS)) {
      throw new StartupException(LOCK_WAIT_DEFAULT_MS.key() + " exceeds " + LOCK_MAX_WAIT_MS.key());
    }
    long inFlight = positiveLong(c, BLOCKS_IN_FLIGHT);
    if (inFlight > 64) {
      throw new StartupException(BLOCKS_IN_FLIGHT.key() + " must be 1..64");
    }
    return new Limits((int) block, positiveLong(c, MAX_OBJECT_BYTES), defaultTtl, maxTtl,
        positiveLong(c, LOCK_WAIT_DEFAULT_MS), positiveLong(c, LOCK_MAX_WAIT_MS), (int) inFlight, wsMax(c),
        nonNegative(c, HG_CACHE_BYTES), nonNegative(c, POP_CACHE_BYTES),
        (int) within(c, HG_COPIES, 1, 8), (int) within(c, STRIPES, 1, 32), bool(c, POP_KEEPS_BLOCKS),
        positiveLong(c, HG_READ_TIMEOUT_MS), (int) within(c, REPAIR_BLOCKS_IN_FLIGHT, 1, 16),
        (int) within(c, OWED_REPLIES_PER_HG, 1, 100_000), positiveLong(c, OWED_REPLIES_TTL_MS),
        within(c, UPLOAD_IDLE_MS, 1000, 30L * 24 * 3600 * 1000), within(c, CHECKPOINT_MS, 100, 60_000),
        (int) within(c, WEBSOCKET_MAX_IN_FLIGHT, 1, 4096), nonNegative(c, PLACEMENT_BUSY_BYTES_PER_SECOND),
        within(c, CATCHUP_BLOCK_WAIT_MS, 0, 600_000), within(c, UPLOAD_STALL_MS, 1000, 3_600_000),
        uploadBuffer(c, block), within(c, DOWNLOAD_STALL_MS, 1000, 86_400_000));
  }

  /** The upload memory: the setting, or an eighth of the heap when it is 0; never less than one block. */
  private static long uploadBuffer(JsonObject c, long block) {
    long set = nonNegative(c, UPLOAD_BUFFER_BYTES);
    long bytes = set > 0 ? set : Math.max(block, Runtime.getRuntime().maxMemory() / 8);
    if (bytes < block) {
      throw new StartupException(UPLOAD_BUFFER_BYTES.key() + " " + bytes + " is less than one block (" + block + ")");
    }
    return bytes;
  }

  /** The event-loop threads to start: the setting, or one per core when it is 0. */
  private static int eventLoops(JsonObject c) {
    int loops = (int) within(c, EVENT_LOOPS, 0, 64);
    return loops > 0 ? loops : Runtime.getRuntime().availableProcessors();
  }

  private static long within(JsonObject c, Setting s, long min, long max) {
    long v = parseLong(c, s);
    if (v < min || v > max) {
      throw new StartupException(s.key() + " must be " + min + ".." + max + ", got " + v);
    }
    return v;
  }

  private static boolean bool(JsonObject c, Setting s) {
    String v = text(c, s);
    if (!v.equals("true") && !v.equals("false")) {
      throw new StartupException(s.key() + " must be true or false, not '" + v + "'");
    }
    return Boolean.parseBoolean(v);
  }

  private static int wsMax(JsonObject c) {
    long v = positiveLong(c, WEBSOCKET_MAX_BYTES);
    if (v > 64 * 1048576) {
      throw new StartupException(WEBSOCKET_MAX_BYTES.key() + " must be at most 67108864");
    }
    return (int) Math.min(v, webSocketHeapCap(Runtime.getRuntime().maxMemory()));
  }

  /**
   * The most a WebSocket message may carry on a heap of {@code heapBytes}: a put or get holds its
   * object about four times over (frame, base64 text, bytes, JSON), so an HG with 64 MiB of heap
   * takes 2 MiB (1/32 of the heap, at least 256 KiB) and sends larger objects to HTTP.
   */
  static long webSocketHeapCap(long heapBytes) {
    return Math.max(256 * 1024, heapBytes / 32);
  }

  private static String text(JsonObject c, Setting s) {
    Object v = c.getValue(s.key());
    return v == null ? s.defaultValue() : String.valueOf(v).trim();
  }

  private static String requireId(JsonObject c, Setting s) {
    return requireId(text(c, s), s);
  }

  private static String requireId(String value, Setting s) {
    if (value.isEmpty()) {
      throw new StartupException("missing " + s.key() + ": use --" + s.key() + " (or " + s.envName() + ")");
    }
    if (!NodeIds.isValid(value)) {
      throw new StartupException(s.key() + " '" + value + "' must be 1-40 characters of A-Z a-z 0-9 _ -");
    }
    return value;
  }

  private static long parseLong(JsonObject c, Setting s) {
    String v = text(c, s);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new StartupException(s.key() + " '" + v + "' is not a whole number");
    }
  }

  /** A size or rate where 0 means off (or automatic): a negative one is refused, not taken as 0. */
  private static long nonNegative(JsonObject c, Setting s) {
    long v = parseLong(c, s);
    if (v < 0) {
      throw new StartupException(s.key() + " must be 0 or more, got " + v);
    }
    return v;
  }

  private static long positiveLong(JsonObject c, Setting s) {
    long v = parseLong(c, s);
    if (v <= 0) {
      throw new StartupException(s.key() + " must be positive, got " + v);
    }
    return v;
  }

  private static int port(JsonObject c, Setting s) {
    long v = parseLong(c, s);
    if (v < 0 || v > 65535) {
      throw new StartupException(s.key() + " " + v + " is not a port (0-65535)");
    }
    return (int) v;
  }

  private static List<String> list(JsonObject c, Setting s) {
    Object v = c.getValue(s.key());
    List<String> out = new ArrayList<>();
    if (v instanceof JsonArray a) {
      a.forEach(x -> out.addAll(split(String.valueOf(x))));
    } else if (v != null) {
      out.addAll(split(String.valueOf(v)));
    }
    return out;
  }

  private static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static List<Role> roles(JsonObject c) {
    Set<Role> roles = new LinkedHashSet<>();
    for (String r : list(c, ROLES)) {
      try {
        roles.add(Role.parse(r));
      } catch (IllegalArgumentException e) {
        throw new StartupException(e.getMessage());
      }
    }
    return List.copyOf(roles);
  }

  /** Expands {@code host:a-b} ranges into single {@code host:port} entries (Hazelcast rejects ranges with interfaces on). */
  static List<String> members(JsonObject c) {
    List<String> out = new ArrayList<>();
    for (String m : list(c, MEMBERS)) {
      int colon = m.lastIndexOf(':');
      if (colon <= 0) {
        throw new StartupException("member '" + m + "' must be host:port");
      }
      String host = m.substring(0, colon);
      String ports = m.substring(colon + 1);
      try {
        int dash = ports.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? ports : ports.substring(0, dash));
        int to = dash < 0 ? from : Integer.parseInt(ports.substring(dash + 1));
        if (from < 1 || to > 65535 || to < from || to - from > 100) {
          throw new NumberFormatException();
        }
        for (int p = from; p <= to; p++) {
          out.add(host + ":" + p);
        }
      } catch (NumberFormatException e) {
        throw new StartupException("member '" + m + "' has a bad port or range");
      }
    }
    return out;
  }

  /** The data file of one role of this node. */
  public Path storeFile(Role role) {
    return data.resolve(role.wireName() + "-" + id + ".db");
  }
}
