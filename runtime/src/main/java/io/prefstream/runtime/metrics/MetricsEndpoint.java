package io.prefstream.runtime.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prefstream.runtime.http.HttpServers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves a service's Prometheus registry on {@code GET /metrics} and its health on {@code GET /health}
 * (200 when UP or DEGRADED, 503 when DOWN, with a one-line JSON body {@code {"status","detail"}}).
 */
public final class MetricsEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final PrometheusMeterRegistry registry;

  /**
   * @param port 0 picks a free port
   * @param health tells whether the service is healthy and why
   */
  public MetricsEndpoint(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health)
      throws IOException {
    this.registry = registry;
    this.server = HttpServers.create(new InetSocketAddress(host, port), 64);
    server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
        registry.scrape()));
    server.createContext("/health", ex -> {
      Health h = health.get();
      respond(ex, h.up() ? 200 : 503, "application/json",
          "{\"status\":\"" + h.status() + "\",\"detail\":\"" + h.detail().replace("\"", "'") + "\"}");
    });
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "metrics-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  public static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType);
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  /**
   * A service's health as the endpoint reports it. {@code DEGRADED}: the service still does its job (so probes should
   * keep routing to it, hence HTTP 200) but a dependency is away; the detail says which and since when.
   */
  public record Health(Status status, String detail) {
    public enum Status { UP, DEGRADED, DOWN }

    public Health {
      java.util.Objects.requireNonNull(status, "status");
      java.util.Objects.requireNonNull(detail, "detail");
    }

    /** UP when {@code up}, else DOWN (the two-state form services used before DEGRADED existed). */
    public Health(boolean up, String detail) {
      this(up ? Status.UP : Status.DOWN, detail);
    }

    /** True unless DOWN: the service answers (a degraded one too). */
    public boolean up() {
      return status != Status.DOWN;
    }

    public boolean degraded() {
      return status == Status.DEGRADED;
    }

    public static Health up(String detail) {
      return new Health(Status.UP, detail);
    }

    public static Health degraded(String detail) {
      return new Health(Status.DEGRADED, detail);
    }

    public static Health down(String detail) {
      return new Health(Status.DOWN, detail);
    }
  }
}
