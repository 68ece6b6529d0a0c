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

  // Verbs a POP answers for the gateways (HGs) of its region.
  /** Mint a new object id (this POP primary, a live backup chosen). */
  public static final String CREATE = "create";
  /** Store one block at the object's primary and backup (fan-out). */
  public static final String WRITE_BLOCK = "write-block";
  /** Forward a request to the POP that currently owns an object (header {@code object}, {@code verb}). */
  public static final String RELAY = "relay";

  // Verbs a POP answers as primary (or acting primary) or backup of an object.
  public static final String OWNER_BLOCK = "owner-block";
  public static final String OWNER_READ_BLOCK = "owner-read-block";
  public static final String OWNER_COMMIT = "owner-commit";
  public static final String OWNER_MIRROR_COMMIT = "owner-mirror-commit";
  public static final String OWNER_META = "owner-meta";
  public static final String OWNER_VERSIONS = "owner-versions";
  public static final String OWNER_ABORT = "owner-abort";
  public static final String OWNER_LOCK = "owner-lock";
  public static final String OWNER_RENEW = "owner-renew";
  public static final String OWNER_UNLOCK = "owner-unlock";
  /** {@code {"key"}}: a lock request waiting under that {@link #HEADER_WAIT_KEY} is withdrawn (its client left). */
  public static final String OWNER_UNWAIT = "owner-unwait";
  public static final String OWNER_MIRROR_LOCK = "owner-mirror-lock";
  /**
   * Catch-up ({@code {"id","from","requester","report"}}): a holder's head, fence ceiling, locks and
   * the versions it has from {@code from} on, asked by a POP before it acts as an object's primary.
   */
  public static final String OWNER_SYNC = "owner-sync";
  /** The fence ceiling a POP holds for an object ({@code {"id"}} → long): read before reserving fences. */
  public static final String OWNER_CEILING = "owner-ceiling";

  /**
   * Verb at a POP or the DC: the highest creation counter, per creating HG, of the ids with a given
   * primary that this node holds ({@code {"primary"}} → {@code {hg: counter}}). A POP whose store
   * holds no counters asks before it mints its first id.
   */
  public static final String MINTED = "minted";

  /** Verb at a POP: which HGs of its region hold each block of a version ({@code {"id","version"}}). */
  public static final String PLACEMENT = "placement";

  // Verbs the DC answers.
  /** Where an object lives and its head, from the DC's catalog ({@code {"id"}}). */
  public static final String DC_WHERE = "where";
  /** Heads a POP reports when the DC (re)appears: {@code [{"id","version","size"}]}, merged into the catalog. */
  public static final String DC_HEADS = "heads";
  /** What the DC's catalog holds ({@code {}} → {@code {"dc","objects"}}). */
  public static final String DC_SUMMARY = "summary";

  // Verbs an HG answers for its POP.
  /** Store one block durably ({@link StoreBlock}). */
  public static final String HG_STORE_BLOCK = "store-block";
  /**
   * Store several small blocks durably ({@link StoreBlocks}); the answer is a JSON array with one
   * entry per block, in order: {@code null} when it is stored, else {@code {"code","message"}}.
   */
  public static final String HG_STORE_BLOCKS = "store-blocks";
  /** Read one block ({@link BlockRef} → bytes). */
  public static final String HG_READ_BLOCK = "read-block";
  /** Every block key the HG holds ({@code {}} → {@code {"keys":[...],"heldBytes","quotaBytes"}}). */
  public static final String HG_LIST_BLOCKS = "list-blocks";
  /** Drop one block ({@link BlockRef}); answers even when the block was not there. */
  public static final String HG_DELETE_BLOCK = "delete-block";
  /**
   * Results of writes the HG's POP kept while the HG was down ({@link OwedPage} → how many it
   * holds); answered once the HG holds them durably, so the POP may forget them.
   */
  public static final String HG_OWED = "owed";
  /**
   * For the HG's own gateway: a delivered result by {@code {"id" (absent for a creation), "requestId"}}
   * → {@link OwedReply}; fails {@code NOT_FOUND} when the HG holds none.
   */
  public static final String HG_DELIVERED = "delivered";

  /** Verb at a POP: its region's placement state (HGs, copies, repair progress) as JSON. */
  public static final String REGION_STATUS = "region-status";

  // Headers of owner requests and replies (one name each, for both sides).
  /** A lock token the request acts under. */
  public static final String HEADER_LOCK = "lock";
  /** On a lock request: the name of its wait, to withdraw it by with {@link #OWNER_UNWAIT}. */
  public static final String HEADER_WAIT_KEY = "wait-key";
  /** The fence of the write lock a commit is made under. */
  public static final String HEADER_FENCE = "fence";
  /** The version a commit's {@code If-Match} names. */
  public static final String HEADER_IF_MATCH = "if-match";
  /** On replies: where the version was resolved ({@code primary}, {@code backup}, {@code pop-cache}). */
  public static final String HEADER_SOURCE = "source";
  /**
   * On a block read's reply: the process (its {@code Checksums.PROCESS} nonce) that checked these very
   * bytes against their checksum on the way out of its store; a receiver in the same process need not
   * check them again, any other does.
   */
  public static final String HEADER_CHECKED_IN = "checked-in";
  /**
   * On commits of a body small enough to travel inline (or a tombstone): the primary takes the write
   * lock itself, waiting at most this many milliseconds, numbers the version after the head and
   * releases the lock after the commit (one request instead of lock, commit and release).
   */
  public static final String HEADER_AUTO_LOCK = "auto-lock";
  /** The client's request id of a write ({@code Mistore-Request-Id}): a retry answers the first result. */
  public static final String HEADER_REQUEST_ID = "request-id";
  /**
   * Start of the request ids a gateway names itself when the client gave none ({@code gw:<hg>:<uuid>}):
   * they make relayed commits idempotent, but no client will retry with them.
   */
  public static final String GATEWAY_REQUEST_ID_PREFIX = "gw:";
  /** On mirror commits: the holder is a stand-in, which keeps the versions it is sent without the ones before. */
  public static final String HEADER_STAND_IN = "stand-in";
  /** On mirror commits: the POP sending it (where a returning holder catches up from). */
  public static final String HEADER_FROM = "from";
  /** On requests a gateway relays through its POP: the gateway's id (to whom a reply is owed if it is lost). */
  public static final String HEADER_GATEWAY = "gateway";
  /** The caller's deadline for a relayed request, in milliseconds. */
  public static final String HEADER_TIMEOUT = "timeout";

  /** Published when a version commits: body {@code {"id","version"}}. */
  public static final String VERSION_EVENTS = "mistore.objects.all.versions";

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
