package org.mistore.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.NodeIds;
import org.mistore.codecs.Role;
import org.mistore.directory.DirectoryEntry;
import org.mistore.directory.NodeDirectory;
import org.mistore.directory.NodeStatus;

/** {@code /v1/admin}: operators' views. {@code GET /v1/admin/regions/{region}}: blocks on a region's HGs, repair progress. */
final class AdminRoutes {
  private final Vertx vertx;
  private final NodeDirectory directory;

  AdminRoutes(Vertx vertx, NodeDirectory directory) {
    this.vertx = vertx;
    this.directory = directory;
  }

  void mount(Router router) {
    router.get("/v1/admin/regions/:region").handler(this::region);
  }

  private void region(RoutingContext rc) {
    String region = rc.pathParam("region");
    if (!NodeIds.isValid(region)) {
      throw HttpProblem.badRequest("region must be 1-40 characters of A-Z a-z 0-9 _ -");
    }
    Optional<DirectoryEntry> pop = directory.snapshot().stream()
        .filter(e -> e.report().role() == Role.POP && e.report().region().equals(region)).findFirst();
    if (pop.isEmpty()) {
      throw HttpProblem.notFound("no POP is known in region " + region);
    }
    if (pop.get().status() != NodeStatus.UP) {
      throw HttpProblem.unavailable("POP " + pop.get().report().nodeId() + " of region " + region + " is down");
    }
    vertx.eventBus().<JsonObject>request(Addresses.pop(pop.get().report().nodeId(), Addresses.REGION_STATUS),
            new JsonObject(), new DeliveryOptions().setSendTimeout(10_000))
        .recover(e -> Future.failedFuture(BusErrors.toHttp(e)))
        .onSuccess(m -> ApiVerticle.json(rc, 200, m.body()))
        .onFailure(rc::fail);
  }
}
