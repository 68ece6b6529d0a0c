package org.mistore.codecs;

import io.vertx.core.buffer.Buffer;
import java.util.List;

/** One sample value of every wire type, with non-ASCII text and edge values. */
public final class Samples {
  public static final ObjectId ID = new ObjectId("pop-1", "pop-2", "hg-1-3", 123_456_789L);
  public static final VersionRef VERSION = new VersionRef(ID, 42);
  public static final BlockRef BLOCK = new BlockRef(VERSION, 7, 5, "a".repeat(64));
  public static final OwedReply OWED = new OwedReply("hg-1-3", "req-€-42", VERSION, 1L << 33, "0".repeat(64), false,
      1_700_000_000_000L);

  private Samples() {
  }

  public static List<Object> all() {
    return List.of(
        ID,
        VERSION,
        BLOCK,
        new StoreBlock(BLOCK, Buffer.buffer(new byte[] {1, 2, 3, -1, 0})),
        new LockRequest(ID, LockType.WRITE, 10_000, 250, "hg-1-3"),
        new LockGrant("tok-é-€", LockType.READ, ID, 9, 41, 1_700_000_000_000L),
        new Ack("pop-2", VERSION),
        new VersionMeta(VERSION, 5, "text/plain; charset=ü", "b".repeat(64), 4, List.of("c".repeat(64), "d".repeat(64)),
            1_700_000_000_000L, "hg-1-3", false, 20, List.of(0x8000_0001, 42)),
        new CommitRequest(new VersionMeta(VERSION, 3, "a/b", "e".repeat(64), 65536, List.of("f".repeat(64)), 5,
            "hg-1-3", false), Buffer.buffer(new byte[] {7, 8, 9})),
        new NodeReport("hg-1-3", Role.HG, "region-1", "pop-1", "member-Ω", 1L << 40, 12345, 1, 2),
        OWED,
        new OwedPage("pop-1", List.of(OWED, new OwedReply("hg-1-3", "create-é", new VersionRef(ID, 1), 0,
            "9".repeat(64), true, 0))),
        new StoreBlocks(List.of(new StoreBlock(BLOCK, Buffer.buffer(new byte[] {4, 5, 6, 7, 8})),
            new StoreBlock(new BlockRef(VERSION, 8, 0, "0".repeat(64)), Buffer.buffer()))));
  }

  @SuppressWarnings("unchecked")
  public static <T> WireCodec<T> codecFor(Object value) {
    return (WireCodec<T>) Codecs.ALL.stream().filter(c -> c.type() == value.getClass()).findFirst().orElseThrow();
  }
}
