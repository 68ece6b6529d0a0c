package org.mistore.node;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * The launcher's log lines: time, level, logger, message. A failure's stack trace follows, except
 * for network errors (a peer that is down or went away: connection refused, reset, closed), which
 * get their causes on the same line. Those are expected while a node is down and said nothing a
 * stack trace would add; they filled the logs of every node while one was down. Such an error
 * logged as SEVERE (Vert.x does so, with the error's text only, for a connection a killed peer
 * reset) is shown as a WARNING: it
 * is news about a peer, not a failure of this node. So is the "Promise already completed" Vert.x
 * throws when this node replies over the event bus to a node killed a moment before (its clustered
 * event bus completes the write of that reply twice; the reply was lost anyway, its asker is gone).
 */
public final class LogFormat extends Formatter {
  @Override
  public String format(LogRecord r) {
    Throwable thrown = r.getThrown();
    boolean network = thrown != null && (isNetwork(thrown) || isReplyToGonePeer(thrown));
    // Vert.x logs a connection a peer reset with the error's text only, no throwable.
    boolean peerGone = network || thrown == null && r.getMessage() != null
        && (r.getMessage().contains("Connection reset by peer") || r.getMessage().contains("Broken pipe"));
    java.util.logging.Level level = peerGone && r.getLevel().intValue() > java.util.logging.Level.WARNING.intValue()
        ? java.util.logging.Level.WARNING : r.getLevel();
    StringBuilder b = new StringBuilder(160).append(String.format("%1$tFT%1$tT.%1$tL %2$s %3$s: %4$s",
        ZonedDateTime.ofInstant(r.getInstant(), ZoneId.systemDefault()), level.getName(), r.getLoggerName(),
        formatMessage(r)));
    if (network) {
      b.append(" (");
      for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
        b.append(t == thrown ? "" : "; caused by ").append(t.getClass().getSimpleName()).append(": ")
            .append(t.getMessage());
      }
      b.append(')').append(System.lineSeparator());
    } else if (thrown != null) {
      StringWriter trace = new StringWriter();
      thrown.printStackTrace(new PrintWriter(trace));
      b.append(System.lineSeparator()).append(trace);
    } else {
      b.append(System.lineSeparator());
    }
    return b.toString();
  }

  /**
   * The message with its parameters, numbers written as they are: {@code java.util.logging} formats a
   * number parameter with the locale's grouping ("idle for 3,600,000 ms", a version as "v1,070"),
   * which reads as two values and does not match what the API and settings spell.
   */
  @Override
  public String formatMessage(LogRecord r) {
    Object[] parameters = r.getParameters();
    if (parameters == null || java.util.Arrays.stream(parameters).noneMatch(p -> p instanceof Number)) {
      return super.formatMessage(r);
    }
    Object[] plain = new Object[parameters.length];
    for (int i = 0; i < parameters.length; i++) {
      plain[i] = parameters[i] instanceof Number n ? n.toString() : parameters[i];
    }
    // A copy: the record may go to other handlers, which must see what was logged.
    LogRecord copy = new LogRecord(r.getLevel(), r.getMessage());
    copy.setParameters(plain);
    copy.setResourceBundle(r.getResourceBundle());
    copy.setResourceBundleName(r.getResourceBundleName());
    return super.formatMessage(copy);
  }

  /**
   * Whether {@code thrown} is the state error Vert.x throws when the connection a message was written
   * on closed under it (its peer was killed): a promise completed twice inside Vert.x, by its
   * clustered event bus or by the failed write of its own connection.
   */
  static boolean isReplyToGonePeer(Throwable thrown) {
    if (!(thrown instanceof IllegalStateException) || thrown.getMessage() == null
        || !thrown.getMessage().contains("already completed")) {
      return false;
    }
    for (StackTraceElement frame : thrown.getStackTrace()) {
      String in = frame.getClassName();
      if (in.startsWith("io.vertx.core.eventbus.impl.clustered.") || in.equals(FAILED_WRITE)) {
        return true;
      }
    }
    return false;
  }

  /** Where Vert.x fails the promise of a write its closed connection refused. */
  private static final String FAILED_WRITE = "io.vertx.core.net.impl.DelegatingChannelPromise";

  /**
   * Whether {@code thrown}, or a cause of it, is a socket or channel error, or the clustered event
   * bus finding that the node it was connecting to has left the cluster.
   */
  static boolean isNetwork(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.SocketException || t instanceof java.nio.channels.ClosedChannelException
          || t.getClass().getName().startsWith("io.netty.channel.unix.Errors$NativeIoException")
          || t instanceof io.vertx.core.VertxException && "Not a member of the cluster".equals(t.getMessage())) {
        return true;
      }
    }
    return false;
  }
}
