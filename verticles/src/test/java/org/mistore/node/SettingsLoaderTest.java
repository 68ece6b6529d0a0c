package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.codecs.Role;
import org.mistore.store.RoleStore;

class SettingsLoaderTest {
  @TempDir
  Path dir;

  @AfterEach
  void clearProperties() {
    System.clearProperty(NodeSettings.HTTP_PORT.propertyName());
  }

  @Test
  void flagsBeatSystemPropertiesWhichBeatTheFile() throws Exception {
    Path file = Files.writeString(dir.resolve("n.yaml"),
        "roles: [pop, hg]\nid: pop-1\nregion: north\nhttp-port: 7001\nmembers: '127.0.0.1:5701-5703'\n");
    assertThat(NodeSettings.from(NodeCommand.loadConfig(file, new JsonObject())).httpPort()).isEqualTo(7001);
    System.setProperty(NodeSettings.HTTP_PORT.propertyName(), "7002");
    NodeSettings fromProperty = NodeSettings.from(NodeCommand.loadConfig(file, new JsonObject()));
    assertThat(fromProperty.httpPort()).isEqualTo(7002);
    NodeSettings fromFlag = NodeSettings.from(NodeCommand.loadConfig(file, new JsonObject().put("http-port", 7003)));
    assertThat(fromFlag.httpPort()).isEqualTo(7003);

    assertThat(fromFlag.roles()).containsExactly(Role.POP, Role.HG);
    assertThat(fromFlag.pop()).as("an HG on its POP's node defaults to that POP").isEqualTo("pop-1");
    assertThat(fromFlag.members()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");
    assertThat(fromFlag.heartbeatIntervalMs()).isEqualTo(1000);
  }

  @Test
  void theWebSocketAllowanceNeverTakesMoreThanAThirtySecondOfTheHeap() {
    JsonObject base = new JsonObject().put("roles", "hg").put("id", "hg-1").put("region", "north").put("pop", "pop-1");
    long heap = Runtime.getRuntime().maxMemory();
    int asked = 64 * 1048576;
    int granted = NodeSettings.from(base.copy().put("websocket-max-bytes", asked)).limits().webSocketMaxBytes();
    assertThat((long) granted).isLessThanOrEqualTo(Math.max(heap / 32, 256 * 1024)).isPositive();
    assertThat(NodeSettings.from(base.copy().put("websocket-max-bytes", 100_000)).limits().webSocketMaxBytes())
        .as("a small allowance is kept as set").isEqualTo(100_000);
    assertThat(NodeSettings.webSocketHeapCap(64L << 20)).as("an HG with -Xmx64m").isEqualTo(2L << 20);
    assertThat(NodeSettings.webSocketHeapCap(4L << 20)).as("never below 256 KiB").isEqualTo(256 * 1024);
  }

  @Test
  void everySettingHasAnEnvironmentNameAndADoc() {
    for (Setting s : NodeSettings.ALL) {
      assertThat(s.envName()).matches("MISTORE_[A-Z_]+");
      assertThat(s.doc()).isNotBlank();
    }
    assertThat(NodeSettings.HTTP_PORT.envName()).isEqualTo("MISTORE_HTTP_PORT");
  }

  @Test
  void badValuesNameTheirKey() {
    JsonObject base = new JsonObject().put("roles", "dc").put("id", "dc-1").put("region", "core");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("http-port", "eighty")))
        .isInstanceOf(StartupException.class).hasMessageContaining("http-port 'eighty'");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("http-port", 70000)))
        .hasMessageContaining("not a port");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("roles", "dc,router")))
        .hasMessageContaining("unknown role 'router'");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("members", "localhost")))
        .hasMessageContaining("must be host:port");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("failure-detection-ms", 1500)))
        .hasMessageContaining("at least twice");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("failure-detection-ms", 9_999_999_999_999L)))
        .hasMessageContaining("failure-detection-ms must be 1..3600000, got 9999999999999");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("lock-wait-default-ms", 70_000)))
        .hasMessageContaining("lock-wait-default-ms exceeds lock-max-wait-ms");
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("checkpoint-ms", 50)))
        .hasMessageContaining("checkpoint-ms must be 100..60000, got 50");
    assertThat(NodeSettings.from(base.copy().put("checkpoint-ms", 250)).limits().checkpointMs()).isEqualTo(250);
    assertThat(NodeSettings.from(base).limits().checkpointMs()).isEqualTo(RoleStore.CHECKPOINT_MS);
    assertThat(NodeSettings.from(base).roles()).isEqualTo(List.of(Role.DC));
    // A negative size is a typo, not a way to say "off" (0 is): refused, never taken as 0.
    for (String key : List.of("hg-cache-bytes", "pop-cache-bytes", "placement-busy-bytes-per-second",
        "upload-buffer-bytes")) {
      assertThatThrownBy(() -> NodeSettings.from(base.copy().put(key, -5)))
          .hasMessageContaining(key + " must be 0 or more, got -5");
      assertThat(NodeSettings.from(base.copy().put(key, 0))).isNotNull();
    }
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("event-loops", 65)))
        .hasMessageContaining("event-loops must be 0..64, got 65");
    assertThat(NodeSettings.from(base.copy().put("event-loops", 3)).eventLoops()).isEqualTo(3);
    assertThat(NodeSettings.from(base).eventLoops()).as("0, the default: one per core")
        .isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void aVertxStartsWithTheEventLoopsItIsGiven() {
    ClusterBootstrap.Booted booted = ClusterBootstrap.local(3);
    try {
      java.util.Set<Thread> loops = java.util.concurrent.ConcurrentHashMap.newKeySet();
      io.vertx.core.internal.VertxInternal vertx = (io.vertx.core.internal.VertxInternal) booted.vertx();
      java.util.List<io.vertx.core.Future<Void>> runs = new java.util.ArrayList<>();
      for (int i = 0; i < 12; i++) {
        io.vertx.core.Promise<Void> ran = io.vertx.core.Promise.promise();
        vertx.createEventLoopContext().runOnContext(v -> {
          loops.add(Thread.currentThread());
          ran.complete();
        });
        runs.add(ran.future());
      }
      io.vertx.core.Future.all(runs).await();
      assertThat(loops).hasSize(3);
    } finally {
      booted.close();
    }
  }

  @Test
  void eventBusMetersAreOffUnlessTheSettingTurnsThemOn() {
    JsonObject base = new JsonObject().put("roles", "dc").put("id", "dc-1").put("region", "core");
    assertThat(NodeSettings.from(base).eventBusMetrics()).isFalse();
    assertThat(NodeSettings.from(base.copy().put("eventbus-metrics", "true")).eventBusMetrics()).isTrue();
    assertThatThrownBy(() -> NodeSettings.from(base.copy().put("eventbus-metrics", "yes")))
        .hasMessageContaining("eventbus-metrics must be true or false");
    assertThat(scrapeAfterOneMessage(false)).doesNotContain("vertx_eventbus_").contains("jvm_memory_used_bytes");
    assertThat(scrapeAfterOneMessage(true)).contains("vertx_eventbus_delivered_total{side=\"local\"}");
  }

  /** The Prometheus text of a local Vert.x once one request and its reply crossed its event bus. */
  private static String scrapeAfterOneMessage(boolean eventBusMetrics) {
    ClusterBootstrap.Booted booted = ClusterBootstrap.local(1, eventBusMetrics);
    try {
      booted.vertx().eventBus().<String>consumer("probe", m -> m.reply("pong")).completion().await();
      assertThat(booted.vertx().eventBus().<String>request("probe", "ping").await().body()).isEqualTo("pong");
      return booted.registry().scrape();
    } finally {
      booted.close();
    }
  }

  @Test
  void aVertxOnLinuxUsesTheNativeEpollTransport() {
    String arch = System.getProperty("os.arch");
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
        && java.util.Set.of("amd64", "x86_64", "aarch64").contains(arch), "epoll is carried for Linux on x86-64 and ARM64");
    ClusterBootstrap.Booted booted = ClusterBootstrap.local(1);
    try {
      assertThat(booted.vertx().isNativeTransportEnabled())
          .as("native transport (unavailable because: %s)", booted.vertx().unavailableNativeTransportCause())
          .isTrue();
    } finally {
      booted.close();
    }
  }
}
