package io.prefstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

  @Test
  void servesTransactionsAndKeepsDataAcrossARestart(@TempDir Path dir) {
    BrokerConfig config = BrokerConfig.defaults(dir.resolve("kafka"));
    int port;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config)) {
      port = Integer.parseInt(broker.bootstrapServers().split(":")[1]);
      broker.createTopics(List.of(new NewTopic("t", 2, (short) 1)));
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          "bootstrap.servers", broker.bootstrapServers(), "transactional.id", "tx-test"),
          new StringSerializer(), new StringSerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>("t", "k" + i, "v" + i));
        }
        producer.commitTransaction();
      }
      assertThat(readAll(broker.bootstrapServers())).hasSize(10);
    }
    // Same folder, same port: the committed records are still there.
    try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(config.withPort(port))) {
      List<String> values = readAll(again.bootstrapServers());
      assertThat(values).hasSize(10).contains("v0", "v9");
    }
  }

  private static List<String> readAll(String bootstrap) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        "bootstrap.servers", bootstrap, "group.id", "g-" + System.nanoTime(), "auto.offset.reset", "earliest",
        "isolation.level", "read_committed"), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("t"));
      long deadline = System.currentTimeMillis() + 30_000;
      while (out.size() < 10 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }
}
