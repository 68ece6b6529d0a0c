package org.mistore.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mistore.api.ApiVerticle;
import org.mistore.codecs.Role;
import org.mistore.dc.DcVerticle;
import org.mistore.directory.NodeDirectory;
import org.mistore.hg.HgVerticle;
import org.mistore.pop.PopVerticle;
import org.mistore.store.RoleStore;

/**
 * Deploys what one Vert.x instance runs: the directory, the role verticles and the API verticle.
 * The API listens first (answering {@code /ready} with 503), the roles open their stores and register,
 * then the node is ready. Used by both {@code node} (one identity per role) and {@code dev} (all of a
 * small cluster's identities).
 */
public final class MistoreNode {
  private final ClusterBootstrap.Booted booted;
  private final NodeDirectory directory;
  private final AtomicBoolean ready = new AtomicBoolean();
  /** The role verticles deployed now, by {@code role/id}. */
  private final Map<String, Running> running = new java.util.concurrent.ConcurrentHashMap<>();
  private NodeServices services;
  private ApiVerticle api;
  /**
   * The POPs this node's HG gateways reach the store through (empty for a dev cluster, whose front
   * door serves every region, and for a node that serves through its own POP).
   */
  private java.util.Set<String> gatewayPops = java.util.Set.of();
  /** The region an HG of this node was started in, by the POP it names (an HG must be in its POP's region). */
  private final Map<String, String> hgRegions = new java.util.concurrent.ConcurrentHashMap<>();
  /** Misconfigurations already logged (each once). */
  private final java.util.Set<String> told = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private MistoreNode(ClusterBootstrap.Booted booted, NodeDirectory directory) {
    this.booted = booted;
    this.directory = directory;
  }

  /** Deploys everything; fails (and undeploys nothing: the caller closes Vert.x) if any part fails. */
  public static Future<MistoreNode> start(ClusterBootstrap.Booted booted, NodeDirectory directory, NodeServices services,
      List<RoleIdentity> roles, String httpHost, int httpPort) {
    MistoreNode node = new MistoreNode(booted, directory);
    // The caches of every role here share this JVM's heap.
    node.services = services.withLimits(services.limits().sharingHeap(Runtime.getRuntime().maxMemory(),
        roles.stream().filter(r -> r.role() == Role.POP).count(), roles.stream().filter(r -> r.role() == Role.HG).count()));
    Vertx vertx = booted.vertx();
    boolean dev = roles.size() > 1 && roles.stream().filter(r -> r.role() == Role.HG).count() > 1;
    node.api = new ApiVerticle(httpHost, httpPort, directory, booted.registry(), node::notReadyBecause, gateways(roles),
        dev, node.services.limits());
    if (!dev && roles.stream().noneMatch(r -> r.role() == Role.POP)) {
      node.gatewayPops = java.util.Set.copyOf(gateways(roles).values());
      roles.stream().filter(r -> r.role() == Role.HG).forEach(r -> node.hgRegions.put(r.pop(), r.region()));
    }
    return directory.start()
        .compose(v -> vertx.deployVerticle(node.api)
            .recover(e -> Future.failedFuture(new StartupException("cannot serve HTTP on " + httpHost + ":" + httpPort
                + ": " + SettingsLoader.oneLine(e)))))
        .compose(v -> Future.all(roles.stream().map(node::deploy).toList()))
        .map(v -> {
          node.ready.set(true);
          return node;
        });
  }

  private record Running(String deployment, RoleVerticle verticle) {
  }

  private Future<Void> deploy(RoleIdentity who) {
    RoleVerticle role = verticle(who, services);
    return booted.vertx().deployVerticle(role)
        .onSuccess(deployment -> {
          running.put(who.role().wireName() + "/" + who.id(), new Running(deployment, role));
          role.store().ifPresent(store -> store.whenStopped(why -> storeStopped(who, why)));
        })
        .mapEmpty();
  }

  /**
   * What a process does when the store of one of its POPs or its DC stops taking writes (its disk
   * failed): {@link Main} makes it exit, so that the other nodes see it down and act for it at once.
   * Left alone (tests in one JVM), the node stays up and not ready.
   */
  private static volatile java.util.function.Consumer<String> onCopyHolderStoreStopped = why -> { };

  /** Sets what happens when a POP's or DC's store stops (see {@link #onCopyHolderStoreStopped}). */
  public static void onCopyHolderStoreStopped(java.util.function.Consumer<String> action) {
    onCopyHolderStoreStopped = action;
  }

  /**
   * A POP or DC whose store stopped would answer every write to its objects with 503 and still be
   * seen up: its objects would have no service until a restart. An HG's store holds copies only;
   * it goes on serving as a gateway and says in /ready why it takes no copies.
   */
  private static void storeStopped(RoleIdentity who, String why) {
    if (who.role() != Role.HG) {
      onCopyHolderStoreStopped.accept(who.role().wireName() + " " + who.id() + ": " + why);
    }
  }

  /** HGs serve as gateways (to their POP); a node with a POP but no HG serves through its POP. */
  static Map<String, String> gateways(List<RoleIdentity> roles) {
    Map<String, String> out = new LinkedHashMap<>();
    roles.stream().filter(r -> r.role() == Role.HG).forEach(r -> out.put(r.id(), r.pop()));
    if (out.isEmpty()) {
      roles.stream().filter(r -> r.role() == Role.POP).forEach(r -> out.put(r.id(), r.id()));
    }
    return out;
  }

  private static RoleVerticle verticle(RoleIdentity who, NodeServices services) {
    return switch (who.role()) {
      case HG -> new HgVerticle(who, services);
      case POP -> new PopVerticle(who, services);
      case DC -> new DcVerticle(who, services);
    };
  }

  /**
   * Stops one role instance as a crash would look from the others (its heartbeats stop; its store
   * closes). For tests of failures inside one JVM.
   */
  public Future<Void> stopRole(Role role, String id) {
    Running deployed = running.remove(role.wireName() + "/" + id);
    return deployed == null ? Future.failedFuture("no " + role.wireName() + " " + id + " deployed")
        : booted.vertx().undeploy(deployed.deployment());
  }

  /** Starts a role instance again on its store (a restart after {@link #stopRole}), for tests. */
  public Future<Void> startRole(RoleIdentity who) {
    return deploy(who);
  }

  public boolean isReady() {
    return notReadyBecause().isEmpty();
  }

  /**
   * Why the node is not ready, or empty when it is: it is starting, stopping or out of the cluster,
   * one of its stores stopped taking writes (a journal record or checkpoint failed; a restart
   * recovers it), it does not hear a node that is still in the cluster, or it is an HG whose POP is down.
   */
  public Optional<String> notReadyBecause() {
    if (!ready.get() || !booted.inCluster()) {
      return Optional.of("node is starting, stopping or not in the cluster");
    }
    Optional<String> stopped = running.values().stream().map(Running::verticle)
        .flatMap(r -> r.store().flatMap(RoleStore::stoppedBecause)
            .map(why -> r.identity().role().wireName() + " " + r.identity().id() + ": " + why)
            .stream())
        .findFirst();
    if (stopped.isPresent()) {
      return stopped;
    }
    Optional<String> deaf = directory.deafness();
    if (deaf.isPresent() || gatewayPops.isEmpty()) {
      return deaf;
    }
    Optional<String> misnamed = misconfiguredPop();
    if (misnamed.isPresent()) {
      return misnamed;
    }
    // An HG reaches the store only through its POP: while that POP is down it answers every object
    // call with 503, so it is not fit for client traffic.
    // The same test as the gateway's own (NodeLink#isDown), so /ready and the 503s agree.
    boolean allDown = gatewayPops.stream().allMatch(pop -> directory.knownDown(Role.POP, pop));
    if (allDown) {
      return Optional.of("POP " + String.join(", ", gatewayPops) + " of this HG's region is down: object calls "
          + "get 503 until it returns");
    }
    // A POP never heard from (not started yet, or a wrong --pop) serves this HG no better.
    boolean noneHeard = gatewayPops.stream().allMatch(pop -> directory.find(Role.POP, pop).isEmpty());
    return noneHeard ? Optional.of("POP " + String.join(", ", gatewayPops) + " of this HG's region has not been heard "
        + "from" + (directory.unheardIsDown() ? " since this node started (is --pop right?)" : " yet")
        + ": object calls get 503 until it is") : Optional.empty();
  }

  /**
   * An HG whose {@code --pop} names a node that is not a POP, or a POP of another region than the
   * HG's {@code --region}: known only once that node is heard, so not refused at start, but never
   * ready (and logged once at ERROR), as the HG would serve and be listed under the wrong region.
   */
  private Optional<String> misconfiguredPop() {
    for (Map.Entry<String, String> e : hgRegions.entrySet()) {
      String pop = e.getKey();
      Optional<org.mistore.directory.DirectoryEntry> asPop = directory.find(Role.POP, pop);
      Optional<String> why = asPop.isPresent()
          ? asPop.filter(found -> !found.report().region().equals(e.getValue()))
              .map(found -> "POP " + pop + " is in region " + found.report().region() + " but this HG was started "
                  + "with --region " + e.getValue() + ": an HG must be in its POP's region (fix --region or --pop)")
          : java.util.stream.Stream.of(Role.DC, Role.HG).flatMap(r -> directory.find(r, pop).stream()).findFirst()
              .map(found -> "--pop " + pop + " names a " + found.report().role().name() + ", not a POP: is --pop right?");
      if (why.isPresent()) {
        if (told.add(why.get())) {
          System.getLogger(MistoreNode.class.getName()).log(System.Logger.Level.ERROR, why.get());
        }
        return why;
      }
    }
    return Optional.empty();
  }

  /** The store of a role running here, for tests and diagnostics. */
  public Optional<RoleStore> storeOf(Role role, String id) {
    return Optional.ofNullable(running.get(role.wireName() + "/" + id)).flatMap(r -> r.verticle().store());
  }

  public int httpPort() {
    return api.actualPort();
  }

  public NodeDirectory directory() {
    return directory;
  }

  public Vertx vertx() {
    return booted.vertx();
  }

  /** Stops answering ready, undeploys (stores close), leaves the cluster. Blocking, from a non-Vert.x thread. */
  public void close() {
    ready.set(false);
    try {
      directory.stop().await(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      // the directory is undeployed with Vert.x anyway
    } finally {
      booted.close();
    }
  }
}
