package io.prefstream.protocol.producer;

import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What an app uses to publish preference events: validates each event before it leaves the process (so a
 * mistake fails at the call site, not in a dead-letter topic), keys it by userId, and sends it idempotently.
 *
 * <pre>{@code
 * try (var producer = new PreferenceEventProducer(Map.of("bootstrap.servers", "localhost:9092"), Topics.defaults())) {
 *   producer.send(PreferenceEvent.of(id, user, "support", prompt, better, worse, 1.0, now)).join();
 * }
 * }</pre>
 */
public final class PreferenceEventProducer implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  /**
   * @param clientConfig Kafka producer settings (at least {@code bootstrap.servers}; security settings go here
   *     too). Serializers are set by this class.
   */
  public PreferenceEventProducer(Map<String, ?> clientConfig, Topics topics) {
    Properties props = new Properties();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.putAll(clientConfig);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.producer = new KafkaProducer<>(props);
    this.topic = Objects.requireNonNull(topics, "topics").events();
  }

  /**
   * Sends one event. The future completes when the broker has acknowledged it.
   *
   * @throws IllegalArgumentException when the event breaks a protocol rule; the message says which
   */
  public CompletableFuture<RecordMetadata> send(PreferenceEvent event) {
    byte[] value = EventParser.toJson(event);
    ParseResult check = EventParser.parse(value, event.timestampMs());
    if (check instanceof ParseResult.Invalid invalid) {
      throw new IllegalArgumentException(
          "event " + event.eventId() + " is invalid (" + invalid.reason().code() + "): " + invalid.detail());
    }
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    producer.send(
        new ProducerRecord<>(topic, null, event.timestampMs(), event.userId().getBytes(StandardCharsets.UTF_8), value),
        (metadata, error) -> {
          if (error != null) {
            result.completeExceptionally(error);
          } else {
            result.complete(metadata);
          }
        });
    return result;
  }

  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(30));
  }
}
