package org.mistore.codecs;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.UnaryOperator;

/** Every wire codec, and the one call that registers them on a Vert.x instance at bootstrap. */
public final class Codecs {
  public static final WireCodec<ObjectId> OBJECT_ID = immutable(ObjectId.class, ObjectId::write, ObjectId::read);
  public static final WireCodec<VersionRef> VERSION_REF = immutable(VersionRef.class, VersionRef::write, VersionRef::read);
  public static final WireCodec<BlockRef> BLOCK_REF = immutable(BlockRef.class, BlockRef::write, BlockRef::read);
  public static final WireCodec<StoreBlock> STORE_BLOCK =
      new WireCodec<>(StoreBlock.class, StoreBlock::write, StoreBlock::read, StoreBlock::copy);
  public static final WireCodec<StoreBlocks> STORE_BLOCKS =
      new WireCodec<>(StoreBlocks.class, StoreBlocks::write, StoreBlocks::read, StoreBlocks::copy);
  public static final WireCodec<LockRequest> LOCK_REQUEST =
      immutable(LockRequest.class, LockRequest::write, LockRequest::read);
  public static final WireCodec<LockGrant> LOCK_GRANT = immutable(LockGrant.class, LockGrant::write, LockGrant::read);
  public static final WireCodec<Ack> ACK = immutable(Ack.class, Ack::write, Ack::read);
  public static final WireCodec<VersionMeta> VERSION_META =
      immutable(VersionMeta.class, VersionMeta::write, VersionMeta::read);
  public static final WireCodec<CommitRequest> COMMIT_REQUEST =
      new WireCodec<>(CommitRequest.class, CommitRequest::write, CommitRequest::read, CommitRequest::copy);
  public static final WireCodec<NodeReport> NODE_REPORT = immutable(NodeReport.class, NodeReport::write, NodeReport::read);
  public static final WireCodec<OwedReply> OWED_REPLY = immutable(OwedReply.class, OwedReply::write, OwedReply::read);
  public static final WireCodec<OwedPage> OWED_PAGE = immutable(OwedPage.class, OwedPage::write, OwedPage::read);

  public static final List<WireCodec<?>> ALL =
      List.of(OBJECT_ID, VERSION_REF, BLOCK_REF, STORE_BLOCK, LOCK_REQUEST, LOCK_GRANT, ACK, VERSION_META,
      COMMIT_REQUEST, NODE_REPORT, OWED_REPLY, OWED_PAGE, STORE_BLOCKS);

  private Codecs() {
  }

  private static <T> WireCodec<T> immutable(Class<T> type, java.util.function.BiConsumer<T, WireWriter> enc,
      java.util.function.Function<WireReader, T> dec) {
    return new WireCodec<>(type, enc, dec, UnaryOperator.identity());
  }

  /** Registers every codec as the default codec of its type. Call once per Vert.x instance, before deploying. */
  public static void registerAll(Vertx vertx) {
    for (WireCodec<?> codec : ALL) {
      register(vertx, codec);
    }
    vertx.eventBus().registerCodec(BlockBytes.CODEC);
  }

  private static <T> void register(Vertx vertx, WireCodec<T> codec) {
    vertx.eventBus().registerDefaultCodec(codec.type(), codec);
  }
}
