package org.mistore.hg;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.mistore.codecs.FailureCode;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.ObjectId;
import org.mistore.codecs.OwedReply;
import org.mistore.codecs.StoreBlock;
import org.mistore.directory.NodeLink;
import org.mistore.pop.PopVerticle;
import org.mistore.store.VersionCache;

/**
 * The client side of an HG: everything a gateway asks goes to its own POP, which mints ids, fans
 * blocks out to an object's primary and backup, and relays the rest to the object's acting primary.
 *
 * @param hgId the gateway's id (recorded as creator and writer)
 * @param popId the gateway's POP
 * @param cache the HG's owner cache
 * @param pop the link to the POP: whether it is down, and the requests in flight to it
 */
public record Gateway(Vertx vertx, String hgId, String popId, VersionCache cache, NodeLink pop) {

  /** Fails at once, with a reason, when this gateway's POP is known down: the region has no service. */
  private <T> Future<T> popUnavailable() {
    return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, FailureCode.UNAVAILABLE.code,
        "POP " + popId + " of this gateway's region is down: the region has no service until it returns"));
  }

  /** A gateway's link to POP {@code popId}: a request in flight when it goes down may or may not have taken effect. */
  public static NodeLink linkTo(Vertx vertx, String popId, java.util.function.BooleanSupplier down) {
    return new NodeLink(vertx, down, () -> new ReplyException(ReplyFailure.RECIPIENT_FAILURE,
        FailureCode.UNAVAILABLE.code, "POP " + popId + " of this gateway's region went down with the request in "
            + "flight; retry once the region is back (a write may or may not have taken effect: retry it with the "
            + "same Mistore-Request-Id to find out)"));
  }

  /** Mints an object id at this gateway's POP; the same {@code requestId} (may be null) gets the same id. */
  public Future<ObjectId> create(String requestId) {
    if (pop.isDown()) {
      return popUnavailable();
    }
    JsonObject body = new JsonObject().put("creator", hgId);
    if (requestId != null) {
      body.put("requestId", requestId);
    }
    return pop.guard(vertx.eventBus().<JsonObject>request(Addresses.pop(popId, Addresses.CREATE), body))
        .map(m -> ObjectId.parse(m.body().getString("id")));
  }

  public Future<Void> writeBlock(StoreBlock block) {
    if (pop.isDown()) {
      return popUnavailable();
    }
    return pop.guard(vertx.eventBus().request(Addresses.pop(popId, Addresses.WRITE_BLOCK), block))
        .mapEmpty();
  }

  /** Calls {@code verb} on the acting primary of {@code id} through this gateway's POP. */
  public <T> Future<Message<T>> owner(ObjectId id, String verb, Object body, Map<String, String> headers,
      long timeoutMs) {
    if (pop.isDown()) {
      return popUnavailable();
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs + 1000)
        .addHeader(PopVerticle.VERB, verb)
        .addHeader(PopVerticle.OBJECT, id.render())
        .addHeader(Addresses.HEADER_TIMEOUT, Long.toString(timeoutMs))
        .addHeader(Addresses.HEADER_GATEWAY, hgId);
    headers.forEach(options::addHeader);
    return pop.guard(vertx.eventBus().request(Addresses.pop(popId, Addresses.RELAY), body, options));
  }

  public <T> Future<Message<T>> owner(ObjectId id, String verb, Object body) {
    return owner(id, verb, body, Map.of(), DeliveryOptions.DEFAULT_TIMEOUT);
  }

  /**
   * The result of a write of this gateway's client that the POP kept while this HG was down and
   * delivered on its return, by the client's request id ({@code id} null for a creation). Empty when
   * the HG holds none, or no HG of this id runs here to ask (a POP serving as gateway, an HG stopped).
   */
  public Future<Optional<OwedReply>> delivered(ObjectId id, String requestId) {
    JsonObject query = new JsonObject().put("requestId", requestId);
    if (id != null) {
      query.put("id", id.render());
    }
    return vertx.eventBus().<OwedReply>request(Addresses.hg(hgId, Addresses.HG_DELIVERED), query,
            new DeliveryOptions().setSendTimeout(DELIVERED_TIMEOUT_MS))
        .map(m -> Optional.of(m.body()))
        .otherwise(Optional.empty());
  }

  /** A delivered result is looked up in the HG's own store: a slow answer means a sick HG, not a busy POP. */
  private static final long DELIVERED_TIMEOUT_MS = 2000;
}
