package org.mistore.api;

import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mistore.codecs.Role;
import org.mistore.directory.NodeDirectory;
import org.mistore.hg.Gateway;
import org.mistore.store.VersionCache;

/**
 * Which gateway serves a request. A production node is its own gateway (its HG, or its POP when it
 * has no HG); the dev front door serves every HG and picks one with {@code Mistore-Gateway}.
 */
public final class Gateways {
  public static final String HEADER = "Mistore-Gateway";
  private final Map<String, Gateway> byId = new LinkedHashMap<>();
  private final boolean selectable;

  private Gateways(boolean selectable) {
    this.selectable = selectable;
  }

  /** {@code hgToPop}: gateway id → its POP, first entry the default. */
  public static Gateways of(Vertx vertx, Map<String, String> hgToPop, boolean selectable, long cacheBytes,
      NodeDirectory directory) {
    Gateways g = new Gateways(selectable);
    // An HG may run with -Xmx64m and still stream 1 GiB: its cache never takes more than 1/16 of the heap.
    long cacheCap = Math.min(cacheBytes, Runtime.getRuntime().maxMemory() / 16);
    if (cacheCap < cacheBytes && !hgToPop.isEmpty()) {
      System.getLogger(Gateways.class.getName()).log(System.Logger.Level.WARNING, "hg-cache-bytes " + cacheBytes
          + " is over 1/16 of the heap (-Xmx " + Runtime.getRuntime().maxMemory() + " bytes): each HG's owner cache "
          + "keeps at most " + cacheCap + " bytes");
    }
    hgToPop.forEach((hg, pop) -> g.byId.put(hg, new Gateway(vertx, hg, pop, new VersionCache(cacheCap),
        Gateway.linkTo(vertx, pop, () -> directory.knownDown(Role.POP, pop)))));
    directory.onDown(e -> {
      if (e.report().role() == Role.POP) {
        g.byId.values().stream().filter(gw -> gw.popId().equals(e.report().nodeId())).forEach(gw -> gw.pop().wentDown());
      }
    });
    return g;
  }

  public Gateway pick(RoutingContext rc) {
    if (byId.isEmpty()) {
      // Not a 503: retrying here never helps, the client has the wrong address.
      throw new HttpProblem(421, "Misdirected Request",
          "this node has no HG or POP role, so it serves no objects; use a gateway node");
    }
    String asked = RequestParams.header(rc, HEADER);
    if (asked == null || asked.isBlank()) {
      return byId.values().iterator().next();
    }
    Gateway g = byId.get(asked.trim());
    if (g == null) {
      throw HttpProblem.badRequest(selectable ? "unknown gateway '" + asked + "' (dev cluster HGs are hg-P-H)"
          : "this node is gateway " + byId.keySet().iterator().next() + ", not '" + asked + "'");
    }
    return g;
  }
}
