package org.mistore.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import org.mapdb.Serializer;
import org.mistore.codecs.Role;

/**
 * A process for {@link JournalCrashTest}: writes to a store (maps and blocks) without end, eight writes in flight,
 * printing {@code PUT i} or {@code DEL i} once a write is acknowledged, until it is killed.
 */
public final class JournalCrashChild {
  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    RoleStore store = RoleStore.open(vertx, Path.of(args[0]), "pop-1", Role.POP).await();
    var maps = store.write(db -> new Object[] {
        store.hashMap("words", Serializer.STRING, Serializer.STRING),
        store.treeMap("blobs", Serializer.STRING, Serializer.BYTE_ARRAY),
        new BlockStore(store, JournalCrashTest.SEGMENT_BYTES)}).await();
    @SuppressWarnings("unchecked")
    ConcurrentMap<String, String> words = (ConcurrentMap<String, String>) maps[0];
    @SuppressWarnings("unchecked")
    ConcurrentMap<String, byte[]> blobs = (ConcurrentMap<String, byte[]>) maps[1];
    BlockStore blocks = (BlockStore) maps[2];
    Semaphore inFlight = new Semaphore(8);
    for (int i = 0; ; i++) {
      inFlight.acquire();
      int n = i;
      Future<String> write = n % 10 == 9
          // Removes a key acknowledged earlier (n - 5 was put, as n - 5 is not 9 mod 10).
          ? store.write(db -> {
            words.remove(JournalCrashTest.key(n - 5));
            blobs.remove(JournalCrashTest.key(n - 5));
            // Blocks: all of this ten but the first go, so block files empty and get compacted.
            for (int m = n - 8; m < n; m++) {
              blocks.removeNow(JournalCrashTest.key(m));
            }
            return "DEL " + (n - 5);
          })
          : store.write(db -> {
            words.put(JournalCrashTest.key(n), JournalCrashTest.word(n));
            blobs.put(JournalCrashTest.key(n), JournalCrashTest.blob(n));
            blocks.putNow(JournalCrashTest.key(n), JournalCrashTest.blob(n));
            return "PUT " + n;
          });
      write.onComplete(done -> {
        inFlight.release();
        if (done.succeeded()) {
          System.out.println(done.result());
          System.out.flush();
        }
      });
      if (n % 10 == 8) {
        // The next op removes what write n - 4 put: wait until every write so far is acknowledged.
        inFlight.acquire(8);
        inFlight.release(8);
      }
    }
  }

  private JournalCrashChild() {
  }
}
