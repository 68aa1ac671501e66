package io.prefstream.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.prefstream.ingest.admin.TopicProvisioner;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.topology.IngestTopology;
import io.prefstream.ingest.topology.TooLargeRecordHandler;
import io.prefstream.runtime.kafka.BrokerWatch;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest service: validates, deduplicates and batches preference events with Kafka Streams under exactly-once.
 * Embeddable: several services can run in one JVM, each with its own registry; nothing here is static.
 *
 * <pre>{@code
 * try (IngestService ingest = new IngestService(IngestConfig.defaults(bootstrap, dataDir), registry)) {
 *   ingest.start();
 *   ingest.awaitRunning(Duration.ofSeconds(60));
 *   ...
 * }
 * }</pre>
 */
public final class IngestService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngestService.class);
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  static final Duration BROKER_PROBE_INTERVAL = Duration.ofSeconds(2);
  /** Counter, tagged by the transient cause: {@code prefstream_ingest_stream_threads_replaced_total}. */
  public static final String STREAM_THREADS_REPLACED = "prefstream.ingest.stream.threads.replaced";

  private final IngestConfig config;
  private final MeterRegistry registry;
  private final IngestMetrics metrics;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile KafkaStreams streams;
  private KafkaStreamsMetrics streamsMetrics;
  private volatile boolean closed;
  /** Probes the cluster: stream threads keep RUNNING while Kafka is away, so this is how health knows. */
  private volatile BrokerWatch brokerWatch;

  public IngestService(IngestConfig config, MeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.metrics = new IngestMetrics(registry);
  }

  /**
   * Creates missing topics (when {@code topics.create} is on) and starts the stream threads; returns without waiting
   * for them to run (see {@link #awaitRunning}).
   *
   * @throws IllegalStateException when already started or closed, or when topics cannot be provisioned
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("ingest service is closed; create a new one");
    }
    if (streams != null) {
      throw new IllegalStateException("ingest service is already started");
    }
    if (config.createTopics()) {
      TopicProvisioner.ensureTopics(config);
    }
    try {
      Files.createDirectories(config.stateDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka Streams state folder " + config.stateDir(), e);
    }
    Topology topology = IngestTopology.build(config, metrics);
    log.debug("ingest topology:\n{}", topology.describe());
    streams = new KafkaStreams(topology, streamsProperties(config, metrics));
    streams.setUncaughtExceptionHandler(this::onStreamThreadDeath);
    streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    Map<String, Object> client = new HashMap<>(config.clientConfig());
    client.put("bootstrap.servers", config.bootstrapServers());
    brokerWatch = new BrokerWatch("ingest", client, BROKER_PROBE_INTERVAL, BROKER_PROBE_INTERVAL);
    metrics.kafkaConnected(brokerWatch::connected);
    brokerWatch.probe(); // the first answer before start() returns, so a healthy ingest never reads DEGRADED
    brokerWatch.start();
    streams.start();
  }

  /**
   * A stream thread died. When Kafka was away long enough for a commit or a transaction to time out (or the broker
   * came back and fenced the transaction it had aborted), the thread is replaced: the new one rejoins, restores from
   * the changelogs and resumes at the committed offsets, so under exactly-once nothing is lost or doubled. Any other
   * error would fail the same way on the same input: stop and let health say why (the orchestrator restarts).
   */
  private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadDeath(Throwable e) {
    String transientCause = transientKafkaCause(e);
    if (transientCause != null && !closed) {
      threadReplacements(transientCause).increment();
      log.warn("ingest stream thread died of a transient Kafka error ({}); replacing it: {}", transientCause,
          e.toString());
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }
    log.error("ingest stream thread failed; shutting the ingest client down", e);
    failure.compareAndSet(null, e);
    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
  }

  /**
   * The simple class name of the first cause in {@code e}'s chain that means "Kafka was unreachable or restarted"
   * rather than "this input or this code is broken", or null.
   */
  public static String transientKafkaCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof org.apache.kafka.common.errors.RetriableException // timeouts, disconnects, leader moves
          || t instanceof org.apache.kafka.common.errors.ProducerFencedException
          || t instanceof org.apache.kafka.common.errors.InvalidProducerEpochException
          || t instanceof org.apache.kafka.common.errors.InvalidPidMappingException
          || t instanceof org.apache.kafka.common.errors.TransactionAbortedException
          || t instanceof org.apache.kafka.streams.errors.TaskMigratedException
          || t instanceof org.apache.kafka.streams.errors.TaskCorruptedException) {
        return t.getClass().getSimpleName();
      }
      if (t instanceof IllegalStateException && t.getStackTrace().length > 0
          && t.getStackTrace()[0].getClassName().startsWith("org.apache.kafka.clients.producer.internals.Transaction")) {
        // The producer refuses a send because an earlier commit timed out (the broker was away) and Kafka Streams,
        // which retries that commit, let a wall-clock punctuator send first: a consequence of the outage, not a bug
        // of ours. Seen in BrokerRestartTest: "Cannot attempt operation `send` because the previous call to
        // `commitTransaction` timed out and must be retried".
        return "PendingTransactionCommit";
      }
    }
    return null;
  }

  private io.micrometer.core.instrument.Counter threadReplacements(String cause) {
    return io.micrometer.core.instrument.Counter.builder(STREAM_THREADS_REPLACED).tag("cause", cause)
        .description("stream threads that died of a transient Kafka error and were replaced").register(registry);
  }

  /** The Kafka Streams settings this service runs with; exposed for tests and the topology description. */
  public static Properties streamsProperties(IngestConfig config, IngestMetrics metrics) {
    Properties p = new Properties();
    p.putAll(config.clientConfig());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.CLIENT_ID_CONFIG, config.applicationId() + "-" + config.instanceId());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, config.cacheMaxBytes());
    p.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.replicationFactor());
    // Re-keyed events share a task with the events topic; never hold the events back waiting to order them by
    // timestamp against the (nearly always empty) re-key topic.
    p.putIfAbsent(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, TooLargeRecordHandler.class.getName());
    p.put(TooLargeRecordHandler.METRICS_CONFIG, metrics);
    // Throughput: larger, compressed producer batches; a batch record can reach ingest.batch.max.bytes. Under
    // exactly-once nothing is visible before its transaction commits, and the commit flushes at once whatever lingers,
    // so lingering up to the commit interval costs no freshness; 5 ms made ~11-record batches here, each with its own
    // 64 KiB LZ4 buffers, which cost a third of all ingest CPU in the benchmark (producer I/O thread and broker).
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), (int) Math.min(Integer.MAX_VALUE,
        Math.max(5, config.commitInterval().toMillis())));
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 4 * 1024 * 1024);
    p.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
    // Internal topics (changelogs, re-key) hold whole events, which can be just under the 1 MiB protocol limit plus
    // framing: above the broker's default message size.
    p.putIfAbsent(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), 4 * 1024 * 1024);
    return p;
  }

  /**
   * Waits until the stream threads run (or rebalance after having joined).
   *
   * @return true when running within the timeout
   */
  public boolean awaitRunning(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      KafkaStreams s = streams;
      if (s != null) {
        KafkaStreams.State st = s.state();
        if (st == KafkaStreams.State.RUNNING) {
          return true;
        }
        if (st == KafkaStreams.State.ERROR || st == KafkaStreams.State.NOT_RUNNING
            || st == KafkaStreams.State.PENDING_ERROR) {
          return false;
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /**
   * UP while Kafka Streams runs or rebalances, DEGRADED while it does but Kafka does not answer (events wait in the
   * topic; nothing is lost), DOWN before start, after close, or after a fatal error.
   */
  public MetricsEndpoint.Health health() {
    KafkaStreams s = streams;
    if (s == null) {
      return MetricsEndpoint.Health.down(closed ? "closed" : "not started");
    }
    KafkaStreams.State st = s.state();
    Throwable f = failure.get();
    if (st == KafkaStreams.State.RUNNING || st == KafkaStreams.State.REBALANCING) {
      BrokerWatch watch = brokerWatch;
      if (watch != null && !watch.connected()) {
        return MetricsEndpoint.Health.degraded("kafka streams " + st + ", but " + watch.outage()
            + "; resumes from the committed offsets when it answers");
      }
      return MetricsEndpoint.Health.up("kafka streams " + st);
    }
    return MetricsEndpoint.Health.down("kafka streams " + st + (f == null ? "" : ": " + f));
  }

  /** The Kafka Streams state, or null before {@link #start()}. */
  public KafkaStreams.State state() {
    KafkaStreams s = streams;
    return s == null ? null : s.state();
  }

  /** True once a stream thread failed and the client shut down. */
  public boolean failed() {
    return failure.get() != null;
  }

  public IngestConfig config() {
    return config;
  }

  /** Stops the stream threads, committing what was processed; bounded by 30 s. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (streams != null) {
      // Leaving the group lets a replacement instance take over at once instead of after the session timeout.
      boolean clean = streams.close(CloseOptions.groupMembershipOperation(
          CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(CLOSE_TIMEOUT));
      if (!clean) {
        log.warn("ingest did not stop within {}", CLOSE_TIMEOUT);
      }
    }
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    if (brokerWatch != null) {
      brokerWatch.close();
    }
  }
}
