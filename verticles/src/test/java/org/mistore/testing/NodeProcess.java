package org.mistore.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code java -jar mistore.jar ...} process, as a user runs it. Output goes to a log file next
 * to its data; {@link #kill()} is a real {@code kill -9}, {@link #terminate()} a SIGTERM.
 */
public final class NodeProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final String name;
  public final int httpPort;

  private NodeProcess(String name, Process process, Path log, int httpPort) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  public static Path jar() {
    String jar = System.getProperty("mistore.jar", "target/mistore.jar");
    Path p = Path.of(jar);
    if (!Files.exists(p)) {
      throw new IllegalStateException("fat jar " + p.toAbsolutePath() + " missing: run mvn package first");
    }
    return p;
  }

  /** Starts {@code java [jvmArgs] -jar mistore.jar args}, logging to {@code dir/name.log}. */
  public static NodeProcess start(String name, Path dir, int httpPort, List<String> jvmArgs, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(args);
    // Logs outlive the test's temporary folder, for post-mortems: target/it-logs.
    Path log = Path.of("target", "it-logs", name + ".log");
    try {
      Files.createDirectories(dir);
      Files.createDirectories(log.getParent());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return new NodeProcess(name, p, log, httpPort);
    } catch (IOException e) {
      throw new RuntimeException("cannot start " + cmd, e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  public long pid() {
    return process.pid();
  }

  /** Waits for {@code /ready}; fails with the process log if it exits or takes too long. Returns ms waited. */
  public long awaitReady(Duration within) {
    return Eventually.await(name + " ready (log: " + log + ")", within, () -> {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + log());
      }
      return Http.status(url() + "/ready") == 200;
    });
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Resident set size in KiB, from /proc. */
  public long rssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
    throw new IllegalStateException("no VmRSS for " + name);
  }

  /** {@code kill -9}. */
  public void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(10));
  }

  /** Sends {@code signal} ({@code STOP}, {@code CONT}, ...) with {@code kill}. */
  public void signal(String signal) {
    try {
      if (new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start().waitFor() != 0) {
        throw new AssertionError("kill -" + signal + " " + name + " failed");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted signalling " + name);
    }
  }

  /** SIGTERM; returns the exit code, failing if the process does not exit in time. */
  public int terminate(Duration within) {
    process.destroy();
    if (!waitFor(within)) {
      throw new AssertionError(name + " did not exit within " + within + " of SIGTERM:\n" + log());
    }
    return process.exitValue();
  }

  public boolean waitFor(Duration within) {
    try {
      return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public int exitValue() {
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(10));
    }
  }
}
