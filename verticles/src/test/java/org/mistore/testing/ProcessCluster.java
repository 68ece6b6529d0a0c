package org.mistore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Several {@code mistore node} processes on loopback sharing one member list, restartable on the same data. */
public final class ProcessCluster implements AutoCloseable {
  private final Path dir;
  private final String name = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, int[]> ports = new LinkedHashMap<>();
  private final Map<String, List<String>> specs = new LinkedHashMap<>();
  private final Map<String, NodeProcess> running = new LinkedHashMap<>();
  private final long detectionMs;

  public ProcessCluster(Path dir, long detectionMs, String... ids) {
    this.dir = dir;
    this.detectionMs = detectionMs;
    for (String id : ids) {
      ports.put(id, new int[] {Ports.free(), Ports.free()});
    }
  }

  private String members() {
    List<String> m = new ArrayList<>();
    ports.values().forEach(p -> m.add("127.0.0.1:" + p[0]));
    return String.join(",", m);
  }

  /** Declares a node: its roles and identity flags (e.g. {@code --role pop --region north}). */
  public ProcessCluster node(String id, List<String> jvm, String... flags) {
    List<String> spec = new ArrayList<>(jvm);
    spec.add("--");
    spec.addAll(List.of(flags));
    specs.put(id, spec);
    return this;
  }

  public NodeProcess start(String id) {
    List<String> spec = specs.get(id);
    int split = spec.indexOf("--");
    int[] p = ports.get(id);
    List<String> args = new ArrayList<>(List.of("node", "--id", id, "--data", dir.resolve(id).toString(),
        "--http-port", Integer.toString(p[1]), "--cluster-name", name, "--cluster-port", Integer.toString(p[0]),
        "--members", members(), "--failure-detection-ms", Long.toString(detectionMs),
        "--heartbeat-interval-ms", Long.toString(Math.max(100, detectionMs / 6))));
    args.addAll(spec.subList(split + 1, spec.size()));
    List<String> jvm = new ArrayList<>(spec.subList(0, split));
    jvm.add("-Djava.io.tmpdir=" + tmpDir(id));
    NodeProcess proc = NodeProcess.start(id + "-" + System.nanoTime(), dir, p[1], jvm, args);
    running.put(id, proc);
    return proc;
  }

  /** The {@code java.io.tmpdir} of node {@code id}'s processes, a folder of its own. */
  public Path tmpDir(String id) {
    Path tmp = dir.resolve("tmp-" + id);
    try {
      Files.createDirectories(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tmp;
  }

  public NodeProcess get(String id) {
    return running.get(id);
  }

  @Override
  public void close() {
    running.values().forEach(NodeProcess::close);
  }
}
