package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.OwedReply;
import org.mistore.codecs.Role;
import org.mistore.codecs.VersionRef;

/** Owed write results in a role's store: bounded per gateway (oldest out first), expired after their TTL, durable. */
@ExtendWith(VertxExtension.class)
class KeptRepliesTest {
  private static final ObjectId ID = ObjectId.parse("pop-1.pop-2.hg-1-1.1");
  private static final long TTL = 60_000;
  private final AtomicLong clock = new AtomicLong(1_000_000);
  @TempDir
  Path dir;

  private static OwedReply reply(String hg, String requestId, long version, long keptAt) {
    return new OwedReply(hg, requestId, new VersionRef(ID, version), 5, "a".repeat(64), false, keptAt);
  }

  private RoleStore open(Vertx vertx) {
    return RoleStore.open(vertx, dir.resolve("pop-pop-1.db"), "pop-1", Role.POP).await();
  }

  @Test
  void eachGatewayKeepsItsNewestResultsUpToTheBound(Vertx vertx) {
    RoleStore store = open(vertx);
    KeptReplies kept = KeptReplies.open(store, 3, TTL, clock::get).await();
    long t = clock.get() - 10_000;
    // Kept out of time order: the bound drops by keptAt, not by arrival.
    assertThat(kept.keep(List.of(reply("hg-1", "r2", 2, t + 2000), reply("hg-1", "r1", 3, t + 1000),
        reply("hg-1", "r4", 4, t + 4000))).await()).isZero();
    assertThat(kept.keep(List.of(reply("hg-1", "r3", 5, t + 3000), reply("hg-1", "r5", 6, t + 5000))).await())
        .as("two beyond the bound of 3").isEqualTo(2);
    assertThat(kept.keep(List.of(reply("hg-1-1", "r1", 7, t + 1000))).await())
        .as("another gateway (whose id extends the first's) has its own bound").isZero();

    assertThat(kept.count("hg-1")).isEqualTo(3);
    assertThat(kept.count("hg-1-1")).isEqualTo(1);
    assertThat(kept.total()).isEqualTo(4);
    assertThat(kept.page("hg-1", 10).await()).extracting(OwedReply::requestId)
        .containsExactlyInAnyOrder("r3", "r4", "r5");
    assertThat(kept.find("hg-1", OwedReply.lookupKey(ID, "r1")).await()).as("the oldest went first").isEmpty();
    assertThat(kept.find("hg-1", OwedReply.lookupKey(ID, "r5")).await()).get()
        .extracting(r -> r.ref().version()).isEqualTo(6L);
    assertThat(kept.page("hg-1", 2).await()).hasSize(2);

    // The same result kept again is one result.
    kept.keep(List.of(reply("hg-1", "r5", 6, t + 5500))).await();
    assertThat(kept.count("hg-1")).isEqualTo(3);

    assertThat(kept.forget(kept.page("hg-1", 10).await()).await()).isEqualTo(3);
    assertThat(kept.count("hg-1")).isZero();
    assertThat(kept.hgs()).containsExactly("hg-1-1");
    store.close().await();
  }

  @Test
  void resultsOlderThanTheirTimeToLiveAreNeitherFoundNorDeliveredAndAreRemoved(Vertx vertx) {
    RoleStore store = open(vertx);
    KeptReplies kept = KeptReplies.open(store, 100, TTL, clock::get).await();
    long now = clock.get();
    kept.keep(List.of(reply("hg-1", "old", 2, now - TTL - 1), reply("hg-1", "young", 3, now - TTL + 1000))).await();
    assertThat(kept.find("hg-1", OwedReply.lookupKey(ID, "old")).await()).isEmpty();
    assertThat(kept.find("hg-1", OwedReply.lookupKey(ID, "young")).await()).isPresent();
    assertThat(kept.page("hg-1", 10).await()).extracting(OwedReply::requestId).containsExactly("young");

    assertThat(kept.expire().await()).isEqualTo(1);
    assertThat(kept.count("hg-1")).isEqualTo(1);
    clock.addAndGet(1001);
    assertThat(kept.find("hg-1", OwedReply.lookupKey(ID, "young")).await()).isEmpty();
    assertThat(kept.expire().await()).isEqualTo(1);
    assertThat(kept.total()).isZero();
    store.close().await();
  }

  @Test
  void keptResultsAndTheirCountsSurviveAReopen(Vertx vertx) {
    RoleStore store = open(vertx);
    KeptReplies kept = KeptReplies.open(store, 10, TTL, clock::get).await();
    OwedReply created = new OwedReply("hg-1", "c1", new VersionRef(ID, 1), 5, "b".repeat(64), false, clock.get());
    kept.keep(List.of(created, reply("hg-1", "w1", 2, clock.get()))).await();
    store.close().await();

    RoleStore again = open(vertx);
    KeptReplies reopened = KeptReplies.open(again, 10, TTL, clock::get).await();
    assertThat(reopened.count("hg-1")).isEqualTo(2);
    assertThat(reopened.find("hg-1", OwedReply.lookupKey(null, "c1")).await())
        .as("a creation is found by its request id alone").contains(created);
    assertThat(reopened.find("hg-1", OwedReply.lookupKey(ID, "c1")).await()).isEmpty();
    again.close().await();
  }
}
