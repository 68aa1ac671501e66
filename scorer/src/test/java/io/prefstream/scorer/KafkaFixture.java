package io.prefstream.scorer;

import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A real embedded broker with a topic set per test and a producer that publishes checkpoints as the learner does. */
public final class KafkaFixture implements AutoCloseable {
  public static final int PARTITIONS = 4;
  private final EmbeddedKafkaBroker broker;
  private final KafkaProducer<byte[], byte[]> producer;

  public KafkaFixture(Path dir) {
    broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir));
    // Not idempotent: on just-created partitions an idempotent producer can stall on OUT_OF_ORDER_SEQUENCE retries.
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
        "linger.ms", 0, "enable.idempotence", "false", "max.in.flight.requests.per.connection", 1),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  public String bootstrap() {
    return broker.bootstrapServers();
  }

  public Topics topics(String prefix) {
    Topics t = new Topics(prefix);
    broker.createTopics(t.all().stream().map(n -> {
      NewTopic nt = new NewTopic(n, PARTITIONS, (short) 1);
      return n.equals(t.models()) ? nt.configs(Map.of("cleanup.policy", "compact")) : nt;
    }).toList());
    return t;
  }

  /** The base goes to every partition, so each partition's owner sees it. */
  public void publish(Topics t, BaseModel base) {
    for (int p = 0; p < PARTITIONS; p++) {
      send(new ProducerRecord<>(t.models(), p, ModelKey.BASE.bytes(), Checkpoints.bytes(base)));
    }
  }

  public void publish(Topics t, IndividualModel m) {
    publishRaw(t, m.userId(), m.domain(), Checkpoints.bytes(m));
  }

  public void publishRaw(Topics t, String userId, String domain, byte[] value) {
    send(new ProducerRecord<>(t.models(), UserPartitioning.partitionFor(userId, PARTITIONS),
        ModelKey.of(userId, domain).bytes(), value));
  }

  public void send(ProducerRecord<byte[], byte[]> r) {
    try {
      producer.send(r).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot publish to " + r.topic(), e);
    }
  }

  public List<String> unused() {
    return List.of();
  }

  @Override
  public void close() {
    producer.close();
    broker.close();
  }
}
