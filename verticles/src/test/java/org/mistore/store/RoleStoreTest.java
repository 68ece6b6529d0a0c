package org.mistore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
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
  void aStoreOpenTwiceIsRefused(Vertx vertx) {
    Path file = dir.resolve("dc-dc-1.db");
    RoleStore first = RoleStore.open(vertx, file, "dc-1", Role.DC).await();
    assertThatThrownBy(() -> RoleStore.open(vertx, file, "dc-1", Role.DC).await())
        .isInstanceOf(StoreException.class).hasMessageContaining("cannot open store");
    first.close().await();
  }
}
