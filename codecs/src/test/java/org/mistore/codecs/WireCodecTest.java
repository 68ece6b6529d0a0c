package org.mistore.codecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class WireCodecTest {

  @Test
  void everyTypeHasExactlyOneCodecAndASample() {
    assertThat(Codecs.ALL).extracting(WireCodec::type).doesNotHaveDuplicates();
    assertThat(Samples.all()).extracting(Object::getClass)
        .containsExactlyInAnyOrderElementsOf(Codecs.ALL.stream().map(WireCodec::type).toList());
  }

  @Test
  void everyTypeRoundTripsThroughItsWireForm() {
    for (Object value : Samples.all()) {
      WireCodec<Object> codec = Samples.codecFor(value);
      Buffer wire = codec.encode(value);
      assertThat(wire.getByte(4)).isEqualTo(WireCodec.FORMAT_VERSION);
      assertThat(wire.getInt(0)).isEqualTo(wire.length() - 4);
      Object back = codec.decode(wire);
      assertThat(back).as(value.getClass().getSimpleName()).isEqualTo(value);
    }
  }

  @Test
  void decodingStartsAtTheGivenPosition() {
    Object value = Samples.all().get(9);
    WireCodec<Object> codec = Samples.codecFor(value);
    Buffer wire = Buffer.buffer("prefix");
    codec.encodeToWire(wire, value);
    assertThat(codec.decodeFromWire(6, wire)).isEqualTo(value);
  }

  @Test
  void everyTruncationIsRejected() {
    for (Object value : Samples.all()) {
      WireCodec<Object> codec = Samples.codecFor(value);
      Buffer wire = codec.encode(value);
      for (int cut = 0; cut < wire.length(); cut++) {
        Buffer truncated = wire.getBuffer(0, cut);
        assertThatThrownBy(() -> codec.decode(truncated)).isInstanceOf(MalformedWireException.class);
        // A frame whose length prefix was rewritten to match the cut is still incomplete.
        if (cut > 5) {
          Buffer relabelled = truncated.copy();
          relabelled.setInt(0, cut - 4);
          assertThatThrownBy(() -> codec.decode(relabelled))
              .as("%s cut at %d", value.getClass().getSimpleName(), cut)
              .isInstanceOf(MalformedWireException.class);
        }
      }
    }
  }

  @Test
  void trailingBytesInsideTheFrameAreRejected() {
    Object value = Samples.ID;
    WireCodec<Object> codec = Samples.codecFor(value);
    Buffer wire = codec.encode(value).appendByte((byte) 0);
    wire.setInt(0, wire.length() - 4);
    assertThatThrownBy(() -> codec.decode(wire)).isInstanceOf(MalformedWireException.class)
        .hasMessageContaining("trailing");
  }

  @Test
  void anotherFormatVersionIsRejected() {
    WireCodec<Object> codec = Samples.codecFor(Samples.VERSION);
    Buffer wire = codec.encode(Samples.VERSION);
    wire.setByte(4, (byte) (WireCodec.FORMAT_VERSION + 1));
    assertThatThrownBy(() -> codec.decode(wire)).isInstanceOf(MalformedWireException.class)
        .hasMessageContaining("format version");
  }

  @Test
  void unknownEnumTagIsRejected() {
    LockRequest request = new LockRequest(Samples.ID, LockType.READ, 1000, 0, "hg-1");
    WireCodec<LockRequest> codec = Codecs.LOCK_REQUEST;
    Buffer wire = codec.encode(request);
    Buffer idOnly = Codecs.OBJECT_ID.encode(Samples.ID);
    int typeAt = 5 + idOnly.length() - 5;
    wire.setByte(typeAt, (byte) 9);
    assertThatThrownBy(() -> codec.decode(wire)).isInstanceOf(MalformedWireException.class)
        .hasMessageContaining("LockType");
  }

  @Test
  void invalidUtf8IsRejected() {
    Buffer wire = Buffer.buffer().appendInt(0).appendByte(WireCodec.FORMAT_VERSION);
    new WireWriter(wire).writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28});
    wire.setInt(0, wire.length() - 4);
    assertThatThrownBy(() -> Codecs.OBJECT_ID.decode(wire)).isInstanceOf(MalformedWireException.class)
        .hasMessageContaining("UTF-8");
  }

  @Test
  void fieldsThatBreakTheTypesRulesAreRejectedNotDecoded() {
    // A syntactically complete frame whose node id contains a dot (forbidden in ids).
    Buffer wire = Buffer.buffer().appendInt(0).appendByte(WireCodec.FORMAT_VERSION);
    new WireWriter(wire).writeString("pop.1").writeString("pop-2").writeString("hg-1").writeLong(1);
    wire.setInt(0, wire.length() - 4);
    assertThatThrownBy(() -> Codecs.OBJECT_ID.decode(wire)).isInstanceOf(MalformedWireException.class)
        .hasMessageContaining("primary POP");
  }

  @Test
  void transformCopiesMutableBlockData() {
    StoreBlock original = (StoreBlock) Samples.all().get(3);
    StoreBlock copy = Codecs.STORE_BLOCK.transform(original);
    assertThat(copy).isNotSameAs(original);
    original.data().setByte(0, (byte) 99);
    assertThat(copy.data().getByte(0)).isEqualTo((byte) 1);
  }

  @Test
  void aBlockHashedByItsSenderStaysSoInProcessButNotAcrossTheWire() {
    StoreBlock sample = (StoreBlock) Samples.all().get(3);
    StoreBlock hashed = new StoreBlock(sample.ref(), sample.data(), true);
    assertThat(Codecs.STORE_BLOCK.transform(hashed).hashed()).isTrue();
    assertThat(Codecs.STORE_BLOCK.decode(Codecs.STORE_BLOCK.encode(hashed)).hashed())
        .as("a receiver over the wire checks the bytes itself").isFalse();
    assertThat(Codecs.STORE_BLOCK.transform(sample).hashed()).isFalse();
  }

  @Test
  void anInlineBlockHashedByItsSenderStaysSoInProcessButNotAcrossTheWire() {
    CommitRequest sample = Samples.all().stream().filter(CommitRequest.class::isInstance)
        .map(CommitRequest.class::cast).findFirst().orElseThrow();
    VersionMeta meta = sample.meta();
    CommitRequest hashed = new CommitRequest(meta, Buffer.buffer(new byte[] {7, 8, 9}), true);
    CommitRequest copy = Codecs.COMMIT_REQUEST.transform(hashed);
    assertThat(copy.hashed()).isTrue();
    hashed.inline().setByte(0, (byte) 99);
    assertThat(copy.inline().getByte(0)).as("the in-process copy has bytes of its own").isEqualTo((byte) 7);
    CommitRequest received = Codecs.COMMIT_REQUEST.decode(Codecs.COMMIT_REQUEST.encode(copy));
    assertThat(received.hashed()).as("a receiver over the wire checks the bytes itself").isFalse();
    assertThat(received.inline()).isEqualTo(copy.inline());
    assertThat(Codecs.COMMIT_REQUEST.transform(sample).hashed()).isFalse();
  }

  @Test
  void aVersionWithoutBlockCrcsIsWrittenAsBeforeTheyWereKeptAndReadsBackWithoutThem() {
    VersionMeta with = (VersionMeta) Samples.all().get(7);
    assertThat(with.blockCrc32c(0)).isEqualTo(0x8000_0001);
    VersionMeta without = new VersionMeta(with.ref(), with.size(), with.contentType(), with.sha256(), with.blockSize(),
        with.blockSha256(), with.createdAt(), with.writer(), with.deleted(), with.stripes());
    Buffer old = Codecs.VERSION_META.encode(without);
    // The form stored before: nothing after the stripe width, which carries no flag.
    assertThat(old.getInt(old.length() - 4)).isEqualTo(20);
    assertThat(Codecs.VERSION_META.encode(with).length()).isEqualTo(old.length() + 4 * with.blockCount());
    VersionMeta back = Codecs.VERSION_META.decode(old);
    assertThat(back).isEqualTo(without);
    assertThat(back.blockCrc32c(1)).isNull();
    assertThat(back.stripes()).isEqualTo(20);
    assertThat(with.withVersion(9).blockCrc32c()).isEqualTo(with.blockCrc32c());
    assertThatThrownBy(() -> new VersionMeta(with.ref(), with.size(), with.contentType(), with.sha256(),
        with.blockSize(), with.blockSha256(), with.createdAt(), with.writer(), false, 0, java.util.List.of(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CRC32C");
  }

  @Test
  void transformCopiesTheDataOfEveryBlockOfABatch() {
    StoreBlocks original = (StoreBlocks) Samples.all().get(12);
    StoreBlocks copy = Codecs.STORE_BLOCKS.transform(original);
    original.blocks().get(0).data().setByte(0, (byte) 99);
    assertThat(copy.blocks().get(0).data().getByte(0)).isEqualTo((byte) 4);
    assertThat(copy).isEqualTo(Codecs.STORE_BLOCKS.decode(Codecs.STORE_BLOCKS.encode(copy)));
  }

  @Test
  void aBatchOfTooManyBlocksIsRejectedBeforeItsBlocksAreRead() {
    Buffer wire = Buffer.buffer().appendInt(0).appendByte(WireCodec.FORMAT_VERSION).appendInt(StoreBlocks.MAX_BLOCKS + 1);
    wire.setInt(0, wire.length() - 4);
    assertThatThrownBy(() -> Codecs.STORE_BLOCKS.decode(wire)).isInstanceOf(MalformedWireException.class)
        .hasMessageContaining("block count");
  }
}
