package org.mistore.api;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one WebSocket connection holds, kept bounded. The connection stops reading frames while
 * {@code maxInFlight} requests are in flight or its frames and unsent replies add up to {@code
 * maxBytes}, and reads on as the client takes replies. A {@code get} builds its reply within the
 * process's {@link MemoryBudget}, taking at most one {@code maxBytes} reply's share at a time (a
 * connection that holds none may always take one reply, as a download may always take one block, so
 * none stalls forever). Watch events a client leaves unread past {@code maxBytes} end the connection
 * (1008); one that reads nothing, not even the close frame, is cut after {@link #CLOSE_GRACE_MS}.
 * Runs on the connection's event loop only.
 */
final class WebSocketFlow {
  /** How long a connection closed for not reading has to take its close frame before it is cut. */
  static final long CLOSE_GRACE_MS = 5_000;
  /** Bytes every connection of this process holds: frames being handled and replies not yet taken. */
  static final AtomicLong HELD = new AtomicLong();

  /** One request: the bytes it holds (its frame, then its reply) and what it took of the read budget. */
  static final class Pending {
    private long held;
    private long budgeted;

    private Pending(long frameBytes) {
      this.held = frameBytes;
    }
  }

  private final ServerWebSocket ws;
  private final HttpConnection connection;
  private final Context context;
  private final MemoryBudget budget;
  private final int maxInFlight;
  private final long maxBytes;
  /** Gets waiting for this connection's share of the read budget. */
  private final List<Runnable> waiting = new ArrayList<>();
  private int inFlight;
  private long held;
  private long budgeted;
  private long eventsUnsent;
  private boolean paused;
  private boolean closing;

  WebSocketFlow(ServerWebSocket ws, HttpConnection connection, Context context, MemoryBudget budget, int maxInFlight,
      long maxBytes) {
    this.ws = ws;
    this.connection = connection;
    this.context = context;
    this.budget = budget;
    this.maxInFlight = maxInFlight;
    this.maxBytes = maxBytes;
  }

  /** The connection closed: gets waiting for budget fail rather than read for nobody. */
  void closed() {
    closing = true;
    retryWaiting();
  }

  /** A request came in: it holds its frame until its reply went out; reading pauses at the bounds. */
  Pending admit(long frameBytes) {
    Pending pending = new Pending(frameBytes);
    inFlight++;
    hold(frameBytes);
    if (!paused && (inFlight >= maxInFlight || held >= maxBytes)) {
      paused = true;
      ws.pause();
    }
    return pending;
  }

  /** Sends a request's reply; what the request held is let go once the socket took it. */
  void reply(String text, Pending pending) {
    if (closing || ws.isClosed()) {
      done(pending);
      return;
    }
    pending.held += text.length();
    hold(text.length());
    Future<Void> written = ws.writeTextMessage(text);
    // Only the frame is left to hold now: the rest of what a get's reply took is given back.
    long frame = Math.min(pending.budgeted, text.length());
    give(pending, pending.budgeted - frame);
    written.onComplete(x -> done(pending));
  }

  /** A request that ends without a reply (the reply could not be built). */
  void done(Pending pending) {
    inFlight--;
    hold(-pending.held);
    pending.held = 0;
    give(pending, pending.budgeted);
    if (paused && inFlight < maxInFlight && held < maxBytes && !closing && !ws.isClosed()) {
      paused = false;
      ws.resume();
    }
  }

  /**
   * Takes {@code bytes} of the read budget for {@code pending}: at once when they fit (or this
   * connection holds none), else after a release; fails once the connection is closing.
   */
  Future<Void> budget(Pending pending, long bytes) {
    Promise<Void> taken = Promise.promise();
    take(pending, bytes, taken);
    return taken.future();
  }

  private void take(Pending pending, long bytes, Promise<Void> taken) {
    if (closing || ws.isClosed()) {
      taken.fail(HttpProblem.unavailable("connection closed"));
      return;
    }
    boolean fitsShare = budgeted == 0 || budgeted + bytes <= replyCost(maxBytes);
    if (fitsShare && budget.tryTake(bytes, budgeted == 0)) {
      budgeted += bytes;
      pending.budgeted += bytes;
      taken.complete();
    } else if (!fitsShare) {
      waiting.add(() -> take(pending, bytes, taken));
    } else {
      budget.whenReleased(context, () -> take(pending, bytes, taken));
    }
  }

  /** What a get's reply of {@code size} bytes holds: the bytes, and their base64 twice (the field, then the message). */
  static long replyCost(long size) {
    return size * 4;
  }

  private void give(Pending pending, long bytes) {
    if (bytes <= 0) {
      return;
    }
    pending.budgeted -= bytes;
    budgeted -= bytes;
    budget.release(bytes);
    retryWaiting();
  }

  private void retryWaiting() {
    if (!waiting.isEmpty()) {
      List<Runnable> retry = new ArrayList<>(waiting);
      waiting.clear();
      retry.forEach(Runnable::run);
    }
  }

  /** A watch event; a client that leaves more than {@code maxBytes} of them unread is disconnected. */
  void event(String text) {
    if (closing || ws.isClosed()) {
      return;
    }
    if (eventsUnsent > maxBytes) {
      close((short) 1008, "watch events not read: over websocket-max-bytes unsent");
      return;
    }
    eventsUnsent += text.length();
    ws.writeTextMessage(text).onComplete(x -> eventsUnsent -= text.length());
  }

  /** Whether the connection closed or this side began closing it: frames that come now are not answered. */
  boolean closing() {
    return closing || ws.isClosed();
  }

  /** Closes with {@code status}; a client that does not take even the close frame is cut after a grace. */
  void close(short status, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    ws.close(status, reason);
    context.owner().setTimer(CLOSE_GRACE_MS, t -> {
      if (!ws.isClosed()) {
        connection.close();
      }
    });
    retryWaiting();
  }

  private void hold(long bytes) {
    held += bytes;
    HELD.addAndGet(bytes);
  }
}
