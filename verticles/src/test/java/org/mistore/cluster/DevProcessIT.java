package org.mistore.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mistore.testing.ClusterView;
import org.mistore.testing.NodeProcess;
import org.mistore.testing.Ports;

/** The launcher as a user runs it: {@code java -jar mistore.jar ...}. */
@Tag("cluster")
@Timeout(120)
class DevProcessIT {
  @TempDir
  Path dir;

  @Test
  void devBootsToReadyWithTheDefaultTopology() {
    int http = Ports.free();
    long started = System.nanoTime();
    try (NodeProcess dev = NodeProcess.start("dev", dir, http, List.of(),
        List.of("dev", "--http-port", Integer.toString(http), "--data", dir.resolve("data").toString()))) {
      dev.awaitReady(Duration.ofSeconds(60));
      System.out.printf("java -jar mistore.jar dev: /ready after %d ms%n", (System.nanoTime() - started) / 1_000_000);
      assertThat(ClusterView.upByRole(dev.url())).isEqualTo(Map.of("dc", 1L, "pop", 3L, "hg", 12L));
      assertThat(dev.log()).contains("point clients at http://127.0.0.1:" + http + "/v1");
      // A second dev cluster on the same folder stops with one line, before opening anything.
      try (NodeProcess second = NodeProcess.start("dev-2", dir, 0, List.of(), List.of("dev", "--http-port",
          Integer.toString(Ports.free()), "--data", dir.resolve("data").toString()))) {
        assertThat(second.waitFor(Duration.ofSeconds(30))).isTrue();
        assertThat(second.exitValue()).isEqualTo(1);
        assertThat(second.log().strip()).isEqualTo("mistore: data folder " + dir.resolve("data") + " is in use by "
            + "another Mistore node (it holds .mistore.lock); stop that node or give this one its own --data");
      }
      assertThat(dev.terminate(Duration.ofSeconds(20))).isEqualTo(0);
    }
  }

  @Test
  void unknownFlagExitsTwoWithUsage() {
    try (NodeProcess p = NodeProcess.start("bad-flag", dir, 0, List.of(), List.of("dev", "--no-such-flag"))) {
      assertThat(p.waitFor(Duration.ofSeconds(30))).isTrue();
      assertThat(p.exitValue()).isEqualTo(2);
      assertThat(p.log()).contains("Unknown option").contains("Usage: mistore dev");
    }
  }

  @Test
  void portInUseExitsNonZeroWithOneLine() throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      try (NodeProcess p = NodeProcess.start("busy", dir, 0, List.of(), List.of("dev", "--http-port",
          Integer.toString(busy.getLocalPort()), "--data", dir.resolve("d").toString()))) {
        assertThat(p.waitFor(Duration.ofSeconds(30))).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(p.log().strip()).startsWith("mistore: cannot serve HTTP").doesNotContain("\n");
      }
    }
  }
}
