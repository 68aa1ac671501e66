package io.prefstream.scorer.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.protocol.event.EventLimits;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.score.ScoreRequestParser.InvalidRequestException;
import io.prefstream.runtime.http.HttpServers;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import io.prefstream.scorer.metrics.ScorerMetrics;
import io.prefstream.scorer.scoring.Scorer;
import io.prefstream.scorer.scoring.ScoringException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer's HTTP interface on the JDK's HTTP server, with a bounded worker pool (a full queue makes the accepting
 * thread run the request itself, which slows accepting instead of dropping work).
 *
 * <ul>
 *   <li>{@code POST /v1/score}: the scoring request JSON in, the reply JSON out (200); 400 bad input, 401 missing or
 *       wrong bearer token (when one is configured), 405 wrong method, 413 body over the limit, 415 a content type
 *       other than JSON, 421 a user of another instance (partitioned view), 503 before the first base model.</li>
 *   <li>{@code GET /v1/models/{userId}/{domain}}: which model serves that key (path segments URL-encoded).</li>
 *   <li>{@code GET /health} (200 UP or DEGRADED, 503 DOWN) and, when given a Prometheus registry, {@code GET /metrics}; both open.</li>
 * </ul>
 * Every error body is a score reply with an {@code error} object: a stable {@code code} and a message.
 */
public final class ScoreHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScoreHttpServer.class);
  private static final String JSON = "application/json";
  private static final long DRAIN_LIMIT = 16L * 1024 * 1024;

  /** How to run the HTTP server. @param token null = no authentication */
  public record Settings(String host, int port, int threads, int maxBodyBytes, String token) {}

  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final Scorer scorer;
  private final ScorerMetrics metrics;
  private final Supplier<MetricsEndpoint.Health> health;
  private final PrometheusMeterRegistry prometheus;
  private final int maxBodyBytes;
  private final byte[] token;
  private volatile boolean closed;
  private final AtomicInteger inFlight = new AtomicInteger();

  public ScoreHttpServer(Settings settings, Scorer scorer, ScorerMetrics metrics,
      Supplier<MetricsEndpoint.Health> health, PrometheusMeterRegistry prometheusOrNull) throws IOException {
    this.scorer = scorer;
    this.metrics = metrics;
    this.health = health;
    this.prometheus = prometheusOrNull;
    this.maxBodyBytes = settings.maxBodyBytes();
    this.token = settings.token() == null ? null : ("Bearer " + settings.token()).getBytes(StandardCharsets.UTF_8);
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(settings.threads(), settings.threads(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(1024), r -> {
          Thread t = new Thread(r, "scorer-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    this.server = HttpServers.create(new InetSocketAddress(settings.host(), settings.port()), 512);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) {
    inFlight.incrementAndGet();
    try (ex) {
      if (closed) {
        error(ex, 503, null, "shutting_down", "the scorer is shutting down; retry on another instance");
        return;
      }
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
      if (path.equals("/v1/score")) {
        score(ex, method);
      } else if (path.startsWith("/v1/models/")) {
        if (!authorized(ex) || !allowed(ex, method, "GET")) {
          return;
        }
        models(ex, path.substring("/v1/models/".length()));
      } else if (path.equals("/health")) {
        if (allowed(ex, method, "GET")) {
          MetricsEndpoint.Health h = health.get();
          ObjectNode n = Json.MAPPER.createObjectNode();
          n.put("status", h.status().name());
          n.put("detail", h.detail());
          send(ex, h.up() ? 200 : 503, JSON, Json.MAPPER.writeValueAsBytes(n));
        }
      } else if (path.equals("/metrics") && prometheus != null) {
        if (allowed(ex, method, "GET")) {
          send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
              prometheus.scrape().getBytes(StandardCharsets.UTF_8));
        }
      } else {
        error(ex, 404, null, "not_found", "no resource at " + path + "; use POST /v1/score or GET /v1/models/{userId}/{domain}");
      }
    } catch (IOException e) {
      log.debug("HTTP exchange failed: {}", e.toString()); // the client went away; nothing to answer
    } catch (RuntimeException e) {
      log.error("HTTP handler failed", e);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void score(HttpExchange ex, String method) throws IOException {
    long t0 = System.nanoTime();
    String code = null;
    try {
      if (!authorized(ex)) {
        code = "unauthorized";
        return;
      }
      if (!method.equals("POST")) {
        code = "method_not_allowed";
        allowed(ex, method, "POST");
        return;
      }
      String contentType = ex.getRequestHeaders().getFirst("Content-Type");
      if (contentType != null && !contentType.toLowerCase(Locale.ROOT).trim().startsWith(JSON)) {
        code = "unsupported_media_type";
        error(ex, 415, null, code, "Content-Type '" + contentType + "' is not accepted; send " + JSON);
        return;
      }
      byte[] body = readBody(ex);
      if (body == null) {
        code = "request_too_large";
        error(ex, 413, null, code, "request body is over the limit of " + maxBodyBytes + " bytes");
        return;
      }
      ScoreRequest request;
      try {
        request = ScoreRequestParser.parse(body);
      } catch (InvalidRequestException e) {
        code = e.code();
        error(ex, e.code().equals("request_too_large") ? 413 : 400, e.requestId(), e.code(), e.getMessage());
        return;
      }
      ScoreReply reply;
      try {
        reply = scorer.score(request);
      } catch (ScoringException e) {
        code = e.code();
        error(ex, e.status(), request.requestId(), e.code(), e.getMessage());
        return;
      } catch (RuntimeException | LinkageError e) {
        code = "internal_error";
        log.error("scoring request {} failed", request.requestId(), e);
        error(ex, 500, request.requestId(), code, "scoring failed: " + e);
        return;
      }
      metrics.served(reply.model().customized());
      send(ex, 200, JSON, ScoreRequestParser.encodeReply(reply));
    } finally {
      metrics.request(ScorerMetrics.PATH_HTTP, System.nanoTime() - t0);
      if (code != null) {
        metrics.error(ScorerMetrics.PATH_HTTP, code);
      }
    }
  }

  private void models(HttpExchange ex, String rest) throws IOException {
    String[] parts = rest.split("/", -1);
    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      error(ex, 404, null, "not_found", "expected /v1/models/{userId}/{domain} with URL-encoded segments, got /v1/models/"
          + rest);
      return;
    }
    String userId;
    String domain;
    try {
      userId = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
      domain = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      error(ex, 400, null, "bad_path", "path segments are not valid URL encoding: " + e.getMessage());
      return;
    }
    if (!EventLimits.DOMAIN.matcher(domain).matches()) {
      error(ex, 400, null, "bad_domain", "domain '" + domain + "' must match " + EventLimits.DOMAIN.pattern());
      return;
    }
    Scorer.Served served;
    try {
      served = scorer.describe(userId, domain);
    } catch (ScoringException e) {
      error(ex, e.status(), null, e.code(), e.getMessage());
      return;
    }
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("userId", userId);
    n.put("domain", domain);
    n.put("baseVersion", served.baseVersion());
    n.put("customized", served.customized());
    if (served.customized()) {
      n.put("customVersion", served.individual().version());
      n.put("customBaseVersion", served.individual().baseVersion());
      n.put("newestEventTimeMs", served.individual().newestEventTimeMs());
      n.put("checkpointCreatedAtMs", served.individual().createdAtMs());
    } else {
      n.putNull("customVersion");
      n.putNull("newestEventTimeMs");
    }
    // generic: the generic model answers this key (cold start); domainGeneric: the base has a part for this domain.
    n.put("generic", !served.customized());
    n.put("domainGeneric", served.model().hasGeneric());
    send(ex, 200, JSON, Json.MAPPER.writeValueAsBytes(n));
  }

  /**
   * The body, or null when it is over the limit. An oversized body is still read and discarded up to
   * {@link #DRAIN_LIMIT} so the client, which is still sending, gets the 413 instead of a reset connection.
   */
  private byte[] readBody(HttpExchange ex) throws IOException {
    long declared = -1;
    String header = ex.getRequestHeaders().getFirst("Content-Length");
    if (header != null) {
      try {
        declared = Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        declared = -1; // the server itself refuses malformed lengths; the bounded read below still holds
      }
    }
    try (InputStream in = ex.getRequestBody()) {
      if (declared > maxBodyBytes) {
        if (declared <= DRAIN_LIMIT) {
          in.transferTo(OutputStream.nullOutputStream());
        }
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
      byte[] buf = new byte[8192];
      long total = 0;
      int r;
      while ((r = in.read(buf)) > 0) {
        total += r;
        if (total > maxBodyBytes) {
          if (total < DRAIN_LIMIT) {
            in.transferTo(OutputStream.nullOutputStream());
          }
          return null;
        }
        out.write(buf, 0, r);
      }
      return out.toByteArray();
    }
  }

  private boolean authorized(HttpExchange ex) throws IOException {
    if (token == null) {
      return true;
    }
    String given = ex.getRequestHeaders().getFirst("Authorization");
    if (given != null && MessageDigest.isEqual(token, given.trim().getBytes(StandardCharsets.UTF_8))) {
      return true;
    }
    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"prefstream\"");
    error(ex, 401, null, "unauthorized", given == null ? "missing 'Authorization: Bearer <token>' header"
        : "the bearer token is not valid");
    return false;
  }

  private static boolean allowed(HttpExchange ex, String method, String expected) throws IOException {
    if (method.equals(expected)) {
      return true;
    }
    ex.getResponseHeaders().set("Allow", expected);
    error(ex, 405, null, "method_not_allowed", "method " + method + " is not allowed here; use " + expected);
    return false;
  }

  private static void error(HttpExchange ex, int status, String requestId, String code, String message)
      throws IOException {
    send(ex, status, JSON, ScoreRequestParser.encodeReply(
        ScoreReply.failure(requestId, new ScoreReply.ScoreError(code, message))));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /**
   * Answers new requests 503, lets running ones finish (up to 2 s), then stops the server and its workers.
   * Idempotent. (HttpServer.stop(delay) would wait the whole delay while clients hold idle keep-alive connections.)
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
