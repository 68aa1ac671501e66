package io.prefstream.learner;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.prefstream.learner.kafka.BaseFollower;
import io.prefstream.learner.kafka.BlockBuffer;
import io.prefstream.learner.kafka.TopicReader;
import io.prefstream.learner.kafka.TopicSetup;
import io.prefstream.learner.state.KeyState;
import io.prefstream.learner.state.KeyStateCodec;
import io.prefstream.learner.train.BatchLearner;
import io.prefstream.learner.train.EnrichmentPool;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.protocol.batch.MalformedBatchException;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.checkpoint.CheckpointSigner;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.runtime.kafka.BrokerWatch;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learner: consumes training batches as a member of a consumer group, learns each (user, domain)'s individual
 * model, and publishes checkpoints to the compacted {@code models} topic.
 *
 * <p>Exactly-once: every poll's work (checkpoints, the keys' learner state, dead letters, model deletions) and the
 * consumed offsets are committed in one Kafka transaction. After a crash the next owner of a partition restores the
 * partition's key states from the {@code learner-state} topic and resumes at the committed offset, so no event's
 * update is lost or applied twice. Records are processed in fixed offset blocks (see {@link BlockBuffer}) so a
 * replay gives the same bits as an uninterrupted run.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} (idempotent, bounded). One processing thread owns all Kafka
 * clients and all key state; the read-only accessors are safe from any thread.
 */
public final class LearnerService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LearnerService.class);
  static final Duration BROKER_PROBE_INTERVAL = Duration.ofSeconds(2);
  /** Header on checkpoint records: the newest event time the checkpoint covers (freshness measurement). */
  public static final String NEWEST_EVENT_HEADER = "prefstream.newest-event-ms";
  static final String MALFORMED_REASON = "malformed_batch";
  private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(2);
  private static final int MAX_CONSECUTIVE_FAILURES = 5;
  /** Fenced again and again without a commit in between means another live instance holds our id: give up. */
  private static final int MAX_FENCED_IN_A_ROW = 3;
  private static final long MAX_RETRY_BACKOFF_MS = 5_000;
  /** Counter {@code prefstream_learner_kafka_retries_total{cause}}: transactions re-run after a transient Kafka error. */
  public static final String KAFKA_RETRIES = "prefstream.learner.kafka.retries";
  /** Counter {@code prefstream_learner_producer_recreated_total}: transactional producers replaced after such errors. */
  public static final String PRODUCER_RECREATED = "prefstream.learner.producer.recreated";

  private final LearnerConfig config;
  private final MeterRegistry registry;
  private final LearnerMetrics metrics;
  /** Signs every models record; null when no checkpoint signing key is configured. */
  private final CheckpointSigner signer;
  private final Map<ModelKey, KeyStats> stats = new ConcurrentHashMap<>();
  private final Map<Integer, Map<ModelKey, KeyState>> stateByPartition = new HashMap<>();

  private TextEncoder encoder;
  private BatchedIndividualTrainer trainer;
  private volatile BatchLearner learner;
  private PairFeaturizer featurizer;
  private EnrichmentPool pool;
  private BaseFollower baseFollower;
  private KafkaProducer<byte[], byte[]> producer;
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaClientMetrics consumerMetrics;
  private BlockBuffer buffer;
  private Thread thread;
  private int partitions;
  private volatile boolean running;
  private volatile boolean started;
  private volatile boolean closed;
  private volatile String failure;
  private volatile String device = "unknown";
  private volatile long lastPollMs;
  private int consecutiveFailures;
  private int fencedInARow;
  /** Since when transactions fail on transient Kafka errors (the broker away), epoch millis; 0 when they work. */
  private volatile long kafkaTroubleSinceMs;
  /** Probes the cluster: an idle learner's consumer never fails while Kafka is away, so this is how health knows. */
  private volatile BrokerWatch brokerWatch;
  private volatile String kafkaTroubleCause = "";
  private volatile long kafkaRetries;

  public LearnerService(LearnerConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.metrics = new LearnerMetrics(registry);
    this.signer = config.checkpointSigner();
  }

  /**
   * Opens the encoder and trainer, checks the topics, bootstraps the base model if needed, and starts consuming.
   *
   * @throws IllegalStateException when the topics are misconfigured or the base does not fit the encoder
   */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("learner already started");
    }
    started = true;
    try {
      Map<String, Object> client = clientProps();
      brokerWatch = new BrokerWatch("learner", client, BROKER_PROBE_INTERVAL, BROKER_PROBE_INTERVAL);
      metrics.kafkaConnected(brokerWatch::connected);
      brokerWatch.probe(); // the first answer before start() returns, so a healthy learner never reads DEGRADED
      brokerWatch.start();
      partitions = TopicSetup.ensure(client, config.topics().batches(), config.topics().batchesDlq(),
          config.topics().models(), config.stateTopic(), 4);
      TextEncoder inner = Encoders.open(config.encoderSpec());
      // the on-disk level makes a restart (and the base bootstrap's general texts) free of re-encoding
      Path diskCache = !Encoders.worthDiskCaching(config.encoderSpec()) ? null : config.dataDir().resolve("embeddings");
      encoder = config.encoderCacheEntries() > 0
          ? new CachingEncoder(inner, config.encoderCacheEntries(), diskCache)
          : inner;
      if (encoder instanceof CachingEncoder cache) {
        metrics.embeddingCache(cache);
      }
      featurizer = new PairFeaturizer(encoder);
      trainer = new BatchedIndividualTrainer(config.training().trainer());
      device = trainer.device();
      metrics.device(device);

      producer = new KafkaProducer<>(producerProps(), new ByteArraySerializer(), new ByteArraySerializer());
      // Fences a crashed predecessor with the same transactional id and aborts its open transaction, so its
      // half-written checkpoints never become visible and the state restored below is the committed one.
      producer.initTransactions();

      CheckpointVerifier verifier = config.checkpointSigningKey() == null ? null
          : new CheckpointVerifier(java.util.List.of(config.checkpointSigningKey()));
      // Positioned before the newest base is read, so a version published in between is not missed.
      baseFollower = new BaseFollower(client, config.topics().models(), verifier, RESTORE_TIMEOUT);
      BaseModel base = BaseBootstrap.findPublished(client, config.topics().models(), partitions, RESTORE_TIMEOUT,
          verifier);
      if (base == null) {
        base = BaseBootstrap.obtain(config.baseDir(), config.baseData(), featurizer,
            config.training().trainer().marginScale(), System.currentTimeMillis());
        producer.beginTransaction();
        byte[] baseBytes = CheckpointCodec.encode(base); // to every partition, signed like every models record
        for (int p = 0; p < partitions; p++) {
          producer.send(modelsRecord(p, ModelKey.BASE.bytes(), baseBytes));
        }
        producer.commitTransaction();
        log.info("published base model v{} to all {} partitions of {}", base.version(), partitions,
            config.topics().models());
      }
      pool = EnrichmentPool.load(config.baseData(), config.training().enrichmentPoolSize(), featurizer,
          config.training().trainer().marginScale());
      learner = new BatchLearner(base, featurizer, trainer, pool, config.training());
      metrics.baseVersion(base.version());
      baseFollower.start(base.version());

      consumer = new KafkaConsumer<>(consumerProps(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumerMetrics = new KafkaClientMetrics(consumer);
      consumerMetrics.bindTo(registry);
      buffer = new BlockBuffer(config.blockRecords());
      running = true;
      lastPollMs = System.currentTimeMillis();
      thread = new Thread(this::run, "learner-" + config.instanceId());
      thread.setDaemon(true);
      thread.start();
      log.info("learner {} started: encoder {}, device {}, {} partitions, base v{}", config.instanceId(),
          encoder.id(), device, partitions, base.version());
    } catch (RuntimeException e) {
      failure = e.getMessage();
      closeResources();
      throw e;
    }
  }

  private void run() {
    try {
      consumer.subscribe(List.of(config.topics().batches()), new Rebalance());
      while (running) {
        try {
          adoptNewerBase();
          ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
          lastPollMs = System.currentTimeMillis();
          buffer.add(records);
          List<BlockBuffer.Block> ready = buffer.takeReady(consumer::position, this::caughtUp);
          if (!ready.isEmpty()) {
            processInTransaction(ready);
          }
          metrics.lag(totalLag());
        } catch (RetriableException e) {
          // e.g. a position lookup timed out while the broker was away; nothing uncommitted survives the recovery
          kafkaTrouble(e.getClass().getSimpleName(), e);
          pause(1_000);
          recoverWithRetries();
        }
      }
    } catch (WakeupException e) {
      if (running) {
        failure = "woken up unexpectedly";
      }
    } catch (ProducerFencedException e) {
      failure = "fenced by another learner with transactional id " + config.transactionalId() + ": " + e.getMessage();
      log.error("learner stopped: {}", failure);
    } catch (RuntimeException e) {
      failure = e.toString();
      log.error("learner stopped by an unexpected error", e);
    } finally {
      running = false;
      closeKafka();
    }
  }

  /**
   * Switches to a base version published since start, between transactions (a transaction is all on one base). Keys
   * move onto it one by one as they are next trained ({@link BatchLearner#rebase}); a base of another encoder or
   * feature layout is refused and the current one kept.
   */
  private void adoptNewerBase() {
    BaseModel next = baseFollower.takeNewer();
    if (next == null || next.version() <= learner.base().version()) {
      return;
    }
    try {
      learner = new BatchLearner(next, featurizer, trainer, pool, config.training());
    } catch (IllegalArgumentException e) {
      metrics.baseRefused();
      log.error("not switching to base v{}: {}; still learning on base v{}", next.version(), e.getMessage(),
          learner.base().version());
      return;
    }
    metrics.baseVersion(next.version());
    log.info("switched to base v{} (generic parts for {}); keys move onto it as they are next trained",
        next.version(), next.genericByDomain().keySet());
  }

  /** The base version this learner trains on. */
  public long baseVersion() {
    BatchLearner l = learner;
    return l == null ? -1 : l.base().version();
  }

  private boolean caughtUp(TopicPartition tp) {
    OptionalLong lag = consumer.currentLag(tp);
    return lag.isPresent() && lag.getAsLong() == 0;
  }

  private long totalLag() {
    long sum = 0;
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isPresent()) {
        sum += lag.getAsLong();
      }
    }
    return sum + buffer.buffered();
  }

  private void processInTransaction(List<BlockBuffer.Block> blocks) {
    long t0 = System.nanoTime();
    Tally tally = new Tally();
    Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
    try {
      producer.beginTransaction();
      for (BlockBuffer.Block block : blocks) {
        processBlock(block, tally);
        offsets.put(block.partition(), new OffsetAndMetadata(block.nextOffset()));
      }
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
    } catch (ProducerFencedException e) {
      // A broker that was away past transaction.timeout.ms aborts our transaction and bumps the epoch on its return,
      // which fences this producer just as a second instance with our id would. A new producer (initTransactions)
      // takes the id back; a real twin fences us again at once (and static membership fences its consumer), so a
      // few fences in a row without a commit in between stop the learner.
      if (++fencedInARow > MAX_FENCED_IN_A_ROW) {
        throw e;
      }
      retryAfterKafkaError("ProducerFencedException", e);
      return;
    } catch (OutOfOrderSequenceException | AuthorizationException | UnsupportedVersionException e) {
      throw new IllegalStateException("fatal producer error", e);
    } catch (RuntimeException e) {
      if (causedBy(e, ProducerFencedException.class)) {
        if (++fencedInARow > MAX_FENCED_IN_A_ROW) {
          throw new IllegalStateException("fenced " + fencedInARow + " times in a row", e);
        }
        retryAfterKafkaError("ProducerFencedException", e);
        return;
      }
      String transientCause = transientKafkaCause(e);
      if (transientCause != null) {
        retryAfterKafkaError(transientCause, e);
        return;
      }
      if (++consecutiveFailures > MAX_CONSECUTIVE_FAILURES) {
        throw new IllegalStateException("giving up after " + consecutiveFailures + " failed transactions in a row", e);
      }
      log.warn("aborting transaction and replaying from the last committed offsets: {}", e.toString());
      try {
        producer.abortTransaction();
      } catch (KafkaException abortError) {
        log.warn("abort failed, replacing the producer: {}", abortError.toString());
        recreateProducer();
      }
      metrics.aborted();
      recoverWithRetries();
      return;
    }
    consecutiveFailures = 0;
    fencedInARow = 0;
    if (kafkaTroubleSinceMs != 0) {
      log.info("transactions commit again after {} s of Kafka errors ({} retries)",
          (System.currentTimeMillis() - kafkaTroubleSinceMs) / 1000, kafkaRetries);
      kafkaTroubleSinceMs = 0;
    }
    long now = System.currentTimeMillis();
    metrics.publishLatency(System.nanoTime() - t0);
    tally.applyTo(metrics, now);
  }

  /** Splits a block at tombstones (which must see the batches before them applied) and dead letters. */
  private void processBlock(BlockBuffer.Block block, Tally tally) {
    int partition = block.partition().partition();
    Map<ModelKey, KeyState> states = stateByPartition.computeIfAbsent(partition, p -> new HashMap<>());
    List<TrainingBatch> run = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : block.records()) {
      if (r.value() == null) {
        learn(run, states, partition, tally);
        run.clear();
        if (r.key() != null) {
          forget(new String(r.key(), StandardCharsets.UTF_8), states, partition, tally);
        }
        continue;
      }
      TrainingBatch batch;
      try {
        batch = TrainingBatchCodec.decode(r.value());
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        if (key != null && !key.equals(batch.userId())) {
          throw new MalformedBatchException("record key '" + key + "' is not the batch's userId '"
              + batch.userId() + "'");
        }
        int expected = UserPartitioning.partitionFor(batch.userId(), partitions);
        if (expected != partition) {
          throw new MalformedBatchException("batch of user '" + batch.userId() + "' is in partition " + partition
              + " but user-aligned partitioning puts it in " + expected);
        }
      } catch (MalformedBatchException e) {
        deadLetter(r, e.getMessage());
        tally.deadLettered++;
        continue;
      }
      run.add(batch);
    }
    learn(run, states, partition, tally);
  }

  private void learn(List<TrainingBatch> batches, Map<ModelKey, KeyState> states, int partition, Tally tally) {
    if (batches.isEmpty()) {
      return;
    }
    int dim = learner.featureDim();
    int window = config.training().progressiveWindow();
    BatchLearner.Outcome o = learner.learn(batches,
        key -> states.computeIfAbsent(key, k -> KeyState.fresh(k.userId(), k.domain(), dim, window)),
        System.currentTimeMillis());
    for (Map.Entry<ModelKey, BatchLearner.Published> e : o.published.entrySet()) {
      ProducerRecord<byte[], byte[]> rec = modelsRecord(partition, e.getKey().bytes(), e.getValue().bytes());
      rec.headers().add(new RecordHeader(NEWEST_EVENT_HEADER,
          Long.toString(e.getValue().model().newestEventTimeMs()).getBytes(StandardCharsets.UTF_8)));
      producer.send(rec);
      tally.newestEventMs.add(e.getValue().model().newestEventTimeMs());
    }
    for (KeyState s : o.touched.values()) {
      producer.send(new ProducerRecord<>(config.stateTopic(), partition, s.key().bytes(), KeyStateCodec.encode(s)));
      tally.touched.put(s.key(), s);
    }
    tally.add(o);
  }

  private void forget(String userId, Map<ModelKey, KeyState> states, int partition, Tally tally) {
    List<ModelKey> keys = states.keySet().stream().filter(k -> userId.equals(k.userId()))
        .sorted((a, b) -> a.encode().compareTo(b.encode())).collect(Collectors.toList());
    for (ModelKey k : keys) {
      producer.send(modelsRecord(partition, k.bytes(), null));
      producer.send(new ProducerRecord<>(config.stateTopic(), partition, k.bytes(), null));
      states.remove(k);
      tally.touched.remove(k);
      tally.forgotten.add(k);
    }
    log.info("forgot user '{}': {} model(s) removed", userId, keys.size());
  }

  /** A record for {@code models}, signed when a checkpoint signing key is configured ({@code value} null: tombstone). */
  private ProducerRecord<byte[], byte[]> modelsRecord(int partition, byte[] key, byte[] value) {
    ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(config.topics().models(), partition, key, value);
    if (signer != null) {
      signer.sign(rec.headers(), key, value);
    }
    return rec;
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason) {
    ProducerRecord<byte[], byte[]> dlq = new ProducerRecord<>(config.topics().batchesDlq(), null, r.key(), r.value());
    dlq.headers().add(DeadLetterHeaders.REASON, MALFORMED_REASON.getBytes(StandardCharsets.UTF_8));
    dlq.headers().add(DeadLetterHeaders.DETAIL, reason.getBytes(StandardCharsets.UTF_8));
    dlq.headers().add(DeadLetterHeaders.SOURCE_TOPIC, r.topic().getBytes(StandardCharsets.UTF_8));
    dlq.headers().add(DeadLetterHeaders.SOURCE_PARTITION,
        Integer.toString(r.partition()).getBytes(StandardCharsets.UTF_8));
    dlq.headers().add(DeadLetterHeaders.SOURCE_OFFSET, Long.toString(r.offset()).getBytes(StandardCharsets.UTF_8));
    producer.send(dlq);
    log.warn("batch record {}-{}@{} sent to {}: {}", r.topic(), r.partition(), r.offset(),
        config.topics().batchesDlq(), reason);
  }

  /**
   * The first cause in {@code e}'s chain that means "Kafka was away or restarted" rather than "this input or this code
   * is broken" (simple class name), or null. Such a transaction may or may not have committed; either way its
   * checkpoints, state and offsets went (or did not go) together, so replaying from the committed offsets is exact.
   */
  public static String transientKafkaCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RetriableException // timeouts (commit, send, metadata), disconnects, coordinator moves
          || t instanceof InvalidProducerEpochException
          || t instanceof InvalidPidMappingException
          || t instanceof TransactionAbortedException
          || t instanceof TransactionAbortableException
          || t instanceof CommitFailedException // the group generation moved on while the broker was away
          || t instanceof RebalanceInProgressException) {
        return t.getClass().getSimpleName();
      }
    }
    return null;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A transaction failed on a transient Kafka error: drop the producer (its state after a timed-out commit or abort
   * is unknown), make a new one with the same transactional id once the broker answers (initTransactions finishes or
   * aborts whatever the old one left open), and replay from the committed offsets and state.
   */
  private void retryAfterKafkaError(String cause, RuntimeException e) {
    kafkaTrouble(cause, e);
    recreateProducer();
    recoverWithRetries();
  }

  private void kafkaTrouble(String cause, Exception e) {
    if (kafkaTroubleSinceMs == 0) {
      kafkaTroubleSinceMs = System.currentTimeMillis();
    }
    kafkaTroubleCause = cause + ": " + e.getMessage();
    kafkaRetries++;
    registry.counter(KAFKA_RETRIES, "cause", cause).increment();
    metrics.aborted();
    log.warn("Kafka error ({}), replaying from the last committed offsets: {}", cause, e.toString());
  }

  private void recreateProducer() {
    if (producer != null) {
      try {
        producer.close(Duration.ZERO);
      } catch (RuntimeException closeError) {
        log.debug("closing the failed producer: {}", closeError.toString());
      }
      producer = null;
    }
    long backoff = 500;
    while (running) {
      KafkaProducer<byte[], byte[]> p =
          new KafkaProducer<>(producerProps(), new ByteArraySerializer(), new ByteArraySerializer());
      try {
        p.initTransactions();
        producer = p;
        registry.counter(PRODUCER_RECREATED).increment();
        log.info("new transactional producer {} ready", config.transactionalId());
        return;
      } catch (RetriableException | InvalidProducerEpochException | InvalidPidMappingException e) {
        p.close(Duration.ZERO);
        kafkaRetries++;
        registry.counter(KAFKA_RETRIES, "cause", e.getClass().getSimpleName()).increment();
        log.warn("cannot start a transactional producer yet ({}); retrying in {} ms", e.toString(), backoff);
        pause(backoff);
        backoff = Math.min(MAX_RETRY_BACKOFF_MS, backoff * 2);
      } catch (RuntimeException e) {
        p.close(Duration.ZERO);
        throw e;
      }
    }
    // closing: the run loop ends at its next check; nothing was sent
    throw new WakeupException();
  }

  /** {@link #recover()}, retried while Kafka is away (transient errors only; others stop after a few tries). */
  private void recoverWithRetries() {
    long backoff = 500;
    int failures = 0;
    while (running) {
      try {
        recover();
        return;
      } catch (WakeupException e) {
        throw e;
      } catch (RuntimeException e) {
        String cause = transientKafkaCause(e);
        // TopicReader gives up on its own deadline with an IllegalStateException while the broker is away
        if (cause == null && !(e instanceof IllegalStateException) || ++failures > 100) {
          throw e;
        }
        kafkaRetries++;
        registry.counter(KAFKA_RETRIES, "cause", cause == null ? e.getClass().getSimpleName() : cause).increment();
        log.warn("cannot restore from Kafka yet ({}); retrying in {} ms", e.toString(), backoff);
        pause(backoff);
        backoff = Math.min(MAX_RETRY_BACKOFF_MS, backoff * 2);
      }
    }
    throw new WakeupException();
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WakeupException();
    }
  }

  /** After an aborted transaction: forget everything uncommitted and continue from what Kafka holds. */
  private void recover() {
    buffer.clear();
    Set<TopicPartition> assigned = consumer.assignment();
    restore(assigned);
    Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(assigned);
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata om = committed.get(tp);
      if (om == null) {
        consumer.seekToBeginning(List.of(tp));
      } else {
        consumer.seek(tp, om.offset());
      }
    }
  }

  /**
   * The group's committed offsets of {@code assigned}. A read_committed consumer asks for stable offsets and waits
   * while a transactional offset commit is pending; after a broker restart that cut a transaction off, one CI run
   * saw that wait never end (the consumer's {@code committed()} timed out for minutes while the producer and the
   * state reads worked). Recovery runs right after our producer was initialised with our transactional id, which
   * fenced and completed every earlier transaction of ours, so the last stable offsets, read with an admin client on
   * fresh connections, are where to resume.
   */
  private Map<TopicPartition, OffsetAndMetadata> committedOffsets(Set<TopicPartition> assigned) {
    try {
      return consumer.committed(assigned);
    } catch (TimeoutException e) {
      log.warn("the consumer could not read the committed offsets of {} ({}); reading the stable ones with an admin "
          + "client", assigned, e.toString());
      try (Admin admin = Admin.create(clientProps())) {
        Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(config.groupId())
            .partitionsToOffsetAndMetadata().get(RESTORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
        for (TopicPartition tp : assigned) {
          mine.put(tp, all.get(tp));
        }
        return mine;
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        throw new WakeupException();
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException adminFailed) {
        e.addSuppressed(adminFailed);
        throw e;
      }
    }
  }

  /** Loads the committed state of the keys of {@code assigned} batches partitions from the learner-state topic. */
  private void restore(Collection<TopicPartition> assigned) {
    List<TopicPartition> statePartitions = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      stateByPartition.put(tp.partition(), new HashMap<>());
      statePartitions.add(new TopicPartition(config.stateTopic(), tp.partition()));
    }
    long t0 = System.nanoTime();
    int[] count = {0};
    TopicReader.readToEnd(clientProps(), statePartitions, RESTORE_TIMEOUT, r -> {
      Map<ModelKey, KeyState> states = stateByPartition.get(r.partition());
      ModelKey key = ModelKey.decode(r.key());
      if (r.value() == null) {
        states.remove(key);
      } else {
        states.put(key, KeyStateCodec.decode(r.value()));
      }
      count[0]++;
    });
    for (TopicPartition tp : assigned) {
      for (KeyState s : stateByPartition.get(tp.partition()).values()) {
        stats.put(s.key(), KeyStats.of(s));
      }
    }
    log.info("restored state of partitions {} from {} records in {} ms", assigned, count[0],
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      // Work is committed before every poll, so nothing is pending: drop the partitions' buffered records and state.
      dropPartitions(revoked);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      dropPartitions(lost);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      restore(assigned);
    }
  }

  private void dropPartitions(Collection<TopicPartition> tps) {
    buffer.drop(tps);
    for (TopicPartition tp : tps) {
      Map<ModelKey, KeyState> removed = stateByPartition.remove(tp.partition());
      if (removed != null) {
        removed.keySet().forEach(stats::remove);
      }
    }
  }

  /** Work of one transaction, applied to metrics and the read-only view only after the commit. */
  private final class Tally {
    final List<BatchLearner.Outcome> outcomes = new ArrayList<>();
    final Map<ModelKey, KeyState> touched = new LinkedHashMap<>();
    final List<ModelKey> forgotten = new ArrayList<>();
    final List<Long> newestEventMs = new ArrayList<>();
    int deadLettered;

    void add(BatchLearner.Outcome o) {
      outcomes.add(o);
    }

    void applyTo(LearnerMetrics m, long nowMs) {
      long steps = 0;
      long trainNanos = 0;
      double lossSum = 0;
      int calls = 0;
      for (BatchLearner.Outcome o : outcomes) {
        o.eventsLearned.forEach(m::eventsLearned);
        o.progressiveByDomain.forEach((d, t) -> m.progressive(d, t[0], t[1]));
        o.rejections.forEach(m::rejected);
        m.published(o.published.size());
        m.duplicates(o.duplicateBatches);
        m.rebased(o.rebased);
        m.typeMoves(o.typeMoves);
        steps += o.steps;
        trainNanos += o.trainNanos;
        lossSum += o.lossSum;
        calls += o.trainCalls;
      }
      m.training(steps, trainNanos, calls == 0 ? Double.NaN : lossSum / calls);
      for (long t : newestEventMs) {
        if (t > 0) {
          m.eventToCheckpoint(nowMs - t);
        }
      }
      for (int i = 0; i < deadLettered; i++) {
        m.deadLettered();
      }
      m.forgotten(forgotten.size());
      forgotten.forEach(stats::remove);
      for (KeyState s : touched.values()) {
        stats.put(s.key(), KeyStats.of(s));
      }
    }
  }

  /** Health: up while the processing thread runs and polls. */
  public MetricsEndpoint.Health health() {
    if (failure != null) {
      return MetricsEndpoint.Health.down("learner failed: " + failure);
    }
    if (!started || thread == null) {
      return MetricsEndpoint.Health.down("learner not started");
    }
    if (closed || !running) {
      return MetricsEndpoint.Health.down("learner stopped");
    }
    long since = System.currentTimeMillis() - lastPollMs;
    if (since > 5 * 60_000) {
      return MetricsEndpoint.Health.down("learner has not polled for " + since / 1000 + " s");
    }
    BrokerWatch watch = brokerWatch;
    if (watch != null && !watch.connected()) {
      return MetricsEndpoint.Health.degraded(watch.outage() + "; learning resumes from the committed offsets when it "
          + "answers");
    }
    long trouble = kafkaTroubleSinceMs;
    if (trouble != 0) {
      return MetricsEndpoint.Health.degraded("Kafka transactions failing since " + java.time.Instant.ofEpochMilli(trouble)
          + " (" + kafkaRetries + " retries so far, last: " + kafkaTroubleCause + "); retrying from the committed offsets");
    }
    return MetricsEndpoint.Health.up("learning on " + device + ", " + metrics.eventsTotal() + " events learned");
  }

  /** Events learned since start (committed work only). */
  public long eventsLearned() {
    return metrics.eventsTotal();
  }

  public long checkpointsPublished() {
    return metrics.checkpointsTotal();
  }

  /** Progressive accuracy over the last events of all domains (NaN before the first). */
  public double progressiveAccuracy() {
    return metrics.overallAccuracy();
  }

  public String device() {
    return device;
  }

  /** Whether the processing thread is running (false before start, after close or after a fatal error). */
  public boolean running() {
    return running;
  }

  /** The committed state of a key this instance owns. */
  public Optional<KeyStats> keyStats(String userId, String domain) {
    return Optional.ofNullable(stats.get(ModelKey.of(userId, domain)));
  }

  public Map<ModelKey, KeyStats> allKeyStats() {
    return Map.copyOf(stats);
  }

  public LearnerConfig config() {
    return config;
  }

  /** Stops consuming, waits for the processing thread (bounded), and frees the encoder and trainer. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    if (thread != null) {
      KafkaConsumer<byte[], byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      closeKafka();
    }
    closeResources();
  }

  private void closeKafka() {
    if (consumerMetrics != null) {
      consumerMetrics.close();
      consumerMetrics = null;
    }
    if (consumer != null) {
      try {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        log.debug("consumer close: {}", e.toString());
      }
      consumer = null;
    }
    if (producer != null) {
      try {
        producer.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.debug("producer close: {}", e.toString());
      }
      producer = null;
    }
  }

  private void closeResources() {
    if (thread == null || !thread.isAlive()) {
      closeKafka();
    }
    if (baseFollower != null) {
      baseFollower.close();
      baseFollower = null;
    }
    if (brokerWatch != null) {
      brokerWatch.close();
    }
    if (trainer != null) {
      trainer.close();
      trainer = null;
    }
    if (encoder != null) {
      encoder.close();
      encoder = null;
    }
  }

  private Map<String, Object> clientProps() {
    Map<String, Object> p = new HashMap<>(config.kafka());
    p.put("bootstrap.servers", config.bootstrapServers());
    return p;
  }

  private Map<String, Object> consumerProps() {
    Map<String, Object> p = clientProps();
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    // Static membership: a restarted instance takes its partitions back at once instead of waiting for the group to
    // expire its dead predecessor (a hard kill leaves no goodbye).
    p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.topics().prefix() + "learner-" + config.instanceId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.topics().prefix() + "learner-" + config.instanceId());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
    return p;
  }

  private Map<String, Object> producerProps() {
    Map<String, Object> p = clientProps();
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, config.transactionalId());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.transactionTimeout().toMillis());
    return p;
  }
}
