package org.mistore.node;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.mistore.codecs.Codecs;

/**
 * Builds Vert.x instances the one way the product does: Micrometer metrics, every codec registered,
 * and for a clustered node a Hazelcast member bound to the cluster host, TCP/IP join on the member
 * list, multicast and auto-detection off, failure detection in seconds.
 */
public final class ClusterBootstrap {
  private ClusterBootstrap() {
  }

  /** A running Vert.x with what was built around it. {@code hazelcast} is null for a local instance. */
  public record Booted(Vertx vertx, PrometheusMeterRegistry registry, HazelcastInstance hazelcast, String memberId) {

    /** The other members of the cluster now: member id to host:port (none for a local instance). */
    public java.util.Map<String, String> peers() {
      if (hazelcast == null || !hazelcast.getLifecycleService().isRunning()) {
        return java.util.Map.of();
      }
      java.util.Map<String, String> out = new java.util.HashMap<>();
      hazelcast.getCluster().getMembers().stream().filter(m -> !m.localMember())
          .forEach(m -> out.put(m.getUuid().toString(), m.getAddress().getHost() + ":" + m.getAddress().getPort()));
      return out;
    }

    public boolean inCluster() {
      return hazelcast == null || hazelcast.getLifecycleService().isRunning();
    }

    /**
     * Closes Vert.x (undeploying verticles, leaving the cluster gracefully), then the Hazelcast member.
     * Blocking, from a non-Vert.x thread: nothing may be chained on the close future, whose context
     * dies with the instance.
     */
    public void close() {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        System.getLogger(ClusterBootstrap.class.getName()).log(System.Logger.Level.WARNING,
            "Vert.x did not close within 30 s");
      } finally {
        if (hazelcast != null && hazelcast.getLifecycleService().isRunning()) {
          hazelcast.shutdown();
        }
      }
    }
  }

  /** Hazelcast's member timeout: the failure-detection time rounded up to whole seconds. */
  private static long memberTimeoutSeconds(NodeSettings s) {
    return Math.max(1, (s.failureDetectionMs() + 999) / 1000);
  }

  /** The member attribute naming the Mistore node id a Hazelcast member runs. */
  static final String NODE_ID_ATTRIBUTE = "mistore.id";

  /** The Hazelcast configuration of a node: from its {@code cluster-config} file, or TCP/IP on the member list. */
  public static Config hazelcastConfig(NodeSettings s) {
    Config config;
    if (s.clusterConfig() != null) {
      try {
        if (s.clusterConfig().getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".xml")) {
          checkWellFormed(s.clusterConfig());
        }
        config = Config.loadFromFile(s.clusterConfig().toFile());
      } catch (StartupException e) {
        throw e;
      } catch (Exception e) {
        throw new StartupException("cannot read cluster config " + s.clusterConfig() + ": "
            + SettingsLoader.oneLine(e));
      }
    } else {
      config = ConfigUtil.loadConfig();
      NetworkConfig network = config.getNetworkConfig();
      network.setPort(s.clusterPort()).setPortAutoIncrement(false);
      network.getInterfaces().setEnabled(true).setInterfaces(java.util.List.of(s.clusterHost()));
      JoinConfig join = network.getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      // Members not up yet refuse at once; waiting the default 5 s for each only delays the first start.
      join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(s.members().isEmpty()
          ? java.util.List.of(s.clusterHost() + ":" + s.clusterPort()) : s.members());
    }
    config.setClusterName(s.clusterName());
    // vertx-hazelcast reads its node id from this member attribute when it is handed an instance.
    config.getMemberAttributeConfig().setAttribute("__vertx.nodeId", UUID.randomUUID().toString());
    if (s.id() != null) {
      config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, s.id());
    }
    long detectionSeconds = memberTimeoutSeconds(s);
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(detectionSeconds));
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    // The cluster only holds the event bus's registrations: few partitions make joins and migrations fast.
    config.setProperty("hazelcast.partition.count", "23");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    return config;
  }

  /**
   * Fails with the line and column of the first error of a malformed XML file, before Hazelcast's
   * parser prints it to stderr in lines of its own.
   */
  private static void checkWellFormed(Path file) throws Exception {
    javax.xml.parsers.DocumentBuilderFactory factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    javax.xml.parsers.DocumentBuilder builder = factory.newDocumentBuilder();
    builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() {
      @Override
      public void fatalError(org.xml.sax.SAXParseException e) throws org.xml.sax.SAXException {
        throw e;
      }
    });
    try {
      builder.parse(file.toFile());
    } catch (org.xml.sax.SAXParseException e) {
      throw new StartupException("cannot read cluster config " + file + ": line " + e.getLineNumber() + ", column "
          + e.getColumnNumber() + ": " + e.getMessage());
    }
  }

  /**
   * Starts the Hazelcast member (blocking: call from {@code main} or a test thread, never an event
   * loop), then a clustered Vert.x on it. {@code memberLeft} hears the id of every member that leaves.
   */
  public static Booted clustered(NodeSettings s, Consumer<String> memberLeft) {
    HazelcastInstance hazelcast;
    Config config = hazelcastConfig(s);
    // A member that cannot start is one line of ours, with the cause: Hazelcast's own SEVERE record of
    // it (a stack trace) is held back while it starts.
    java.util.logging.Handler[] handlers = java.util.logging.Logger.getLogger("").getHandlers();
    java.util.logging.Filter[] before = new java.util.logging.Filter[handlers.length];
    for (int i = 0; i < handlers.length; i++) {
      java.util.logging.Filter was = handlers[i].getFilter();
      before[i] = was;
      handlers[i].setFilter(r -> !(r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()
          && r.getLoggerName() != null && r.getLoggerName().startsWith("com.hazelcast"))
          && (was == null || was.isLoggable(r)));
    }
    try {
      hazelcast = Hazelcast.newHazelcastInstance(config);
    } catch (StartupException e) {
      throw e;
    } catch (Exception e) {
      throw new StartupException("cannot start cluster member " + (s.clusterConfig() != null
          ? "with cluster config " + s.clusterConfig() : "on " + s.clusterHost() + ":" + s.clusterPort()) + ": "
          + SettingsLoader.oneLine(e));
    } finally {
      for (int i = 0; i < handlers.length; i++) {
        handlers[i].setFilter(before[i]);
      }
    }
    try {
      refuseTakenId(hazelcast, s);
    } catch (StartupException e) {
      hazelcast.shutdown();
      throw e;
    }
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        memberLeft.accept(event.getMember().getUuid().toString());
      }
    });
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions options = options(s.eventLoops(), s.eventBusMetrics());
    options.getEventBusOptions().setHost(s.clusterHost()).setPort(s.eventBusPort());
    try {
      Vertx vertx = Vertx.builder()
          .with(options)
          .withMetrics(metrics(registry))
          .withClusterManager(new HazelcastClusterManager(hazelcast))
          .buildClustered()
          .await();
      Codecs.registerAll(vertx);
      noteTransport(vertx);
      return new Booted(vertx, registry, hazelcast, hazelcast.getCluster().getLocalMember().getUuid().toString());
    } catch (Exception e) {
      hazelcast.shutdown();
      throw new StartupException("cannot join the event bus on " + s.clusterHost()
          + (s.eventBusPort() > 0 ? ":" + s.eventBusPort() + " (eventbus-port)" : "") + ": " + SettingsLoader.oneLine(e));
    }
  }

  /**
   * Fails when another member of the cluster runs a node of the same id: two processes acting as
   * one node would take each other's place in every view of the cluster and mint the same object
   * ids. A member that is only a crashed run of this node (killed, not yet dropped) leaves within
   * the failure-detection time, which this waits out before refusing.
   */
  private static void refuseTakenId(HazelcastInstance hazelcast, NodeSettings s) {
    long deadline = System.nanoTime() + (memberTimeoutSeconds(s) * 1000 + 3000) * 1_000_000;
    while (true) {
      java.util.Optional<com.hazelcast.cluster.Member> other = hazelcast.getCluster().getMembers().stream()
          .filter(m -> !m.localMember() && s.id().equals(m.getAttribute(NODE_ID_ATTRIBUTE)))
          .findFirst();
      if (other.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new StartupException("node id " + s.id() + " is taken: the cluster member at "
            + other.get().getAddress().getHost() + ":" + other.get().getAddress().getPort()
            + " runs a node of that id (every node needs an id of its own)");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("interrupted while waiting for the cluster to drop an earlier run of " + s.id());
      }
    }
  }

  /** A single-process Vert.x (dev mode, tests) with {@code eventLoops} threads: same codecs and metrics, no cluster. */
  public static Booted local(int eventLoops) {
    return local(eventLoops, false);
  }

  /** As {@link #local(int)}, with the event bus's meters when {@code eventBusMetrics}. */
  public static Booted local(int eventLoops, boolean eventBusMetrics) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Vertx.builder().with(options(eventLoops, eventBusMetrics)).withMetrics(metrics(registry)).build();
    Codecs.registerAll(vertx);
    noteTransport(vertx);
    return new Booted(vertx, registry, null, "local");
  }

  /** Says so when network I/O falls back to Java NIO (the jar carries epoll for Linux on x86-64 and ARM64). */
  private static void noteTransport(Vertx vertx) {
    if (!vertx.isNativeTransportEnabled()) {
      System.getLogger(ClusterBootstrap.class.getName()).log(System.Logger.Level.INFO,
          "network I/O through Java NIO: the native transport is unavailable ({0})",
          String.valueOf(vertx.unavailableNativeTransportCause()));
    }
  }

  /** Micrometer's metrics into {@code registry}, safe for connections accepted while a server starts. */
  private static StartupSafeMetrics metrics(PrometheusMeterRegistry registry) {
    return new StartupSafeMetrics(new MicrometerMetricsFactory(registry));
  }

  /** Micrometer for every domain but the event bus, unless {@code eventBusMetrics} (see the eventbus-metrics setting). */
  private static MicrometerMetricsOptions metricsOptions(boolean eventBusMetrics) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true);
    return eventBusMetrics ? metrics : metrics.addDisabledMetricsCategory(MetricsDomain.EVENT_BUS);
  }

  private static VertxOptions options(int eventLoops, boolean eventBusMetrics) {
    // Native epoll where it loads: fewer system calls and wake-ups than NIO for the same requests.
    return new VertxOptions().setEventLoopPoolSize(eventLoops).setPreferNativeTransport(true)
        .setMetricsOptions(metricsOptions(eventBusMetrics))
        .setFileSystemOptions(new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false));
  }
}
