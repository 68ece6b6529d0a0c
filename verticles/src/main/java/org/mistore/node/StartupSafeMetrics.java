package org.mistore.node;

import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

/**
 * Micrometer's metrics, except that the HTTP server's accept connections whose socket metric is
 * missing. Vert.x 5.0.7 creates a server's metrics only once its port is bound; a connection accepted
 * in between gets no socket metric, and its first request made Micrometer throw a
 * NullPointerException, so that request was never answered (seen as a hang of a readiness probe sent
 * while a node started). Such a connection, and its requests, are now simply not counted.
 */
final class StartupSafeMetrics implements VertxMetricsFactory {
  private final VertxMetricsFactory delegate;

  StartupSafeMetrics(VertxMetricsFactory delegate) {
    this.delegate = delegate;
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new Vertx(delegate.metrics(options));
  }

  @Override
  public MetricsOptions newOptions() {
    return delegate.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return delegate.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(io.vertx.core.json.JsonObject json) {
    return delegate.newOptions(json);
  }

  /** Every kind of metrics as the delegate makes them; the HTTP server's wrapped in {@link Server}. */
  private record Vertx(VertxMetrics delegate) implements VertxMetrics {
    @Override
    public EventBusMetrics createEventBusMetrics() {
      return delegate.createEventBusMetrics();
    }

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress local) {
      HttpServerMetrics<?, ?, ?> made = delegate.createHttpServerMetrics(options, local);
      return made == null ? null : Server.of(made);
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remote, String type, String namespace) {
      return delegate.createClientMetrics(remote, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return delegate.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress local) {
      return delegate.createNetServerMetrics(options, local);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return delegate.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return delegate.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
      return delegate.createPoolMetrics(poolType, poolName, maxPoolSize);
    }

    @Override
    public void vertxCreated(io.vertx.core.Vertx vertx) {
      delegate.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return delegate.isMetricsEnabled();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /**
   * The delegate's HTTP server metrics, skipping every call about a socket or request that has no
   * metric (a connection accepted before the server's metrics existed).
   */
  record Server<R, W, S>(HttpServerMetrics<R, W, S> delegate) implements HttpServerMetrics<R, W, S> {
    static <R, W, S> Server<R, W, S> of(HttpServerMetrics<R, W, S> metrics) {
      return new Server<>(metrics);
    }

    @Override
    public R requestBegin(S socket, HttpRequest request) {
      return socket == null ? null : delegate.requestBegin(socket, request);
    }

    @Override
    public void requestEnd(R request, HttpRequest http, long bytesRead) {
      if (request != null) {
        delegate.requestEnd(request, http, bytesRead);
      }
    }

    @Override
    public void requestReset(R request) {
      if (request != null) {
        delegate.requestReset(request);
      }
    }

    @Override
    public void responseBegin(R request, HttpResponse response) {
      if (request != null) {
        delegate.responseBegin(request, response);
      }
    }

    @Override
    public R responsePushed(S socket, HttpMethod method, String uri, HttpResponse response) {
      return socket == null ? null : delegate.responsePushed(socket, method, uri, response);
    }

    @Override
    public void responseEnd(R request, HttpResponse response, long bytesWritten) {
      if (request != null) {
        delegate.responseEnd(request, response, bytesWritten);
      }
    }

    @Override
    public W connected(S socket, R request, ServerWebSocket webSocket) {
      return socket == null || request == null ? null : delegate.connected(socket, request, webSocket);
    }

    @Override
    public void disconnected(W webSocket) {
      if (webSocket != null) {
        delegate.disconnected(webSocket);
      }
    }

    @Override
    public void requestRouted(R request, String route) {
      if (request != null) {
        delegate.requestRouted(request, route);
      }
    }

    @Override
    public S connected(SocketAddress remote, String remoteName) {
      return delegate.connected(remote, remoteName);
    }

    @Override
    public void disconnected(S socket, SocketAddress remote) {
      if (socket != null) {
        delegate.disconnected(socket, remote);
      }
    }

    @Override
    public void bytesRead(S socket, SocketAddress remote, long bytes) {
      if (socket != null) {
        delegate.bytesRead(socket, remote, bytes);
      }
    }

    @Override
    public void bytesWritten(S socket, SocketAddress remote, long bytes) {
      if (socket != null) {
        delegate.bytesWritten(socket, remote, bytes);
      }
    }

    @Override
    public void exceptionOccurred(S socket, SocketAddress remote, Throwable error) {
      if (socket != null) {
        delegate.exceptionOccurred(socket, remote, error);
      }
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
