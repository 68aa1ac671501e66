package io.prefstream.scorer.kafka;

import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.score.ScoreRequestParser.InvalidRequestException;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.scorer.metrics.ScorerMetrics;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.scoring.Scorer;
import io.prefstream.scorer.scoring.ScoringException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code score-requests} on {@code scores} (keyed by requestId), on its own thread. A request that cannot be
 * read gets an error reply and a dead-letter record (original bytes, reason in headers); one that cannot be scored gets
 * an error reply. Nothing a record holds can stop the loop. Polling starts only once a base model is loaded, so early
 * requests wait in Kafka instead of failing. Offsets are committed after the replies are acknowledged (at least once;
 * scoring has no side effects, so a repeat is harmless).
 */
public final class ScoreRequestLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScoreRequestLoop.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final String requestsTopic;
  private final String scoresTopic;
  private final String dlqTopic;
  private final Set<Integer> ownedOrEmpty;
  private final Scorer scorer;
  private final ModelRegistry registry;
  private final ScorerMetrics metrics;
  private final Thread thread;
  private volatile boolean running = true;
  private boolean started;

  /** @param owned partitions of score-requests to serve; empty = join the consumer group and share them */
  public ScoreRequestLoop(Map<String, Object> kafka, String groupId, String requestsTopic, String scoresTopic,
      String dlqTopic, Set<Integer> owned, Scorer scorer, ScorerMetrics metrics) {
    Map<String, Object> c = new HashMap<>(kafka);
    c.put("group.id", groupId);
    c.put("enable.auto.commit", "false");
    c.put("auto.offset.reset", "earliest");
    c.put("isolation.level", "read_committed");
    c.putIfAbsent("max.poll.records", 200);
    this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Map<String, Object> p = new HashMap<>(kafka);
    // Not idempotent: replies are at least once anyway (a repeat is harmless, keyed by requestId), and an idempotent
    // producer can stall on OUT_OF_ORDER_SEQUENCE retries when a partition is just being created. A reply that
    // fails within the delivery timeout makes the loop answer its batch again.
    p.put("enable.idempotence", "false");
    p.put("acks", "all");
    p.putIfAbsent("delivery.timeout.ms", 30_000);
    p.putIfAbsent("request.timeout.ms", 10_000);
    p.putIfAbsent("linger.ms", 1);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.requestsTopic = requestsTopic;
    this.scoresTopic = scoresTopic;
    this.dlqTopic = dlqTopic;
    this.ownedOrEmpty = Set.copyOf(owned);
    this.scorer = scorer;
    this.registry = scorer.registry();
    this.metrics = metrics;
    this.thread = new Thread(this::run, "scorer-kafka-requests");
    thread.setDaemon(true);
  }

  public synchronized void start() {
    started = true;
    thread.start();
  }

  private void run() {
    try {
      while (running && !registry.awaitBase(200, TimeUnit.MILLISECONDS)) {
        // requests stay in Kafka until there is a model to answer them
      }
      if (!running) {
        return;
      }
      if (ownedOrEmpty.isEmpty()) {
        consumer.subscribe(List.of(requestsTopic), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.info("serving score requests of {}", partitions);
          }
        });
      } else {
        List<TopicPartition> tps = new ArrayList<>();
        List<PartitionInfo> infos = consumer.partitionsFor(requestsTopic, Duration.ofSeconds(30));
        for (int p : ownedOrEmpty) {
          if (infos == null || p >= infos.size()) {
            throw new IllegalStateException("owned partition " + p + " does not exist in " + requestsTopic);
          }
          tps.add(new TopicPartition(requestsTopic, p));
        }
        consumer.assign(tps);
      }
      while (running) {
        try {
          pollOnce();
        } catch (RetriableException | CommitFailedException | RebalanceInProgressException e) {
          // The broker is away (timeouts are retriable) or the group is rebalancing: the replies already sent stand (at least once), the
          // uncommitted requests are answered again by whoever owns them next. Keep going; Kafka clients reconnect.
          metrics.kafkaError(ScorerMetrics.CLIENT_REQUESTS);
          log.warn("score-requests loop: {}; retrying in 1 s", e.toString());
          Thread.sleep(1_000);
        }
      }
    } catch (WakeupException e) {
      // close() asked us to stop
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("the score-requests loop stopped", e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void pollOnce() {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
    if (records.isEmpty()) {
      return;
    }
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      handle(r, sends);
    }
    producer.flush();
    if (allSent(sends)) {
      consumer.commitSync();
    } else {
      // Replies were lost: answer this batch again rather than commit past it (at least once).
      for (TopicPartition tp : records.partitions()) {
        consumer.seek(tp, records.records(tp).get(0).offset());
      }
    }
  }

  private static boolean allSent(List<Future<RecordMetadata>> sends) {
    for (Future<RecordMetadata> f : sends) {
      try {
        f.get();
      } catch (ExecutionException e) {
        log.warn("a reply could not be sent; the batch will be answered again: {}", e.getCause().toString());
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private void handle(ConsumerRecord<byte[], byte[]> r, List<Future<RecordMetadata>> sends) {
    long t0 = System.nanoTime();
    String code = null;
    try {
      ScoreRequest request;
      try {
        request = ScoreRequestParser.parse(r.value());
      } catch (InvalidRequestException e) {
        code = e.code();
        sends.add(reply(e.requestId(),
            ScoreReply.failure(e.requestId(), new ScoreReply.ScoreError(e.code(), e.getMessage()))));
        sends.add(deadLetter(r, e.code(), e.getMessage()));
        return;
      }
      ScoreReply reply;
      try {
        reply = scorer.score(request);
        metrics.served(reply.model().customized());
      } catch (ScoringException e) {
        code = e.code();
        reply = ScoreReply.failure(request.requestId(), new ScoreReply.ScoreError(e.code(), e.getMessage()));
      } catch (RuntimeException | LinkageError e) {
        code = "internal_error";
        log.error("scoring request {} failed", request.requestId(), e);
        reply = ScoreReply.failure(request.requestId(), new ScoreReply.ScoreError(code, "scoring failed: " + e));
      }
      sends.add(reply(request.requestId(), reply));
    } finally {
      metrics.request(ScorerMetrics.PATH_KAFKA, System.nanoTime() - t0);
      if (code != null) {
        metrics.error(ScorerMetrics.PATH_KAFKA, code);
      }
    }
  }

  private Future<RecordMetadata> reply(String requestId, ScoreReply reply) {
    byte[] key = requestId == null ? null : requestId.getBytes(StandardCharsets.UTF_8);
    return producer.send(new ProducerRecord<>(scoresTopic, key, ScoreRequestParser.encodeReply(reply)));
  }

  private Future<RecordMetadata> deadLetter(ConsumerRecord<byte[], byte[]> r, String reason, String detail) {
    RecordHeaders h = new RecordHeaders();
    h.add(DeadLetterHeaders.REASON, reason.getBytes(StandardCharsets.UTF_8));
    h.add(DeadLetterHeaders.DETAIL, detail.getBytes(StandardCharsets.UTF_8));
    h.add(DeadLetterHeaders.SOURCE_TOPIC, r.topic().getBytes(StandardCharsets.UTF_8));
    h.add(DeadLetterHeaders.SOURCE_PARTITION, String.valueOf(r.partition()).getBytes(StandardCharsets.UTF_8));
    h.add(DeadLetterHeaders.SOURCE_OFFSET, String.valueOf(r.offset()).getBytes(StandardCharsets.UTF_8));
    return producer.send(new ProducerRecord<>(dlqTopic, null, r.key(), r.value(), h));
  }

  public boolean alive() {
    return !started || thread.isAlive();
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    if (started) {
      consumer.wakeup();
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      consumer.close(Duration.ZERO);
    }
    producer.close(Duration.ofSeconds(2));
  }
}
