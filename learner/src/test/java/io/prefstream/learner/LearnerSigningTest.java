package io.prefstream.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.learner.kafka.TopicReader;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.checkpoint.SigningKey;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code checkpoint.signing.key} set, every record the learner writes to {@code models} (the base on every
 * partition, each checkpoint, the tombstones that forget a user) carries a signature that verifies with that key
 * (and not with another).
 */
class LearnerSigningTest {
  private static final int PARTITIONS = 2;

  @Test
  void everyModelsRecordIsSignedTombstonesIncluded(@TempDir Path dir) {
    byte[] secret = new byte[32];
    new Random(42).nextBytes(secret);
    Settings settings = Settings.of(Map.of("bootstrap.servers", "unused:1",
        "checkpoint.signing.key", Base64.getEncoder().encodeToString(secret), "checkpoint.signing.key.id", "k7"));
    SigningKey key = LearnerConfig.from(settings).checkpointSigningKey();
    assertThat(key).isEqualTo(new SigningKey("k7", secret));

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      String bs = broker.bootstrapServers();
      Topics topics = new Topics("sig.");
      broker.createTopics(List.of(new NewTopic(topics.batches(), PARTITIONS, (short) 1)));
      LearnerTestSupport.produce(bs, topics.batches(), LearnerTestSupport.batches(LearnerTestSupport.firstPerUser(
          LearnerTestSupport.dspEvents(), 20).stream()
          .filter(e -> e.userId().equals("dsp-academy") || e.userId().equals("dsp-business")).toList(), 10));
      LearnerConfig config = LearnerConfig.defaults(bs, dir.resolve("data")).withTopics(topics)
          .withEncoder(LearnerTestSupport.HASHING).withBase(null, LearnerTestSupport.generalData())
          .withTraining(LearningConfig.defaults().withGate(false, 0, 0)).withCheckpointSigningKey(key);
      try (LearnerService learner = new LearnerService(config, new SimpleMeterRegistry())) {
        learner.start();
        LearnerTestSupport.awaitConsumed(bs, config.groupId(), topics.batches(), Duration.ofSeconds(120));
        LearnerTestSupport.produceRaw(bs, topics.batches(), "dsp-academy".getBytes(StandardCharsets.UTF_8), null);
        LearnerTestSupport.awaitConsumed(bs, config.groupId(), topics.batches(), Duration.ofSeconds(60));
      }

      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        tps.add(new TopicPartition(topics.models(), p));
      }
      TopicReader.readToEnd(Map.of("bootstrap.servers", bs), tps, Duration.ofSeconds(30), records::add);
      long bases = records.stream().filter(r -> ModelKey.decode(r.key()).isBase()).count();
      long tombstones = records.stream().filter(r -> r.value() == null).count();
      assertThat(bases).as("the base on every partition").isEqualTo(PARTITIONS);
      assertThat(tombstones).as("dsp-academy forgotten").isEqualTo(1);
      assertThat(records.size() - bases - tombstones).as("checkpoints").isGreaterThanOrEqualTo(2);

      CheckpointVerifier trusting = new CheckpointVerifier(List.of(key));
      byte[] other = secret.clone();
      other[0] ^= 1;
      CheckpointVerifier otherKey = new CheckpointVerifier(List.of(new SigningKey("k7", other)));
      for (ConsumerRecord<byte[], byte[]> r : records) {
        String what = ModelKey.decode(r.key()).encode() + (r.value() == null ? " (tombstone)" : "");
        assertThat(trusting.verify(r.key(), r.value(), r.headers())).as(what).isEqualTo(CheckpointVerifier.Verdict.VALID);
        assertThat(otherKey.verify(r.key(), r.value(), r.headers())).as(what)
            .isEqualTo(CheckpointVerifier.Verdict.BAD_SIGNATURE);
      }
    }
  }

  @Test
  void aBadKeyIsAConfigErrorThatNamesTheSettingButNotTheKey() {
    String shortKey = Base64.getEncoder().encodeToString(new byte[20]);
    assertThatThrownBy(() -> LearnerConfig.from(Settings.of(Map.of("bootstrap.servers", "x:1",
        "checkpoint.signing.key", shortKey))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("checkpoint.signing.key")
        .hasMessageContaining("20 bytes").hasMessageNotContaining(shortKey);
    assertThat(LearnerConfig.from(Settings.of(Map.of("bootstrap.servers", "x:1"))).checkpointSigner()).isNull();
  }
}
