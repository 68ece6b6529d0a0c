package org.mistore.pop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mistore.codecs.Addresses;
import org.mistore.codecs.FailureCode;

/** What a client reads when the event bus, not a node, failed a request: the node, never an address. */
class RepliesTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** A request relayed the way a POP relays one: the failure of the inner request is this one's answer. */
  private ReplyException relayed(String inner, long timeoutMs) {
    vertx.eventBus().consumer("relay", m -> vertx.eventBus()
        .request(inner, "x", new DeliveryOptions().setSendTimeout(timeoutMs))
        .onComplete(r -> {
          if (r.failed()) {
            Replies.fail(m, r.cause());
          } else {
            m.reply("ok");
          }
        }));
    return (ReplyException) catchThrowable(() -> vertx.eventBus().request("relay", "x").await());
  }

  @Test
  void aJvmErrorCaughtOnTheWayIsHandedOnNotJustAnswered() {
    java.util.List<VirtualMachineError> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.mistore.node.JvmErrors.onError(seen::add);
    try {
      OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
      vertx.eventBus().consumer("fails", m -> Replies.fail(m, new java.util.concurrent.CompletionException(oom)));
      ReplyException e = (ReplyException) catchThrowable(() -> vertx.eventBus().request("fails", "x").await());
      assertThat(e.failureCode()).isEqualTo(FailureCode.INTERNAL.code);
      assertThat(seen).containsExactly(oom);
      // Other failures are answered alone.
      vertx.eventBus().consumer("bug", m -> Replies.fail(m, new IllegalStateException("a bug")));
      catchThrowable(() -> vertx.eventBus().request("bug", "x").await());
      assertThat(seen).hasSize(1);
    } finally {
      org.mistore.node.JvmErrors.onError(e -> { });
    }
  }

  @Test
  void aNodeWithNoHandlerIsNamedNotItsAddress() {
    ReplyException e = relayed(Addresses.pop("pop-9", Addresses.OWNER_BLOCK), 5000);
    assertThat(e.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(e.failureCode()).isEqualTo(FailureCode.UNAVAILABLE.code);
    assertThat(e.getMessage()).isEqualTo("POP pop-9 is not reachable");
  }

  @Test
  void aNodeThatDoesNotAnswerIsNamedWithTheTimeNotTheReplyAddress() {
    vertx.eventBus().consumer(Addresses.hg("hg-7", Addresses.HG_READ_BLOCK), m -> { });
    ReplyException e = relayed(Addresses.hg("hg-7", Addresses.HG_READ_BLOCK), 200);
    assertThat(e.failureCode()).isEqualTo(FailureCode.UNAVAILABLE.code);
    assertThat(e.getMessage()).isEqualTo("HG hg-7 did not answer within 200 ms");
  }

  @Test
  void aFailureAnsweredByTheNodeKeepsItsOwnText() {
    vertx.eventBus().consumer(Addresses.dc("dc-1", Addresses.DC_WHERE), m -> m.fail(404, "no object x"));
    ReplyException e = relayed(Addresses.dc("dc-1", Addresses.DC_WHERE), 5000);
    assertThat(e.failureCode()).isEqualTo(404);
    assertThat(e.getMessage()).isEqualTo("no object x");
  }
}
