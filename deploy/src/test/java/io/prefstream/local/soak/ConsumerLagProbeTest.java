package io.prefstream.local.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lag the soak benchmark reports is what the group has committed versus what the topic holds, on a real broker. */
class ConsumerLagProbeTest {
  @Test
  void lagIsTheRecordsAGroupHasNotCommittedYet(@TempDir Path dir) throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir))) {
      broker.createTopics(List.of(new NewTopic("lag-test", 2, (short) 1)));
      Properties p = new Properties();
      p.put("bootstrap.servers", broker.bootstrapServers());
      try (KafkaProducer<byte[], byte[]> producer =
               new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>("lag-test", i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
      }
      Properties c = new Properties();
      c.put("bootstrap.servers", broker.bootstrapServers());
      c.put("group.id", "lag-group");
      try (KafkaConsumer<byte[], byte[]> consumer =
               new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
           ConsumerLagProbe probe = new ConsumerLagProbe(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        consumer.assign(List.of(new TopicPartition("lag-test", 0), new TopicPartition("lag-test", 1)));
        // 50 records per partition: commit 30 of partition 0 and 50 of partition 1 -> 20 behind
        consumer.commitSync(Map.of(new TopicPartition("lag-test", 0), new OffsetAndMetadata(30),
            new TopicPartition("lag-test", 1), new OffsetAndMetadata(50)), Duration.ofSeconds(10));
        assertThat(probe.lagByGroup()).containsEntry("lag-group", 20L);
      }
    }
  }
}
