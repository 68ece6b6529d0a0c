package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogFormatTest {
  private static String format(Throwable thrown) {
    LogRecord r = new LogRecord(Level.WARNING, "Connecting to server {0} failed");
    r.setParameters(new Object[] {"abc"});
    r.setLoggerName("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus");
    r.setThrown(thrown);
    return new LogFormat().format(r);
  }

  @Test
  void aPeerThatIsDownGetsOneLineAndAnyOtherFailureItsStackTrace() {
    String refused = format(new RuntimeException("connect failed",
        new java.net.ConnectException("finishConnect(..) failed with error(-111): Connection refused")));
    assertThat(refused.lines()).hasSize(1);
    assertThat(refused).contains("WARNING io.vertx.core.eventbus.impl.clustered.ClusteredEventBus: Connecting to "
        + "server abc failed (RuntimeException: connect failed; caused by ConnectException: finishConnect(..) failed "
        + "with error(-111): Connection refused)");

    // A node that left the cluster while the event bus was connecting to it (Vert.x's stackless exception).
    String left = format(new io.vertx.core.VertxException("Not a member of the cluster", true));
    assertThat(left.lines()).hasSize(1);
    assertThat(left).endsWith("Connecting to server abc failed (VertxException: Not a member of the cluster)"
        + System.lineSeparator());

    String bug = format(new NullPointerException("boom"));
    assertThat(bug).contains("Connecting to server abc failed").contains("java.lang.NullPointerException: boom")
        .contains("\tat org.mistore.node.LogFormatTest");
    assertThat(format(null).lines()).hasSize(1);
  }

  @Test
  void numbersInALineAreWrittenWithoutGroupingAndTheRecordKeepsItsParameters() {
    LogRecord r = new LogRecord(Level.INFO, "POP {0} dropped {1} upload(s) idle for {2} ms; block {3} of {4}");
    r.setLoggerName("org.mistore.pop.PopVerticle");
    Object[] parameters = {"pop-1", 1234, 3_600_000L, 1070, 2.5};
    r.setParameters(parameters);
    assertThat(new LogFormat().format(r))
        .contains("INFO org.mistore.pop.PopVerticle: POP pop-1 dropped 1234 upload(s) idle for 3600000 ms; block 1070 of 2.5");
    assertThat(r.getParameters()).containsExactly("pop-1", 1234, 3_600_000L, 1070, 2.5);
  }

  @Test
  void aPeerResettingItsConnectionIsAWarningEvenWhenLoggedAsSevere() {
    LogRecord r = new LogRecord(Level.SEVERE, "recvAddress(..) failed with error(-104): Connection reset by peer");
    r.setLoggerName("io.vertx.core.net.impl.ConnectionBase");
    assertThat(new LogFormat().format(r)).contains(" WARNING io.vertx.core.net.impl.ConnectionBase: recvAddress")
        .doesNotContain("SEVERE");
    r.setThrown(new java.net.SocketException("Connection reset by peer"));
    assertThat(new LogFormat().format(r)).contains(" WARNING io.vertx.core.net.impl.ConnectionBase: recvAddress")
        .doesNotContain("SEVERE");
    r.setThrown(new IllegalStateException("a bug"));
    assertThat(new LogFormat().format(r)).contains(" SEVERE io.vertx.core.net.impl.ConnectionBase");
  }

  @Test
  void aReplyLostWithAPeerKilledAMomentBeforeIsAOneLineWarningButTheSameErrorElsewhereIsSevere() {
    LogRecord r = new LogRecord(Level.SEVERE, "Unhandled exception");
    r.setLoggerName("io.vertx.core.impl.ContextImpl");
    IllegalStateException twice = new IllegalStateException("Promise already completed");
    twice.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.impl.future.PromiseImpl", "complete", "PromiseImpl.java", 1),
        new StackTraceElement("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "clusteredSendReply",
            "ClusteredEventBus.java", 2),
        new StackTraceElement("org.mistore.hg.HgVerticle", "lambda$start$3", "HgVerticle.java", 88)});
    r.setThrown(twice);
    String line = new LogFormat().format(r);
    assertThat(line.lines()).hasSize(1);
    assertThat(line).contains(" WARNING io.vertx.core.impl.ContextImpl: Unhandled exception "
        + "(IllegalStateException: Promise already completed)");

    // The same from the failed write of a connection the killed peer reset (seen in a node's log).
    twice.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 104),
        new StackTraceElement("io.vertx.core.net.impl.DelegatingChannelPromise", "tryFailure",
            "DelegatingChannelPromise.java", 130),
        new StackTraceElement("io.netty.channel.AbstractChannel$AbstractUnsafe", "write", "AbstractChannel.java", 731)});
    assertThat(new LogFormat().format(r).lines()).hasSize(1);

    IllegalStateException ours = new IllegalStateException("Promise already completed");
    r.setThrown(ours);
    assertThat(new LogFormat().format(r)).contains(" SEVERE ").contains("\tat org.mistore.node.LogFormatTest");
  }
}
