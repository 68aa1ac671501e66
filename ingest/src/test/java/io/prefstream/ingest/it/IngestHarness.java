package io.prefstream.ingest.it;

import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Produces raw events and collects what ingest wrote (committed records only), for integration tests. */
final class IngestHarness implements AutoCloseable {
  /** A batch record as it sat on the topic, and when this harness read it (wall clock). */
  record BatchRecord(int partition, String key, TrainingBatch batch, long readAtMs) {}

  /** A forget-user tombstone on the batches topic. */
  record Tombstone(int partition, String key) {}

  /** A dead letter: reason and where it came from. */
  record DeadRecord(String reason, int sourcePartition, long sourceOffset, byte[] key, byte[] value) {}

  /** Where a produced record landed. */
  record Sent(int partition, long offset) {}

  private final Topics topics;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> batchConsumer;
  private final KafkaConsumer<byte[], byte[]> dlqConsumer;
  final List<BatchRecord> batches = new ArrayList<>();
  final List<Tombstone> tombstones = new ArrayList<>();
  final List<DeadRecord> dead = new ArrayList<>();

  IngestHarness(String bootstrap, Topics topics) {
    this.topics = topics;
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true,
        "linger.ms", 5, "max.request.size", 4 * 1024 * 1024), new ByteArraySerializer(), new ByteArraySerializer());
    batchConsumer = consumer(bootstrap, topics.batches());
    dlqConsumer = consumer(bootstrap, topics.eventsDlq());
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String topic) {
    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "group.id", "it-" + topic + "-" + System.nanoTime(), "auto.offset.reset", "earliest",
        "isolation.level", "read_committed", "enable.auto.commit", false), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }

  /** Sends all records and waits for every acknowledgement; returns where each landed, in order. */
  List<Sent> sendAll(List<byte[][]> keyValues) {
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    for (byte[][] kv : keyValues) {
      futures.add(producer.send(new ProducerRecord<>(topics.events(), kv[0], kv[1])));
    }
    producer.flush();
    try {
      List<Sent> out = new ArrayList<>();
      for (Future<RecordMetadata> f : futures) {
        RecordMetadata m = f.get();
        out.add(new Sent(m.partition(), m.offset()));
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot produce: " + e.getCause(), e.getCause());
    }
  }

  /** Sends without waiting for each acknowledgement; {@link #flush()} waits for all. */
  void sendAsync(byte[] key, byte[] value) {
    producer.send(new ProducerRecord<>(topics.events(), key, value));
  }

  void flush() {
    producer.flush();
  }

  /** Polls both output topics until {@code done} holds or the timeout passes. */
  void drainUntil(BooleanSupplier done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      poll();
      if (done.getAsBoolean()) {
        return;
      }
    }
  }

  /** Keeps polling for {@code quiet} to be sure nothing else arrives. */
  void drainFor(Duration quiet) {
    long deadline = System.nanoTime() + quiet.toNanos();
    while (System.nanoTime() < deadline) {
      poll();
    }
  }

  int batchedEvents() {
    return batches.stream().mapToInt(b -> b.batch().events().size()).sum();
  }

  private void poll() {
    var polled = batchConsumer.poll(Duration.ofMillis(100));
    long now = System.currentTimeMillis();
    for (ConsumerRecord<byte[], byte[]> r : polled) {
      String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
      if (r.value() == null) {
        tombstones.add(new Tombstone(r.partition(), key));
      } else {
        batches.add(new BatchRecord(r.partition(), key, TrainingBatchCodec.decode(r.value()), now));
      }
    }
    for (ConsumerRecord<byte[], byte[]> r : dlqConsumer.poll(Duration.ofMillis(50))) {
      dead.add(new DeadRecord(header(r, DeadLetterHeaders.REASON),
          Integer.parseInt(header(r, DeadLetterHeaders.SOURCE_PARTITION)),
          Long.parseLong(header(r, DeadLetterHeaders.SOURCE_OFFSET)), r.key(), r.value()));
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
    batchConsumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    dlqConsumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
