package io.prefstream.local;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.learner.refit.BaseRefitJob;
import io.prefstream.model.train.GenericRefit;
import io.prefstream.local.demo.DemoConfig;
import io.prefstream.local.demo.DemoDriver;
import io.prefstream.local.demo.ScorerHttpClient;
import io.prefstream.protocol.producer.PreferenceEventProducer;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.Settings;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole of prefstream in one process: a real KRaft broker with its data in a local folder, the topics, ingest,
 * learner and scorer, each with its own metrics endpoint, and optionally the demo traffic. Closing stops everything in
 * reverse order, so nothing keeps running; the next start resumes from the broker's stored state.
 */
public final class LocalMode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalMode.class);

  private final LocalConfig config;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private EmbeddedKafkaBroker broker;
  private IngestService ingest;
  private LearnerService learner;
  private ScorerService scorer;
  private DemoDriver demo;
  private MetricsEndpoint ingestMetrics;
  private MetricsEndpoint learnerMetrics;
  private MetricsEndpoint scorerMetrics;
  private volatile boolean closed;

  public LocalMode(LocalConfig config) {
    this.config = config;
  }

  /** Starts everything; on failure stops what was started and rethrows. */
  public void start(StatusBoard board) {
    try {
      DataFolder.prepare(config.dataDir());
      board.println("prefstream local: data in " + config.dataDir().toAbsolutePath());
      broker = track(EmbeddedKafkaBroker.start(
          BrokerConfig.defaults(config.dataDir().resolve("kafka")).withPort(config.kafkaPort())));
      String bootstrap = broker.bootstrapServers();
      board.println("  Kafka broker (KRaft)   " + bootstrap);
      Topics topics = Topics.defaults();
      broker.createTopics(LocalTopics.all(topics, config.partitions()));

      PrometheusMeterRegistry ingestRegistry = MetricsEndpoint.newRegistry();
      Settings settings = config.settings()
          .with("bootstrap.servers", bootstrap)
          .with("topic.prefix", topics.prefix());
      ingest = track(new IngestService(
          IngestConfig.from(settings.with("data.dir", config.dataDir().toString()))
              .withPartitions(config.partitions()),
          ingestRegistry));
      ingest.start();
      ingestMetrics = track(endpoint("--ingest-metrics-port", config.ingestMetricsPort(), ingestRegistry, ingest::health));

      PrometheusMeterRegistry learnerRegistry = MetricsEndpoint.newRegistry();
      LearnerConfig learnerConfig = LearnerConfig.from(
              settings.with("data.dir", config.dataDir().resolve("learner").toString()))
          .withEncoder(config.encoder())
          .withBase(ShippedBase.extract(config.encoder(), config.dataDir().resolve("shipped-base")).orElse(null),
              generalEventFiles(config.generalData()));
      learner = track(new LearnerService(learnerConfig, learnerRegistry));
      board.println("  learner                bootstrapping the general base from " + config.generalData()
          + " if none is stored yet ...");
      learner.start();
      learnerMetrics = track(endpoint("--learner-metrics-port", config.learnerMetricsPort(), learnerRegistry, learner::health));
      if (config.refitEvery() != null) {
        track(new RefitSchedule(new BaseRefitJob(learnerConfig,
            GenericRefit.Config.defaults().withMinUsers(Math.min(10, config.users()))
                .withTypes(config.settings().integer("refit.types", 0, 0, 64)), BaseRefitJob.DEFAULT_MAX_RECORD_BYTES,
            java.time.Duration.ofMinutes(1)), config.refitEvery()));
        board.println("  refit-base             every " + config.refitEvery().toSeconds() + " s");
      }

      PrometheusMeterRegistry scorerRegistry = MetricsEndpoint.newRegistry();
      scorer = track(new ScorerService(
          ScorerConfig.from(settings).withHttpPort(config.scorerHttpPort()).withEncoder(config.encoder())
              .withDataDir(config.dataDir().resolve("scorer")),
          scorerRegistry));
      scorer.start();
      scorerMetrics = track(endpoint("--scorer-metrics-port", config.scorerMetricsPort(), scorerRegistry, scorer::health));

      board.println("  scorer HTTP            http://localhost:" + scorer.httpPort() + "/v1/score");
      board.println("  metrics                ingest http://localhost:" + ingestMetrics.port() + "/metrics"
          + "  learner http://localhost:" + learnerMetrics.port() + "/metrics"
          + "  scorer http://localhost:" + scorerMetrics.port() + "/metrics");

      if (config.demo()) {
        if (!scorer.awaitBase(java.time.Duration.ofMinutes(10))) {
          throw new IllegalStateException("the scorer saw no base model within 10 minutes; is the learner healthy? "
              + learner.health());
        }
        long windowMs = config.duration() == null ? 60_000 : Math.max(5_000, Math.min(60_000,
            config.duration().toMillis() / 3));
        PreferenceEventProducer producer = track(
            new PreferenceEventProducer(Map.of("bootstrap.servers", bootstrap), topics));
        demo = track(new DemoDriver(new DemoConfig(config.dspRawQueries(), config.users(), LocalTopics.DEMO_DOMAINS,
            config.eventsPerSecond(), config.scoresPerSecond(), windowMs, config.seed()), producer,
            new ScorerHttpClient("http://localhost:" + scorer.httpPort())));
        demo.start();
        board.println("  demo                   " + config.users() + " simulated users, "
            + config.eventsPerSecond() + " events/s");
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The general-preference event files the learner trains the base from when none is stored yet. */
  static List<Path> generalEventFiles(Path folder) {
    try (var files = Files.list(folder)) {
      List<Path> found = files.filter(f -> f.getFileName().toString().endsWith(".events.jsonl")).sorted().toList();
      if (found.isEmpty()) {
        throw new IllegalStateException("no *.events.jsonl files in " + folder.toAbsolutePath()
            + "; point --shared-data at a folder holding general/*.events.jsonl");
      }
      return found;
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the general preference data in " + folder.toAbsolutePath()
          + " (" + e + "); point --shared-data at a folder holding general/*.events.jsonl", e);
    }
  }

  private static MetricsEndpoint endpoint(String flag, int port, PrometheusMeterRegistry registry,
      java.util.function.Supplier<MetricsEndpoint.Health> health) {
    try {
      return new MetricsEndpoint("0.0.0.0", port, registry, health);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serve metrics on port " + port + " (" + e.getMessage()
          + "); choose a free port with " + flag + " (0 picks one)", e);
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    started.push(resource);
    return resource;
  }

  /** Redraws the status board every second until the duration is over or {@link #requestStop()} is called. */
  public void runUntilStopped(StatusBoard board) throws InterruptedException {
    long deadline = config.duration() == null ? Long.MAX_VALUE
        : System.nanoTime() + config.duration().toNanos();
    LocalStatus status = new LocalStatus(new MeterReadings(ingestMetrics.registry()),
        new MeterReadings(learnerMetrics.registry()), new MeterReadings(scorerMetrics.registry()), demo);
    long lastReport = 0;
    while (System.nanoTime() < deadline) {
      long waitMs = Math.min(1_000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (stopRequested.await(waitMs, TimeUnit.MILLISECONDS)) {
        break;
      }
      List<String> lines = status.lines();
      board.draw(lines);
      if (!board.interactive() && System.currentTimeMillis() - lastReport > 15_000) {
        lastReport = System.currentTimeMillis();
        log.info("{}", String.join(" | ", lines));
      }
    }
  }

  public void requestStop() {
    stopRequested.countDown();
  }

  /** What the run achieved, for {@code --summary-json}. */
  public LocalSummary summary() {
    LocalStatus status = new LocalStatus(new MeterReadings(ingestMetrics.registry()),
        new MeterReadings(learnerMetrics.registry()), new MeterReadings(scorerMetrics.registry()), demo);
    return status.summary();
  }

  public void writeSummary(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, summary().toJson() + "\n");
  }

  public Map<String, Integer> metricsPorts() {
    return Map.of("ingest", ingestMetrics.port(), "learner", learnerMetrics.port(), "scorer", scorerMetrics.port());
  }

  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /** The demo traffic, or {@code null} without {@code --demo}. */
  public DemoDriver demo() {
    return demo;
  }

  /** The registries behind the ingest, learner and scorer metrics endpoints (what {@code /metrics} exports). */
  public Map<String, io.micrometer.core.instrument.MeterRegistry> registries() {
    return Map.of("ingest", ingestMetrics.registry(), "learner", learnerMetrics.registry(),
        "scorer", scorerMetrics.registry());
  }

  public int scorerHttpPort() {
    return scorer.httpPort();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopRequested.countDown();
    while (!started.isEmpty()) {
      AutoCloseable resource = started.pop();
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("stopping {} failed: {}", resource.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
