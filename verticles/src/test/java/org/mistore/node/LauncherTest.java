package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
  @TempDir
  Path dir;

  private record Result(int code, String out, String err) {
  }

  private Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void unknownCommandPrintsUsageAndExitsTwo() {
    Result r = run("frobnicate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: mistore");
  }

  @Test
  void helpIsACommandToo() {
    Result all = run("help");
    assertThat(all.code()).isZero();
    assertThat(all.out()).contains("Usage: mistore").contains("dev").contains("node");
    Result node = run("help", "node");
    assertThat(node.code()).isZero();
    assertThat(node.out()).contains("Usage: mistore node").contains("--role");
  }

  @Test
  void helpPrintsNoWarnings() throws Exception {
    // picocli warns on the process's stderr about a description it cannot format (a bare '%').
    Result node = runChild("help", "node");
    assertThat(node.code()).isZero();
    assertThat(node.out()).contains("--eventbus-metrics");
    assertThat(node.err()).isEmpty();
  }

  @Test
  void unknownFlagPrintsUsageAndExitsTwo() {
    Result r = run("node", "--role", "dc", "--bogus");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Unknown option: '--bogus'").contains("Usage: mistore node");
    assertThat(run("dev", "--pops").code()).isEqualTo(2);
  }

  @Test
  void aFlagValueOfTheWrongTypeIsOneLineAndExitOne() {
    Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", dir.toString(),
        "--http-port", "abc");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("mistore: Invalid value for option '--http-port'").doesNotContain("\n")
        .doesNotContain("Usage");
  }

  @Test
  void everySettingIsAlsoAFlagOfNode() {
    for (Setting s : NodeSettings.ALL) {
      if (s != NodeSettings.ROLES) {
        assertThat(run("node", "--help").out()).as(s.key()).contains("--" + s.key());
      }
    }
    // A setting given as a flag reaches the same checks as from any other source.
    Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", dir.toString(),
        "--block-size", "12");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("mistore: block-size 12 is outside 65536..8388608");
  }

  @Test
  void noCommandIsAUsageError() {
    assertThat(run().code()).isEqualTo(2);
  }

  @Test
  void nodeWithoutRoleSaysSoInOneLine() {
    Result r = run("node", "--id", "x", "--region", "r", "--data", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("mistore: no role given").doesNotContain("\n").doesNotContain("Exception");
  }

  @Test
  void hgWithoutPopSaysSo() {
    Result r = run("node", "--role", "hg", "--id", "hg-1", "--region", "r", "--data", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("an HG needs its POP");
  }

  @Test
  void badIdIsRefused() {
    Result r = run("node", "--role", "dc", "--id", "has.dot", "--region", "r", "--data", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("id 'has.dot' must be");
  }

  @Test
  void portInUseIsOneClearLineAndNonZeroExit() throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", dir.toString(),
          "--http-port", Integer.toString(busy.getLocalPort()));
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err().strip()).startsWith("mistore: cannot serve HTTP on 127.0.0.1:" + busy.getLocalPort())
          .doesNotContain("\n").doesNotContain("\tat ");
    }
  }

  @Test
  void clusterPortInUseIsOneClearLine() throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", dir.toString(),
          "--http-port", "0", "--cluster-port", Integer.toString(busy.getLocalPort()));
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err().strip()).startsWith("mistore: cannot listen for the cluster on 127.0.0.1:" + busy.getLocalPort())
          .doesNotContain("\n");
    }
  }

  @Test
  void eventBusPortInUseIsOneClearLineNamingThePort() throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", dir.toString(),
          "--http-port", "0", "--cluster-port", "0", "--eventbus-port", Integer.toString(busy.getLocalPort()));
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err().strip()).startsWith("mistore: cannot join the event bus on 127.0.0.1:" + busy.getLocalPort()
          + " (eventbus-port)").doesNotContain("\n");
    }
  }

  @Test
  void aDataFolderInUseByAnotherNodeIsOneClearLineBeforeJoining() throws Exception {
    try (java.nio.channels.FileChannel held = java.nio.channels.FileChannel.open(dir.resolve(".mistore.lock"),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock = held.lock()) {
      Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", dir.toString(),
          "--http-port", "0", "--cluster-port", "0");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err().strip()).isEqualTo("mistore: data folder " + dir + " is in use by another Mistore node (it "
          + "holds .mistore.lock); stop that node or give this one its own --data");
    }
  }

  @Test
  void aDataFolderOfAnotherRoleOrRegionIsRefusedBeforeJoining() throws Exception {
    Files.writeString(dir.resolve("hg-hg-1.db"), "");
    Result role = run("node", "--role", "pop", "--id", "hg-1", "--region", "north", "--data", dir.toString(),
        "--http-port", "0", "--cluster-port", "0");
    assertThat(role.code()).isEqualTo(1);
    assertThat(role.err().strip()).isEqualTo("mistore: data folder " + dir + " holds the store of hg hg-1 (hg-hg-1.db), "
        + "which this node (pop hg-1) does not run: a data folder keeps its node's id and roles; use another --data");

    Files.writeString(dir.resolve(Launch.OWNER_FILE), "id=hg-1\nregion=north\n");
    Result region = run("node", "--role", "hg", "--id", "hg-1", "--region", "south", "--pop", "pop-2",
        "--data", dir.toString(), "--http-port", "0", "--cluster-port", "0");
    assertThat(region.code()).isEqualTo(1);
    assertThat(region.err().strip()).isEqualTo("mistore: data folder " + dir + " belongs to hg-1 in region north, not "
        + "south (node.properties): a node keeps its region on its data; use another --data and id to move it");
  }

  @Test
  void aStopSignalWhileStartingIsOneLineAndExitZero() throws Exception {
    Path data = dir.resolve("starting");
    Process p = startChild("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", data.toString(),
        "--http-port", "0", "--cluster-port", Integer.toString(org.mistore.testing.Ports.free()));
    // The folder is locked before the node joins its cluster, which takes seconds: SIGTERM then.
    org.mistore.testing.Eventually.await("data folder locked", java.time.Duration.ofSeconds(30),
        () -> Files.exists(data.resolve(Launch.LOCK_FILE)) || !p.isAlive());
    p.toHandle().destroy(); // SIGTERM; Process.destroy would also close its output streams
    Result r = finished(p);
    assertThat(r.out()).doesNotContain("ready");
    assertThat(r.err()).contains("mistore: [dc] node dc-1 asked to stop (SIGTERM) while starting: exiting");
    assertThat(r.code()).as(r.err()).isZero();
  }

  @Test
  void anHgWhosePopIsNotHeardSaysItStartedNotThatItIsReady() throws Exception {
    Process p = startChild("node", "--role", "hg", "--id", "hg-9", "--region", "north", "--pop", "pop-9", "--data",
        dir.resolve("hg").toString(), "--http-port", "0", "--cluster-port", Integer.toString(org.mistore.testing.Ports.free()));
    try {
      java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8));
      String line = out.readLine();
      assertThat(line).startsWith("mistore: [hg] node hg-9 started in region north; API at http://")
          .contains("; not ready yet (GET /ready says when it is): ").contains("pop-9");
    } finally {
      p.toHandle().destroy();
      finished(p);
    }
  }

  /** Runs the launcher in a JVM of its own: all it prints to stderr, the logs included. */
  private Result runChild(String... args) throws Exception {
    return finished(startChild(args));
  }

  private static Result finished(Process p) throws Exception {
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
  }

  private static Process startChild(String... args) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
        System.getProperty("java.home") + "/bin/java",
        // What the fat jar's manifest grants (without it Hazelcast warns at every start).
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(java.util.List.of(args));
    return new ProcessBuilder(command).start();
  }

  @Test
  void aBrokenClusterConfigFileIsOneLineWithNothingElseOnStderr() throws Exception {
    Path broken = Files.writeString(dir.resolve("broken.xml"), "<hazelcast><bogus/>\n");
    Result malformed = runChild("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data",
        dir.resolve("d1").toString(), "--http-port", "0", "--cluster-config", broken.toString());
    assertThat(malformed.code()).isEqualTo(1);
    assertThat(malformed.err().strip()).isEqualTo("mistore: cannot read cluster config " + broken + ": line 2, column 1: "
        + "XML document structures must start and end within the same entity.");

    int port = org.mistore.testing.Ports.free();
    Path range = Files.writeString(dir.resolve("range.xml"), "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\">"
        + "<network><port auto-increment=\"false\">" + port + "</port><interfaces enabled=\"true\">"
        + "<interface>127.0.0.1</interface></interfaces><join><multicast enabled=\"false\"/>"
        + "<tcp-ip enabled=\"true\"><member>127.0.0.1:" + port + "-" + (port + 2) + "</member></tcp-ip></join>"
        + "</network></hazelcast>\n");
    Result unusable = runChild("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data",
        dir.resolve("d2").toString(), "--http-port", "0", "--cluster-config", range.toString());
    assertThat(unusable.code()).isEqualTo(1);
    assertThat(unusable.err().strip()).startsWith("mistore: cannot start cluster member with cluster config " + range + ": ")
        .doesNotContain("\n");
  }

  @Test
  void dataFolderThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
    Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", file.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("mistore: cannot create data folder " + file + ": it, or a folder above it, "
        + "is a file");
  }

  @Test
  void aDataFolderThatCannotBeMadeSaysWhy() {
    // Linux: /proc takes no new folders (and root may write anywhere else).
    Result r = run("node", "--role", "dc", "--id", "dc-1", "--region", "core", "--data", "/proc/self/mistore-data");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("mistore: cannot create data folder /proc/self/mistore-data: no such file "
        + "or folder (/proc/self/mistore-data)");
  }

  @Test
  void malformedConfigFileIsOneClearLine() throws Exception {
    Path config = Files.writeString(dir.resolve("node.json"), "{ \"id\": ");
    Result r = run("node", "--config", config.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("mistore: cannot read config file").doesNotContain("\n");
  }

  @Test
  void configFileWithUnknownKeyIsRefused() throws Exception {
    Path config = Files.writeString(dir.resolve("node.yaml"), "roles: [dc]\nid: dc-1\nregion: core\nhttp-prot: 9\n");
    Result r = run("node", "--config", config.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("unknown keys [http-prot]");
  }

  @Test
  void missingConfigFileIsRefused() {
    Result r = run("node", "--config", dir.resolve("absent.json").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).endsWith("cannot read config file " + dir.resolve("absent.json") + ": no such file");
  }
}
