package io.prefstream.scorer.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.registry.RefusalReason;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The scorer's meters (Prometheus names in brackets): {@code prefstream.scorer.requests{path}}
 * [prefstream_scorer_requests_total], {@code prefstream.scorer.errors{path,code}}, {@code prefstream.scorer.request
 * {path}} latency histogram [prefstream_scorer_request_seconds_bucket], {@code prefstream.scorer.models.loaded},
 * {@code prefstream.scorer.base.version}, {@code prefstream.scorer.swaps{kind}},
 * {@code prefstream.scorer.checkpoints.refused{reason}}, {@code prefstream.scorer.model.staleness}
 * [prefstream_scorer_model_staleness_seconds], {@code prefstream.scorer.encoder.cache.hit.rate},
 * {@code prefstream.scorer.replies{served=customized|generic}}, {@code prefstream.scorer.kafka.connected} (1 when the
 * last probe of Kafka got an answer, else 0), {@code prefstream.scorer.kafka.errors{client}} (Kafka errors a loop
 * survived, e.g. while the broker was away).
 */
public final class ScorerMetrics {
  public static final String PATH_HTTP = "http";
  public static final String PATH_KAFKA = "kafka";
  /** {@code client} tag of {@code prefstream.scorer.kafka.errors} for the score-requests loop. */
  public static final String CLIENT_REQUESTS = "requests";

  private final MeterRegistry registry;
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Counter> errors = new ConcurrentHashMap<>();
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final Counter customizedReplies;
  private final Counter genericReplies;

  public ScorerMetrics(MeterRegistry registry, ModelRegistry models, CachingEncoder cacheOrNull) {
    this.registry = registry;
    Gauge.builder("prefstream.scorer.models.loaded", models, ModelRegistry::modelsLoaded)
        .description("customized (user, domain) models serving").register(registry);
    Gauge.builder("prefstream.scorer.base.version", models, ModelRegistry::baseVersion)
        .description("version of the base serving; -1 before the first").register(registry);
    FunctionCounter.builder("prefstream.scorer.swaps", models, ModelRegistry::baseSwaps).tag("kind", "base")
        .description("checkpoints swapped in").register(registry);
    FunctionCounter.builder("prefstream.scorer.swaps", models, ModelRegistry::individualSwaps)
        .tag("kind", "customized").description("checkpoints swapped in").register(registry);
    for (RefusalReason reason : RefusalReason.values()) {
      FunctionCounter.builder("prefstream.scorer.checkpoints.refused", models, m -> m.refused(reason))
          .tag("reason", reason.tag()).description("checkpoints refused; the previous version kept serving")
          .register(registry);
    }
    Gauge.builder("prefstream.scorer.model.staleness", models, m -> m.newestCheckpointMs().isPresent()
            ? (System.currentTimeMillis() - m.newestCheckpointMs().getAsLong()) / 1000.0 : Double.NaN)
        .baseUnit("seconds").description("now minus the creation time of the newest checkpoint loaded")
        .register(registry);
    if (cacheOrNull != null) {
      Gauge.builder("prefstream.scorer.encoder.cache.hit.rate", cacheOrNull, CachingEncoder::hitRate)
          .description("share of text embeddings served from the cache").register(registry);
      FunctionCounter.builder("prefstream.scorer.encoder.cache.disk.failures", cacheOrNull,
              CachingEncoder::diskFailures)
          .description("failed reads and writes of the on-disk embedding cache (disk full, I/O errors); after the "
              + "first one it stops writing and texts it misses are encoded again").register(registry);
    }
    customizedReplies = Counter.builder("prefstream.scorer.replies").tag("served", "customized")
        .description("successful replies by the model that answered").register(registry);
    genericReplies = Counter.builder("prefstream.scorer.replies").tag("served", "generic")
        .description("successful replies by the model that answered").register(registry);
    // series exist from the start (at 0), so rate() in dashboards and alerts sees them before the first error
    for (String path : new String[] {PATH_HTTP, PATH_KAFKA}) {
      errors.computeIfAbsent(path + "|internal_error", k -> errorCounter(path, "internal_error"));
      requests.computeIfAbsent(path, p -> requestCounter(p));
    }
    kafkaErrorCounter(CLIENT_REQUESTS);
  }

  private Counter errorCounter(String path, String code) {
    return Counter.builder("prefstream.scorer.errors").tag("path", path).tag("code", code)
        .description("scoring requests answered with an error").register(registry);
  }

  private Counter requestCounter(String path) {
    return Counter.builder("prefstream.scorer.requests").tag("path", path)
        .description("scoring requests received").register(registry);
  }

  /** Registers the 1/0 gauge of whether Kafka answers. */
  public void kafkaConnected(java.util.function.BooleanSupplier connected) {
    Gauge.builder("prefstream.scorer.kafka.connected", connected, c -> c.getAsBoolean() ? 1 : 0)
        .description("1 when the scorer's last probe of Kafka got an answer, else 0 (serving from loaded models)")
        .strongReference(true) // the supplier is often a lambda nothing else holds: a weak gauge would read NaN
        .register(registry);
  }

  /** A Kafka error a loop survived (it retries); counted so a flapping connection shows on the dashboard. */
  public void kafkaError(String client) {
    kafkaErrorCounter(client).increment();
  }

  private Counter kafkaErrorCounter(String client) {
    return Counter.builder("prefstream.scorer.kafka.errors").tag("client", client)
        .description("Kafka errors the scorer's loops survived and retried").register(registry);
  }

  public void request(String path, long nanos) {
    requests.computeIfAbsent(path, this::requestCounter).increment();
    latency.computeIfAbsent(path, p -> Timer.builder("prefstream.scorer.request").tag("path", p)
        .description("time to answer a scoring request").publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry)).record(Duration.ofNanos(nanos));
  }

  public void error(String path, String code) {
    errors.computeIfAbsent(path + "|" + code, k -> errorCounter(path, code)).increment();
  }

  public void served(boolean customized) {
    (customized ? customizedReplies : genericReplies).increment();
  }

  public MeterRegistry registry() {
    return registry;
  }
}
