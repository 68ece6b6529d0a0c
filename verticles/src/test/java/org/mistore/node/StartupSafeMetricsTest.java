package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StartupSafeMetricsTest {
  private ClusterBootstrap.Booted booted;

  @AfterEach
  void close() {
    if (booted != null) {
      booted.vertx().close().await();
    }
  }

  private record Request(SocketAddress remoteAddress) implements HttpRequest {
    @Override
    public int id() {
      return 1;
    }

    @Override
    public String uri() {
      return "/ready";
    }

    @Override
    public String absoluteURI() {
      return "http://127.0.0.1/ready";
    }

    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public MultiMap headers() {
      return MultiMap.caseInsensitiveMultiMap();
    }
  }

  private record Response(int statusCode) implements HttpResponse {
    @Override
    public MultiMap headers() {
      return MultiMap.caseInsensitiveMultiMap();
    }
  }

  private double served() {
    var counter = booted.registry().find("vertx.http.server.requests").counter();
    return counter == null ? 0 : counter.count();
  }

  /**
   * A connection Vert.x accepted before the server's metrics existed has no socket metric: its
   * requests are served uncounted (Micrometer alone threw on them, and the request went unanswered),
   * and the others are counted as before.
   */
  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void aConnectionWithoutASocketMetricIsServedUncountedAndOthersAreCounted() {
    booted = ClusterBootstrap.local(1);
    SocketAddress remote = SocketAddress.inetSocketAddress(40000, "127.0.0.1");
    HttpServerMetrics metrics = ((VertxInternal) booted.vertx()).metrics()
        .createHttpServerMetrics(new HttpServerOptions(), SocketAddress.inetSocketAddress(8080, "127.0.0.1"));
    Request request = new Request(remote);

    Object uncounted = metrics.requestBegin(null, request);
    metrics.requestEnd(uncounted, request, 0);
    metrics.responseBegin(uncounted, new Response(200));
    metrics.responseEnd(uncounted, new Response(200), 2);
    metrics.requestRouted(uncounted, "/ready");
    metrics.bytesRead(null, remote, 40);
    metrics.bytesWritten(null, remote, 80);
    metrics.disconnected(null, remote);
    assertThat(uncounted).isNull();
    assertThat(served()).isZero();

    Object socket = metrics.connected(remote, "127.0.0.1");
    Object counted = metrics.requestBegin(socket, request);
    metrics.requestEnd(counted, request, 0);
    metrics.responseBegin(counted, new Response(200));
    metrics.responseEnd(counted, new Response(200), 2);
    metrics.disconnected(socket, remote);
    assertThat(counted).isNotNull();
    assertThat(served()).isEqualTo(1);
  }

  /**
   * The wrappers pass every kind of metrics through: a method of Vert.x's metrics interfaces they
   * did not override would fall back to its default, which measures nothing (say, after an upgrade
   * of Vert.x that adds one).
   */
  @Test
  void theWrappersOverrideEveryMetricsMethod() throws Exception {
    Class<?> vertxWrapper = Class.forName(StartupSafeMetrics.class.getName() + "$Vertx");
    for (var pair : java.util.Map.of(io.vertx.core.spi.metrics.VertxMetrics.class, vertxWrapper,
        HttpServerMetrics.class, StartupSafeMetrics.Server.class).entrySet()) {
      for (java.lang.reflect.Method m : pair.getKey().getMethods()) {
        if (java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
          continue;
        }
        assertThat(pair.getValue().getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass())
            .as("%s.%s", pair.getValue().getSimpleName(), m.getName()).isEqualTo(pair.getValue());
      }
    }
  }
}
