package io.prefstream.scorer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.runtime.kafka.BrokerWatch;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import io.prefstream.scorer.http.ScoreHttpServer;
import io.prefstream.scorer.kafka.ModelsFollower;
import io.prefstream.scorer.kafka.ScoreRequestLoop;
import io.prefstream.scorer.metrics.ScorerMetrics;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.registry.RefusalReason;
import io.prefstream.scorer.scoring.Ownership;
import io.prefstream.scorer.scoring.Scorer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer: follows the {@code models} topic, answers {@code score-requests} on {@code scores} and
 * {@code POST /v1/score} over HTTP. Embeddable (no static state): construct, {@link #start()}, {@link #close()}.
 * When the given registry is a {@link PrometheusMeterRegistry}, the HTTP server also serves {@code GET /metrics}.
 */
public final class ScorerService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScorerService.class);
  /** How often the scorer asks whether Kafka answers, and how long it waits: an outage shows within ~4 s. */
  static final Duration BROKER_PROBE_INTERVAL = Duration.ofSeconds(2);
  static final Duration BROKER_PROBE_TIMEOUT = Duration.ofSeconds(2);

  private final ScorerConfig config;
  private final MeterRegistry meterRegistry;
  private final TextEncoder encoder;
  private final PairFeaturizer featurizer;
  private final CachingEncoder cache;
  private final ModelRegistry models;
  private final ScorerMetrics metrics;
  // Volatile: health() and score() are called from other threads (HTTP workers, the metrics endpoint).
  private volatile ModelsFollower follower;
  private volatile ScoreRequestLoop requestLoop;
  private volatile ScoreHttpServer http;
  private volatile BrokerWatch brokerWatch;
  private volatile Scorer scorer;
  private volatile boolean started;
  private volatile boolean closed;

  /** Opens the encoder (loads MiniLM when configured); nothing touches Kafka until {@link #start()}. */
  public ScorerService(ScorerConfig config, MeterRegistry meterRegistry) {
    this.config = config;
    this.meterRegistry = meterRegistry;
    TextEncoder raw = Encoders.open(config.encoderSpec());
    if (config.encoderCacheEntries() > 0) {
      // the on-disk level lets a restarted scorer answer at cached speed at once
      this.cache = new CachingEncoder(raw, config.encoderCacheEntries(),
          !Encoders.worthDiskCaching(config.encoderSpec()) ? null : config.dataDir().resolve("embeddings"));
      this.encoder = cache;
    } else {
      this.cache = null;
      this.encoder = raw;
    }
    this.featurizer = new PairFeaturizer(encoder);
    // encoder plus feature layout: a base trained on another layout must be refused, not misread
    this.models = new ModelRegistry(featurizer.encoderId(), featurizer.dimension(), config.checkpointVerifier());
    this.metrics = new ScorerMetrics(meterRegistry, models, cache);
  }

  /**
   * Starts following the models topic, the Kafka request loop and the HTTP server. In the partitioned view this
   * waits (up to 60 s) for the models topic, whose partition count decides which users are this instance's.
   */
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException(closed ? "the scorer is closed" : "the scorer is already started");
    }
    started = true;
    try {
      brokerWatch = new BrokerWatch("scorer", config.kafkaBase(), BROKER_PROBE_INTERVAL, BROKER_PROBE_TIMEOUT);
      metrics.kafkaConnected(brokerWatch::connected);
      brokerWatch.start();
      follower = new ModelsFollower(config.kafkaBase(), config.topics().models(),
          config.globalView() ? java.util.Set.of() : config.partitions(), models);
      follower.start();
      Ownership ownership = Ownership.global();
      if (!config.globalView()) {
        int n = follower.awaitPartitionCount(Duration.ofSeconds(60));
        if (n < 1) {
          throw new IllegalStateException("topic " + config.topics().models() + " not found within 60 s; "
              + "a partitioned scorer needs its partition count");
        }
        ownership = Ownership.partitioned(config.partitions(), n);
      }
      scorer = new Scorer(models, featurizer, ownership, config.maxCandidates());
      if (config.kafkaRequests()) {
        requestLoop = new ScoreRequestLoop(config.kafkaBase(), config.groupId(), config.topics().scoreRequests(),
            config.topics().scores(), config.topics().scoreRequestsDlq(),
            config.globalView() ? java.util.Set.of() : config.partitions(), scorer, metrics);
        requestLoop.start();
      }
      if (config.httpPort() >= 0) {
        http = new ScoreHttpServer(new ScoreHttpServer.Settings(config.httpHost(), config.httpPort(),
            config.httpThreads(), config.maxBodyBytes(), config.httpToken()), scorer, metrics, this::health,
            meterRegistry instanceof PrometheusMeterRegistry p ? p : null);
      }
      log.info("scorer started: encoder {}, view {}, HTTP port {}", encoder.id(), ownership, httpPort());
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot start the scorer's HTTP server on port " + config.httpPort(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while starting the scorer", e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The HTTP port actually bound (useful with port 0), or -1 when HTTP is off or not started. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** Waits until a base model is serving. */
  public boolean awaitBase(Duration timeout) {
    try {
      return models.awaitBase(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Waits until every checkpoint present on the topic at start has been loaded (a restarted scorer is complete). */
  public boolean awaitCaughtUp(Duration timeout) {
    try {
      return follower != null && follower.awaitCaughtUp(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Scores in process, exactly as the HTTP and Kafka paths do (for embedding and benchmarks). */
  public ScoreReply score(ScoreRequest request) {
    if (scorer == null) {
      throw new IllegalStateException("the scorer is not started");
    }
    return scorer.score(request);
  }

  /**
   * UP when started, following the topic, serving a base and Kafka answers. DEGRADED when Kafka does not answer (for
   * more than one probe) but a base is loaded: every request is still answered, from the models loaded before the
   * broker went away; the detail says since when and what is serving. DOWN when it cannot answer (not started,
   * closed, no base yet) or a part stopped for good (the models follower or the request loop died).
   */
  public MetricsEndpoint.Health health() {
    if (!started || closed) {
      return MetricsEndpoint.Health.down(closed ? "closed" : "not started");
    }
    if (follower == null || !follower.alive()) {
      return MetricsEndpoint.Health.down("the models follower stopped: "
          + (follower == null || follower.failure() == null ? "unknown" : follower.failure().getMessage()));
    }
    if (requestLoop != null && !requestLoop.alive()) {
      return MetricsEndpoint.Health.down("the score-requests loop stopped");
    }
    if (models.current() == null) {
      return MetricsEndpoint.Health.down("waiting for a base model on " + config.topics().models()
          + (brokerWatch != null && !brokerWatch.connected() ? "; Kafka unreachable: " + brokerWatch.lastError() : ""));
    }
    String serving = "base v" + models.baseVersion() + " and " + models.modelsLoaded() + " customized models";
    BrokerWatch watch = brokerWatch;
    if (watch != null && !watch.connected()) {
      String newest = models.newestCheckpointMs().isPresent()
          ? java.time.Instant.ofEpochMilli(models.newestCheckpointMs().getAsLong()).toString() : "unknown";
      return MetricsEndpoint.Health.degraded(watch.outage() + "; still answering from " + serving
          + " as of the newest checkpoint " + newest);
    }
    return MetricsEndpoint.Health.up("serving " + serving + (follower.caughtUp() ? "" : " (still loading)"));
  }

  /** Whether the scorer's last probe of Kafka got an answer (false before start). */
  public boolean kafkaConnected() {
    BrokerWatch watch = brokerWatch;
    return watch != null && watch.connected();
  }

  /** Checkpoints swapped in so far (base and customized). */
  public long swaps() {
    return models.swaps();
  }

  /** Customized models serving now. */
  public int modelsLoaded() {
    return models.modelsLoaded();
  }

  /** Checkpoints refused so far (corrupt, incompatible, wrong encoder, bad key). */
  public long checkpointsRefused() {
    return models.refusedTotal();
  }

  public long checkpointsRefused(RefusalReason reason) {
    return models.refused(reason);
  }

  /** The base version serving, or -1. */
  public long baseVersion() {
    return models.baseVersion();
  }

  /** The embedding cache's hit rate, or NaN when the cache is off. */
  public double cacheHitRate() {
    return cache == null ? Double.NaN : cache.hitRate();
  }

  public ModelRegistry models() {
    return models;
  }

  public TextEncoder encoder() {
    return encoder;
  }

  public ScorerConfig config() {
    return config;
  }

  /** Stops HTTP, the request loop and the follower, then the encoder. Idempotent; bounded (a few seconds). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(http);
    closeQuietly(requestLoop);
    closeQuietly(follower);
    closeQuietly(brokerWatch);
    closeQuietly(encoder);
    log.info("scorer stopped");
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}
