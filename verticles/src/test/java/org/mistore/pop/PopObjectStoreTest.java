package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.codecs.BlockRef;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.Role;
import org.mistore.codecs.VersionMeta;
import org.mistore.codecs.VersionRef;
import org.mistore.store.Checksums;
import org.mistore.store.RoleStore;

@ExtendWith(VertxExtension.class)
class PopObjectStoreTest {
  @TempDir
  Path dir;
  private final ObjectId id = new ObjectId("pop-1", "pop-2", "hg-1", 7);

  private RoleStore open(Vertx vertx, String pop) {
    return RoleStore.open(vertx, dir.resolve(pop + ".db"), pop, Role.POP).await();
  }

  private static Buffer block(int n) {
    return Buffer.buffer(("block-" + n).repeat(100));
  }

  /** Uploads and commits a version made of the one block {@code data}. */
  private static void commitOneBlock(PopObjectStore store, VersionRef v, Buffer data) {
    store.putBlock(ref(v, 0, data), data).await();
    store.commit(new VersionMeta(v, data.length(), "text/plain", "0".repeat(64), data.length(),
        List.of(Checksums.sha256(data)), 1, "hg-1", false)).await();
  }

  /** Commits version 1 (block 1), then uploads block 2 as block 0 of version 2 and never commits it; its ref. */
  private BlockRef uploadAfterCommit(PopObjectStore store) {
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    Buffer data = block(2);
    BlockRef uploaded = ref(new VersionRef(id, 2), 0, data);
    store.putBlock(uploaded, data).await();
    return uploaded;
  }

  /** The block {@link #uploadAfterCommit} committed as version 1. */
  private BlockRef committedBlock() {
    return ref(new VersionRef(id, 1), 0, block(1));
  }

  private static BlockRef ref(VersionRef v, int index, Buffer data) {
    return new BlockRef(v, index, data.length(), Checksums.sha256(data));
  }

  @Test
  void theHoldersOfABlockAreRecordedOnceEachAndSurviveAReopen(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    BlockRef b = committedBlock();
    // An HG whose id is a prefix of another's is still a holder of its own.
    for (String hg : List.of("hg-1-10", "hg-1-1", "hg-1-10", "hg-1-1")) {
      store.placed(b, hg).await();
    }
    assertThat(store.placement(b).await()).containsExactly("hg-1-10", "hg-1-1");
    file.close().await();
    PopObjectStore reopened = PopObjectStore.open(open(vertx, "pop-1")).await();
    assertThat(reopened.placement(b).await()).containsExactly("hg-1-10", "hg-1-1");
  }

  @Test
  void aVersionCommittedAheadOfItsBlocksStaysOwedAcrossAReopenUntilTheyArrive(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    Buffer a = block(3);
    Buffer b = block(4);
    VersionRef v3 = new VersionRef(id, 3);
    VersionMeta meta = new VersionMeta(v3, a.length() + b.length(), "text/plain", "0".repeat(64), a.length(),
        List.of(Checksums.sha256(a), Checksums.sha256(b)), 1, "hg-1", false);
    // A catch-up may skip a version (gaps allowed) and commit one whose blocks are not here.
    assertThat(store.commitOwingBlocks(meta, "client-req", "pop:pop-2").await()).isTrue();
    assertThat(store.head(id).await()).isEqualTo(3);
    assertThat(store.owedCount()).isEqualTo(1);
    assertThat(store.commitOwingBlocks(meta, "client-req", "pop:pop-2").await())
        .as("the same version again is already here").isFalse();
    file.close().await();

    RoleStore file2 = open(vertx, "pop-1");
    PopObjectStore reopened = PopObjectStore.open(file2).await();
    assertThat(reopened.head(id).await()).isEqualTo(3);
    List<PopObjectStore.Owed> owed = reopened.owed().await();
    assertThat(owed).hasSize(1);
    assertThat(owed.get(0).meta().ref()).isEqualTo(v3);
    assertThat(owed.get(0).holder()).isEqualTo("pop:pop-2");
    reopened.putOwedBlock(ref(v3, 0, a), a).await();
    assertThat(reopened.owedBlocksArrived(meta).await()).as("one block is still missing").isFalse();
    assertThatThrownBy(() -> reopened.putOwedBlock(ref(v3, 1, b), a).await())
        .as("bytes that do not match the block's checksum").hasMessageContaining("block 1");
    reopened.putOwedBlock(ref(v3, 1, b), b).await();
    assertThat(reopened.owedBlocksArrived(meta).await()).isTrue();
    assertThat(reopened.owedCount()).isZero();
    assertThat(reopened.block(ref(v3, 1, b)).await()).hasValueSatisfying(d -> assertThat(d).isEqualTo(b));
    file2.close().await();
    assertThat(PopObjectStore.open(open(vertx, "pop-1")).await().owed().await()).isEmpty();
  }

  @Test
  void fencesRiseAcrossReopenAndAcrossATakeoverByTheBackup(Vertx vertx) {
    RoleStore primaryFile = open(vertx, "pop-1");
    PopObjectStore primary = PopObjectStore.open(primaryFile).await();
    long last = 0;
    for (int i = 0; i < 5; i++) {
      long f = primary.nextFence(id).await();
      assertThat(f).isGreaterThan(last);
      last = f;
    }
    long ceiling = primary.ceiling(id);
    primaryFile.close().await();

    RoleStore reopenedFile = open(vertx, "pop-1");
    PopObjectStore reopened = PopObjectStore.open(reopenedFile).await();
    assertThat(reopened.nextFence(id).await()).as("after a restart").isGreaterThan(last);
    reopenedFile.close().await();

    RoleStore backupFile = open(vertx, "pop-2");
    PopObjectStore backup = PopObjectStore.open(backupFile).await();
    backup.recordCeiling(id, ceiling).await();
    assertThat(backup.nextFence(id).await()).as("at the backup taking over").isGreaterThan(ceiling);
    backupFile.close().await();
  }

  @Test
  void concurrentWritesShareCommits(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    long before = file.commitCount();
    VersionRef v1 = new VersionRef(id, 1);
    List<Future<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Buffer data = block(i);
      writes.add(store.putBlock(ref(v1, i, data), data));
    }
    Future.all(writes).await();
    long commits = file.commitCount() - before;
    assertThat(commits).as("200 durable writes in fewer commits").isBetween(1L, 199L);
    file.close().await();
  }

  @Test
  void aVersionCommitsOnlyWhenItFollowsTheHeadAndAllItsBlocksAreHere(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    VersionRef v1 = new VersionRef(id, 1);
    Buffer a = block(1);
    Buffer b = block(2);
    int blockSize = a.length();
    VersionMeta meta = new VersionMeta(v1, a.length() + b.length(), "text/plain", "0".repeat(64), blockSize,
        List.of(Checksums.sha256(a), Checksums.sha256(b)), 1, "hg-1", false);
    store.putBlock(ref(v1, 0, a), a).await();
    assertThatThrownBy(() -> store.commit(meta).await()).hasMessageContaining("block 1");
    store.putBlock(ref(v1, 1, b), b).await();
    VersionMeta v3 = new VersionMeta(new VersionRef(id, 3), 0, "", "0".repeat(64), blockSize, List.of(), 1, "hg-1",
        true);
    assertThatThrownBy(() -> store.commit(v3).await()).hasMessageContaining("does not follow");
    assertThat(store.commit(meta).await()).isEqualTo(meta);
    assertThat(store.commit(meta).await()).as("the same commit again is idempotent").isEqualTo(meta);
    assertThat(store.block(ref(v1, 1, b)).await()).contains(b);
    Buffer wrong = block(3);
    assertThatThrownBy(() -> store.putBlock(new BlockRef(v1, 0, wrong.length(), Checksums.sha256(a)), wrong).await())
        .hasMessageContaining("checksum");
    file.close().await();
  }

  @Test
  void aCatchUpFillsAHoleBelowTheHeadWithoutMovingTheHeadWhileAWriteMayNot(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    assertThat(store.firstMissing(id).await()).isEqualTo(2);
    // Versions 4-5 copied from a holder that has only those (a stand-in): 2-3 are a hole.
    for (int v = 4; v <= 5; v++) {
      assertThat(store.commit(inline(new VersionRef(id, v), block(v)), "req-" + v, true).await().ref().version())
          .isEqualTo(v);
    }
    assertThat(store.firstMissing(id).await()).isEqualTo(2);
    assertThat(store.held(id, List.of(2L, 3L, 4L, 5L, 6L)).await()).containsExactlyInAnyOrder(4L, 5L);
    org.mistore.codecs.CommitRequest three = inline(new VersionRef(id, 3), block(3));
    assertThatThrownBy(() -> store.commit(three, null, false).await()).as("a write never lands below the head")
        .hasMessageContaining("already committed");
    store.commit(three, "req-3", true).await();
    assertThat(store.head(id).await()).as("filling a hole leaves the head").isEqualTo(5);
    assertThat(store.firstMissing(id).await()).isEqualTo(2);
    store.commit(inline(new VersionRef(id, 2), block(2)), "req-2", true).await();
    assertThat(store.firstMissing(id).await()).isEqualTo(6);
    Buffer other = block(9);
    org.mistore.codecs.CommitRequest otherThree = new org.mistore.codecs.CommitRequest(new VersionMeta(
        new VersionRef(id, 3), other.length(), "text/plain", "1".repeat(64), other.length(),
        List.of(Checksums.sha256(other)), 1, "hg-1", false), other);
    assertThatThrownBy(() -> store.commit(otherThree, null, true).await())
        .as("a version held is not replaced").hasMessageContaining("already committed");
    file.close().await();
    PopObjectStore reopened = PopObjectStore.open(open(vertx, "pop-1")).await();
    assertThat(reopened.head(id).await()).isEqualTo(5);
    assertThat(reopened.versions(id).await().stream().map(m -> m.ref().version()).toList())
        .containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(reopened.requested(id, "req-3").await().map(m -> m.ref().version())).contains(3L);
  }

  /** A store {@code name} left as by a stop between staging version 2 of {@link #id} and writing its head; its version 2. */
  private VersionMeta stagedThenStopped(Vertx vertx, String name) {
    RoleStore file = open(vertx, name);
    PopObjectStore store = PopObjectStore.open(file).await();
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    // Two blocks, uploaded before the commit.
    Buffer a = block(2);
    Buffer b = block(3);
    VersionRef v2 = new VersionRef(id, 2);
    store.putBlock(ref(v2, 0, a), a).await();
    store.putBlock(ref(v2, 1, b), b).await();
    VersionMeta two = new VersionMeta(v2, a.length() + b.length(), "text/plain", "2".repeat(64), a.length(),
        List.of(Checksums.sha256(a), Checksums.sha256(b)), 1, "hg-1", false);
    store.stage(org.mistore.codecs.CommitRequest.of(two), "r-2").await();
    assertThat(store.stagedBefore(id).await()).as("this run's own write in progress").isEmpty();
    file.close().await();
    return two;
  }

  @Test
  void aVersionStagedByARunThatStoppedKeepsItsBlocksUntilSettledThenIsAdoptedOrDropped(Vertx vertx) {
    for (String name : List.of("adopting", "dropping")) {
      VersionMeta two = stagedThenStopped(vertx, name);
      RoleStore file = open(vertx, name);
      PopObjectStore store = PopObjectStore.open(file).await();
      assertThat(store.uncertain()).containsExactly(id);
      assertThat(store.head(id).await()).isEqualTo(1);
      assertThat(store.stagedBefore(id).await()).containsExactly(two);
      assertThat(store.hasBlocks(two).await()).as("kept, not collected as orphans").isTrue();
      if (name.equals("adopting")) {
        assertThat(store.adoptStaged(id).await()).containsExactly(two);
        assertThat(store.head(id).await()).isEqualTo(2);
      } else {
        assertThat(store.dropStaged(id).await()).isEqualTo(1);
        assertThat(store.hasBlocks(two).await()).isFalse();
        assertThat(store.head(id).await()).isEqualTo(1);
      }
      assertThat(store.stagedBefore(id).await()).isEmpty();
      assertThat(store.uncertain()).isEmpty();
      file.close().await();
      PopObjectStore reopened = PopObjectStore.open(open(vertx, name)).await();
      assertThat(reopened.head(id).await()).isEqualTo(name.equals("adopting") ? 2 : 1);
      assertThat(reopened.uncertain()).isEmpty();
      assertThat(reopened.hasBlocks(two).await()).isEqualTo(name.equals("adopting"));
    }
  }

  /** Version {@code v} of one block {@code data}, sent inline with its commit. */
  private static org.mistore.codecs.CommitRequest inline(VersionRef v, Buffer data) {
    return new org.mistore.codecs.CommitRequest(new VersionMeta(v, data.length(), "text/plain", "0".repeat(64),
        data.length(), List.of(Checksums.sha256(data)), 1, "hg-1", false), data);
  }

  @Test
  void aStagedVersionIsReadByNobodyUntilPublishedAndAnUnpublishedOneLeavesNothing(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    VersionRef v2 = new VersionRef(id, 2);
    Buffer two = block(2);
    PopObjectStore.Staged staged = store.stage(inline(v2, two), "r-2").await();
    assertThat(staged.earlier()).isFalse();
    assertThat(store.head(id).await()).as("staged is not the head").isEqualTo(1);
    assertThat(store.meta(id, 2).await()).as("nor readable as an exact version").isEmpty();
    assertThat(store.versions(id).await()).hasSize(1);
    assertThat(store.versionsFrom(id, 2, 10).await()).as("nor handed to a catch-up").isEmpty();

    store.publish(staged.meta(), "r-2");
    assertThat(store.head(id).await()).as("published: the head at once").isEqualTo(2);
    assertThat(store.meta(id, 2).await()).contains(staged.meta());
    assertThat(store.versionsFrom(id, 2, 10).await()).extracting(PopObjectStore.Committed::requestId)
        .containsExactly("r-2");
    assertThat(store.stage(inline(new VersionRef(id, 3), two), "r-2").await())
        .as("a retried request id answers the published version").isEqualTo(new PopObjectStore.Staged(staged.meta(), true));

    VersionRef v3 = new VersionRef(id, 3);
    Buffer three = block(3);
    store.stage(inline(v3, three), null).await();
    assertThat(store.holds(ref(v3, 0, three)).await()).isTrue();
    store.unstage(inline(v3, three).meta()).await();
    assertThat(store.holds(ref(v3, 0, three)).await()).as("unstaged: its block is dropped").isFalse();
    assertThat(store.meta(id, 3).await()).isEmpty();

    // Staged and never published, then a restart: still above the head, read by nobody, its block
    // kept until a catch-up settles whether it was acknowledged (see the test below).
    Buffer other = block(4);
    store.stage(inline(v3, other), null).await();
    file.close().await();
    RoleStore again = open(vertx, "pop-1");
    PopObjectStore reopened = PopObjectStore.open(again).await();
    assertThat(reopened.head(id).await()).as("the published head is durable").isEqualTo(2);
    assertThat(reopened.meta(id, 2).await()).contains(staged.meta());
    assertThat(reopened.meta(id, 3).await()).isEmpty();
    assertThat(reopened.holds(ref(v3, 0, other)).await()).isTrue();
    assertThat(reopened.uncertain()).containsExactly(id);
    assertThat(reopened.requested(id, "r-2").await()).contains(staged.meta());
    VersionMeta next = reopened.commit(inline(v3, three)).await();
    assertThat(next.ref().version()).as("the number a staged version held is free again").isEqualTo(3);
    again.close().await();
  }

  @Test
  void requestIdsAGatewayNamedAnswerRetriesFromMemoryWhileClientOnesAreKeptDurably(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    commitOneBlock(store, new VersionRef(id, 1), block(1));
    String gateways = org.mistore.codecs.Addresses.GATEWAY_REQUEST_ID_PREFIX + "hg-1:7f3c";
    VersionMeta two = store.commit(inline(new VersionRef(id, 2), block(2)), gateways, false).await();
    VersionMeta three = store.commit(inline(new VersionRef(id, 3), block(3)), "client-3", false).await();
    assertThat(store.commit(inline(new VersionRef(id, 4), block(2)), gateways, false).await())
        .as("a relay's re-sent commit answers the version it made").isEqualTo(two);
    assertThat(store.requested(id, gateways).await()).contains(two);
    assertThat(store.versionsFrom(id, 2, 10).await()).extracting(PopObjectStore.Committed::requestId)
        .as("only client ids travel with catch-up").containsExactly(null, "client-3");
    file.close().await();

    RoleStore again = open(vertx, "pop-1");
    PopObjectStore reopened = PopObjectStore.open(again).await();
    assertThat(reopened.requested(id, "client-3").await()).contains(three);
    assertThat(reopened.requested(id, gateways).await()).as("a gateway's id is not written to disk").isEmpty();
    again.close().await();
  }

  @Test
  void blocksOfAnUncommittedVersionAreCollectedOnReopen(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    VersionRef v2 = new VersionRef(id, 2);
    Buffer data = block(9);
    store.putBlock(ref(v2, 0, data), data).await();
    assertThat(store.block(ref(v2, 0, data)).await()).isPresent();
    file.close().await();
    RoleStore again = open(vertx, "pop-1");
    PopObjectStore reopened = PopObjectStore.open(again).await();
    assertThat(reopened.block(ref(v2, 0, data)).await()).isEmpty();
    again.close().await();
  }

  @Test
  void anAbortedUploadDropsItsBlocksButNeverACommittedVersionsBlocks(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    // Version 2 is uploaded (two blocks) but never committed.
    BlockRef first = uploadAfterCommit(store);
    Buffer c = block(3);
    BlockRef second = ref(first.version(), 1, c);
    store.putBlock(second, c).await();
    // Another object's upload of the same version number is not touched.
    Buffer b = block(2);
    BlockRef other = ref(new VersionRef(new ObjectId("pop-1", "pop-2", "hg-1", 8), 2), 0, b);
    store.putBlock(other, b).await();

    store.abort(id, 2).await();
    assertThat(store.holds(first).await()).isFalse();
    assertThat(store.holds(second).await()).isFalse();
    assertThat(store.holds(other).await()).isTrue();
    store.abort(id, 1).await();
    assertThat(store.block(committedBlock()).await()).as("committed").contains(block(1));
    file.close().await();
  }

  @Test
  void aCommitDropsAnotherWritersUploadUnderTheSameNumber(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    VersionRef v1 = new VersionRef(id, 1);
    Buffer loser = block(4);
    store.putBlock(ref(v1, 0, loser), loser).await();
    Buffer winner = block(5);
    commitOneBlock(store, v1, winner);
    assertThat(store.holds(ref(v1, 0, loser)).await()).as("cannot commit any more").isFalse();
    assertThat(store.block(ref(v1, 0, winner)).await()).contains(winner);
    file.close().await();
  }

  @Test
  void uploadsLeftIdleAreDroppedButNotCommittedOrRecentOnes(Vertx vertx) {
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    // Version 2 was uploaded and then its gateway went away: no commit, no abort.
    BlockRef uploaded = uploadAfterCommit(store);
    assertThat(store.abortIdle(3_600_000).await()).as("not idle for an hour yet").isZero();
    assertThat(store.holds(uploaded).await()).isTrue();

    assertThat(store.abortIdle(0).await()).as("only the uncommitted upload").isEqualTo(1);
    assertThat(store.holds(uploaded).await()).isFalse();
    assertThat(store.block(committedBlock()).await()).as("committed").contains(block(1));
    assertThat(store.abortIdle(0).await()).as("nothing left to drop").isZero();
    file.close().await();
  }

  @Test
  void mintedIdsAreNeverReusedAcrossRestartsAndARetriedCreateGetsItsFirstId(Vertx vertx) {
    java.util.function.LongFunction<String> idOf = n -> new ObjectId("pop-1", "pop-2", "hg-1", n).render();
    java.util.Set<String> fresh = new java.util.HashSet<>();
    java.util.Set<String> minted = new java.util.HashSet<>();
    RoleStore file = open(vertx, "pop-1");
    PopObjectStore store = PopObjectStore.open(file).await();
    for (int i = 0; i < 5; i++) {
      assertThat(minted.add(store.mint("hg-1", null, idOf, fresh::add).await())).isTrue();
    }
    String retried = store.mint("hg-1", "req-1", idOf, fresh::add).await();
    assertThat(minted.add(retried)).isTrue();
    assertThat(store.mint("hg-1", "req-1", idOf, fresh::add).await()).as("a retry").isEqualTo(retried);
    assertThat(store.mint("hg-1", null, idOf, fresh::add).await()).isNotIn(minted);
    assertThat(fresh).as("told of new ids only").hasSize(7);
    long highest = fresh.stream().mapToLong(id -> ObjectId.parse(id).counter()).max().orElseThrow();
    file.close().await();

    RoleStore again = open(vertx, "pop-1");
    PopObjectStore reopened = PopObjectStore.open(again).await();
    assertThat(reopened.mint("hg-1", "req-1", idOf, x -> { }).await()).as("a retry after a restart").isEqualTo(retried);
    for (int i = 0; i < 3; i++) {
      String id = reopened.mint("hg-1", null, idOf, x -> { }).await();
      assertThat(ObjectId.parse(id).counter()).as("past every counter given before the restart").isGreaterThan(highest);
    }
    assertThat(ObjectId.parse(reopened.mint("hg-2", null, idOf, x -> { }).await()).counter())
        .as("counters are per creator").isEqualTo(1);
    again.close().await();
  }
}
