package io.prefstream.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.protocol.checkpoint.CheckpointSigner;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.checkpoint.SigningKey;
import io.prefstream.protocol.topic.ModelKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With signing configured, the learner customizes only from a base it can verify, not from a newer forged one. */
class BaseBootstrapSignatureTest {
  @Test
  void anUnsignedNewerBaseIsSkippedWhenSigningIsConfigured(@TempDir Path dir) throws Exception {
    byte[] secret = new byte[32];
    new Random(7).nextBytes(secret);
    SigningKey key = new SigningKey("k1", secret);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir))) {
      broker.createTopics(List.of(new NewTopic("t.models", 1, (short) 1)));
      Map<String, Object> client = Map.of("bootstrap.servers", broker.bootstrapServers());
      byte[] baseKey = ModelKey.BASE.bytes();
      byte[] signedV1 = CheckpointCodec.encode(new BaseModel(1, "hashing-ngram-v1-d8", 16, new float[16], Map.of(), 10, 1));
      byte[] forgedV2 = CheckpointCodec.encode(new BaseModel(2, "hashing-ngram-v1-d8", 16, new float[16], Map.of(), 10, 2));
      try (KafkaProducer<byte[], byte[]> producer =
               new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()),
                   new ByteArraySerializer(), new ByteArraySerializer())) {
        ProducerRecord<byte[], byte[]> v1 = new ProducerRecord<>("t.models", 0, baseKey, signedV1);
        new CheckpointSigner(key).sign(v1.headers(), baseKey, signedV1);
        producer.send(v1).get();
        producer.send(new ProducerRecord<>("t.models", 0, baseKey, forgedV2)).get();
      }
      Duration timeout = Duration.ofSeconds(30);
      assertThat(BaseBootstrap.findPublished(client, "t.models", 1, timeout).version())
          .as("without signing the newest base wins").isEqualTo(2);
      assertThat(BaseBootstrap.findPublished(client, "t.models", 1, timeout, new CheckpointVerifier(List.of(key)))
          .version()).as("with signing the forged one is skipped").isEqualTo(1);
    }
  }
}
