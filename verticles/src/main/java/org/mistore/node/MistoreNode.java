package org.mistore.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mistore.api.ApiVerticle;
import org.mistore.codecs.Role;
import org.mistore.dc.DcVerticle;
import org.mistore.directory.NodeDirectory;
import org.mistore.hg.HgVerticle;
import org.mistore.pop.PopVerticle;

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
  private final Map<String, String> deployments = new java.util.concurrent.ConcurrentHashMap<>();
  private NodeServices services;
  private ApiVerticle api;

  private MistoreNode(ClusterBootstrap.Booted booted, NodeDirectory directory) {
    this.booted = booted;
    this.directory = directory;
  }

  /** Deploys everything; fails (and undeploys nothing: the caller closes Vert.x) if any part fails. */
  public static Future<MistoreNode> start(ClusterBootstrap.Booted booted, NodeDirectory directory, NodeServices services,
      List<RoleIdentity> roles, String httpHost, int httpPort) {
    MistoreNode node = new MistoreNode(booted, directory);
    node.services = services;
    Vertx vertx = booted.vertx();
    node.api = new ApiVerticle(httpHost, httpPort, directory, booted.registry(), node::isReady, gateways(roles),
        roles.size() > 1 && roles.stream().filter(r -> r.role() == Role.HG).count() > 1, services.limits());
    return directory.start()
        .compose(v -> vertx.deployVerticle(node.api)
            .recover(e -> Future.failedFuture(new StartupException("cannot serve HTTP on " + httpHost + ":" + httpPort
                + ": " + SettingsLoader.oneLine(e)))))
        .compose(v -> Future.all(roles.stream().map(who -> vertx.deployVerticle(verticle(who, services))
            .onSuccess(deployment -> node.deployments.put(who.role().wireName() + "/" + who.id(), deployment)))
            .toList()))
        .map(v -> {
          node.ready.set(true);
          return node;
        });
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

  private static VerticleBase verticle(RoleIdentity who, NodeServices services) {
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
    String deployment = deployments.remove(role.wireName() + "/" + id);
    return deployment == null ? Future.failedFuture("no " + role.wireName() + " " + id + " deployed")
        : booted.vertx().undeploy(deployment);
  }

  /** Starts a role instance again on its store (a restart after {@link #stopRole}), for tests. */
  public Future<Void> startRole(RoleIdentity who) {
    return booted.vertx().deployVerticle(verticle(who, services))
        .onSuccess(d -> deployments.put(who.role().wireName() + "/" + who.id(), d))
        .mapEmpty();
  }

  public boolean isReady() {
    return ready.get() && booted.inCluster();
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
