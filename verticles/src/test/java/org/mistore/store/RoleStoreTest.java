package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.Serializer;
import org.mistore.codecs.Role;

@ExtendWith(VertxExtension.class)
class RoleStoreTest {
  @TempDir
  Path dir;

  @Test
  void storeReopensForItsOwnerAndRefusesAnotherNode(Vertx vertx) {
    Path file = dir.resolve("pop-pop-1.db");
    RoleStore.open(vertx, file, "pop-1", Role.POP).await().close().await();
    assertThat(file).exists();
    RoleStore again = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    assertThat(again.sizeOnDisk().await()).isPositive();
    again.close().await();
    assertThatThrownBy(() -> RoleStore.open(vertx, file, "pop-2", Role.POP).await())
        .isInstanceOf(StoreException.class).hasMessageContaining("belongs to pop node 'pop-1'");
    assertThatThrownBy(() -> RoleStore.open(vertx, file, "pop-1", Role.DC).await())
        .isInstanceOf(StoreException.class);
  }

  @Test
  void aCloseRightAfterABatchThatCheckpointsWaitsForThatCheckpointInsteadOfInterruptingIt(Vertx vertx)
      throws Exception {
    Path file = dir.resolve("pop-pop-1.db");
    RoleStore store = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, byte[]> map = store.write(db -> store.hashMap("t", Serializer.STRING, Serializer.BYTE_ARRAY))
        .await();
    // One write of more than CHECKPOINT_BYTES, and the close queued while it is applied: both go in
    // one batch, which is answered, then checkpoints on the writer thread.
    int count = (int) (RoleStore.CHECKPOINT_BYTES / 1000) + 2000;
    Future<Object> written = store.write(db -> {
      for (int i = 0; i < count; i++) {
        map.put("k" + i, new byte[1000]);
      }
      return null;
    });
    store.close().await();
    assertThat(written.succeeded()).isTrue();
    assertThat(store.stoppedBecause()).as("no checkpoint was cut short").isEmpty();
    Journal journal = Journal.open(RoleStore.journalOf(file));
    assertThat(journal.size()).as("the close checkpointed everything: no record left to replay").isLessThan(4096);
    journal.close();
    RoleStore again = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, byte[]> reopened = again.write(db -> again.hashMap("t", Serializer.STRING,
        Serializer.BYTE_ARRAY)).await();
    assertThat(again.read(db -> reopened.size()).await()).isEqualTo(count);
    again.close().await();
  }

  @Test
  void aWriteLeftOutOfAFullBatchGoesInTheNextWithoutWaitingForAnotherWrite(Vertx vertx) throws Exception {
    Path file = dir.resolve("pop-pop-1.db");
    // No checkpoint timer to come by (it queues a write, which would carry the one left over along).
    RoleStore store = RoleStore.open(vertx, file, "pop-1", Role.POP, 60_000).await();
    java.util.Map<String, byte[]> map = store.write(db -> store.hashMap("t", Serializer.STRING, Serializer.BYTE_ARRAY))
        .await();
    java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
    Future<Object> holding = store.write(db -> {
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    });
    // Both queued while the writer is busy: the first fills a batch on its own, the second is left over.
    Future<Object> big = store.write(db -> map.put("big", new byte[(int) RoleStore.RECORD_BYTES + 1]));
    Future<Object> small = store.write(db -> map.put("small", new byte[] {1}));
    hold.countDown();
    holding.await();
    big.await();
    small.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(store.read(db -> map.get("small")[0]).await()).isEqualTo((byte) 1);
    store.close().await();
  }

  @Test
  void aStoreOpenTwiceIsRefused(Vertx vertx) {
    Path file = dir.resolve("dc-dc-1.db");
    RoleStore first = RoleStore.open(vertx, file, "dc-1", Role.DC).await();
    assertThatThrownBy(() -> RoleStore.open(vertx, file, "dc-1", Role.DC).await())
        .isInstanceOf(StoreException.class).hasMessageContaining("cannot open store");
    first.close().await();
  }

  @Test
  void aFileMappedInSmallSlicesReopensInLargeOnesWithEverythingKept(Vertx vertx) {
    Path file = dir.resolve("pop-pop-1.db");
    long small = 1L << 20;
    assertThat(RoleStore.mappedSliceBytes(Role.POP)).as("a POP maps its file in large slices").isGreaterThan(small);
    RoleStore store = RoleStore.open(vertx, file, "pop-1", Role.POP, RoleStore.CHECKPOINT_MS, small).await();
    java.util.Map<String, byte[]> map = store.write(db -> store.hashMap("t", Serializer.STRING, Serializer.BYTE_ARRAY))
        .await();
    // Enough to fill several small slices, the last one in part, all of it checkpointed into the file.
    byte[] value = new byte[900];
    for (int batch = 0; batch < 6; batch++) {
      int from = batch * 1000;
      store.write(db -> {
        for (int i = from; i < from + 1000; i++) {
          value[0] = (byte) i;
          map.put("k" + i, value.clone());
        }
        return null;
      }).await();
    }
    store.checkpointNow().await();
    store.close().await();
    long before = file.toFile().length();
    assertThat(before).as("the file spans several small slices").isGreaterThan(3 * small);

    RoleStore again = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, byte[]> reopened = again.write(db -> again.hashMap("t", Serializer.STRING,
        Serializer.BYTE_ARRAY)).await();
    assertThat(file.toFile().length() % RoleStore.mappedSliceBytes(Role.POP)).as("grown to whole large slices")
        .isZero();
    assertThat(again.read(db -> reopened.size()).await()).isEqualTo(6000);
    assertThat(again.read(db -> java.util.stream.IntStream.range(0, 6000)
        .allMatch(i -> reopened.get("k" + i).length == 900 && reopened.get("k" + i)[0] == (byte) i)).await()).isTrue();
    again.write(db -> reopened.put("after", new byte[] {7})).await();
    again.checkpointNow().await();
    again.close().await();
    RoleStore third = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, byte[]> last = third.write(db -> third.hashMap("t", Serializer.STRING, Serializer.BYTE_ARRAY))
        .await();
    assertThat(third.read(db -> last.get("after")[0] == 7 && last.size() == 6001).await()).isTrue();
    third.close().await();
  }

  @Test
  void smallValuesLiveInTheirLeavesWhileMapsOfAnEarlierLayoutKeepTheirRecordsAcrossReopens(Vertx vertx) {
    Path file = dir.resolve("pop-pop-1.db");
    RoleStore store = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    // A map as Mistore declared them before small values moved into leaves: every value its own record.
    store.write(db -> {
      java.util.Map<String, Long> earlier = db.hashMap("earlier", Serializer.STRING, Serializer.LONG).layout(8, 16, 4)
          .createOrOpen();
      for (long i = 0; i < 500; i++) {
        earlier.put("k" + i, i);
      }
      return null;
    }).await();
    java.util.Map<String, Long> small = store.write(db -> store.hashMap("small", Serializer.STRING, Serializer.LONG))
        .await();
    java.util.Map<String, byte[]> large = store.write(db -> store.hashMapOfLargeValues("large", Serializer.STRING,
        Serializer.BYTE_ARRAY)).await();
    store.write(db -> {
      small.put("s", 1L);
      large.put("l", new byte[5000]);
      return null;
    }).await();
    java.util.Map<String, String> catalog = store.read(db -> db.nameCatalogLoad()).await();
    assertThat(catalog).containsEntry("small#valueInline", "true").containsEntry("large#valueInline", "false")
        .containsEntry("earlier#valueInline", "false");
    store.close().await();

    RoleStore again = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    // Declared now as a map of small values: it opens with the layout its file names, values and all.
    java.util.Map<String, Long> earlier = again.write(db -> again.hashMap("earlier", Serializer.STRING,
        Serializer.LONG)).await();
    assertThat(again.read(db -> java.util.stream.LongStream.range(0, 500)
        .allMatch(i -> earlier.get("k" + i) == i)).await()).isTrue();
    again.write(db -> earlier.put("k500", 500L)).await();
    again.close().await(); // the change above reaches MapDB through the journal or the closing checkpoint
    RoleStore third = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, Long> last = third.write(db -> third.hashMap("earlier", Serializer.STRING, Serializer.LONG))
        .await();
    java.util.Map<String, byte[]> largeAgain = third.write(db -> third.hashMapOfLargeValues("large",
        Serializer.STRING, Serializer.BYTE_ARRAY)).await();
    assertThat(third.read(db -> last.size() == 501 && last.get("k500") == 500L && largeAgain.get("l").length == 5000)
        .await()).isTrue();
    assertThat(third.read(db -> db.nameCatalogLoad()).await()).containsEntry("earlier#valueInline", "false");
    third.close().await();
  }

  @Test
  void aLingeringWriteGoesWithTheNextBatchAndWithTheClose(Vertx vertx) throws Exception {
    Path file = dir.resolve("pop-pop-1.db");
    RoleStore store = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, String> map = store.write(db -> store.hashMap("t", Serializer.STRING, Serializer.STRING)).await();
    // Ten minutes of linger: only another write (or the close) can make these durable within the test.
    Future<Object> soon = store.writeSoon(db -> map.put("soon", "1"), 600_000);
    assertThatThrownBy(() -> soon.toCompletionStage().toCompletableFuture().get(1, TimeUnit.SECONDS))
        .as("a lingering write does not start a batch of its own").isInstanceOf(java.util.concurrent.TimeoutException.class);
    store.write(db -> map.put("now", "2")).await();
    soon.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Future<Object> atClose = store.writeSoon(db -> map.put("close", "3"), 600_000);
    store.close().await();
    assertThat(atClose.succeeded()).isTrue();

    RoleStore again = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, String> reopened = again.write(db -> again.hashMap("t", Serializer.STRING, Serializer.STRING))
        .await();
    assertThat(again.read(db -> new java.util.HashMap<>(reopened)).await())
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("soon", "1", "now", "2", "close", "3"));
    // Alone, a lingering write still becomes durable, after its linger.
    again.writeSoon(db -> reopened.put("alone", "4"), 50).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    again.close().await();
    RoleStore third = RoleStore.open(vertx, file, "pop-1", Role.POP).await();
    java.util.Map<String, String> last = third.write(db -> third.hashMap("t", Serializer.STRING, Serializer.STRING))
        .await();
    assertThat(third.read(db -> last.get("alone")).await()).isEqualTo("4");
    third.close().await();
  }

  @Test
  void aFailedJournalWriteStopsTheStoreSoTheFailedWriteNeverReachesTheDisk(Vertx vertx) throws Exception {
    Path file = dir.resolve("pop-pop-9.db");
    RoleStore store = RoleStore.open(vertx, file, "pop-9", Role.POP).await();
    java.util.Map<String, String> map = store.write(db -> store.hashMap("t", Serializer.STRING, Serializer.STRING)).await();
    store.write(db -> map.put("kept", "1")).await();
    store.breakJournal();
    assertThatThrownBy(() -> store.write(db -> map.put("failed", "2")).await())
        .hasMessageContaining("cannot write the journal");
    assertThatThrownBy(() -> store.write(db -> map.put("later", "3")).await())
        .isInstanceOf(StoreException.class).hasMessageContaining("takes no more writes");
    assertThat(store.stoppedBecause()).get().asString().contains("restart the node");
    // A checkpoint now would commit the failed write's change still in MapDB's memory.
    assertThatThrownBy(() -> store.checkpointNow().await()).isInstanceOf(StoreException.class);
    store.close().await();

    assertThat(mapAfterReopen(vertx, file, "pop-9")).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("kept", "1"));
  }

  @Test
  void aWriteThatTheDiskFailsStopsTheStoreAtOnceSoNothingOfItsBatchIsEverCommitted(Vertx vertx) throws Exception {
    Path file = dir.resolve("pop-pop-8.db");
    RoleStore store = RoleStore.open(vertx, file, "pop-8", Role.POP).await();
    java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    store.whenStopped(told::add);
    java.util.Map<String, String> map = store.write(db -> store.hashMap("t", Serializer.STRING, Serializer.STRING)).await();
    store.write(db -> map.put("kept", "1")).await();
    // MapDB fails the way it does when its write-ahead file cannot grow: after part of the change
    // is in its memory.
    assertThatThrownBy(() -> store.write(db -> {
      map.put("half", "2");
      throw new org.mapdb.DBException.VolumeIOError(new java.io.IOException("No space left on device"));
    }).await()).isInstanceOf(StoreException.class).hasMessageContaining("No space left on device: the disk is full");
    assertThat(told).singleElement().asString().contains("the disk is full").contains("takes no more writes");
    assertThatThrownBy(() -> store.write(db -> map.put("later", "3")).await())
        .isInstanceOf(StoreException.class).hasMessageContaining("takes no more writes");
    assertThatThrownBy(() -> store.checkpointNow().await()).isInstanceOf(StoreException.class);
    assertThat(store.stoppedBecause()).get().asString().contains("the disk is full");
    // A refusal of the write itself is no disk failure: it fails alone and the store goes on.
    RoleStore other = RoleStore.open(vertx, dir.resolve("pop-pop-7.db"), "pop-7", Role.POP).await();
    assertThatThrownBy(() -> other.write(db -> {
      throw new IllegalArgumentException("block does not match its checksum");
    }).await()).isInstanceOf(IllegalArgumentException.class);
    assertThat(other.stoppedBecause()).isEmpty();
    other.close().await();
    store.close().await();

    assertThat(mapAfterReopen(vertx, file, "pop-8")).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("kept", "1"));
  }

  /** What map "t" of the store in {@code file} holds once reopened (the journal replayed). */
  private static java.util.Map<String, String> mapAfterReopen(Vertx vertx, Path file, String node) {
    RoleStore again = RoleStore.open(vertx, file, node, Role.POP).await();
    try {
      java.util.Map<String, String> reopened = again.write(db -> again.hashMap("t", Serializer.STRING, Serializer.STRING))
          .await();
      return again.read(db -> new java.util.HashMap<>(reopened)).await();
    } finally {
      again.close().await();
    }
  }
}
