package io.prefstream.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The learner on a real embedded broker: learning, checkpoints, dead letters and forgetting a user. */
class LearnerServiceTest {

  @Test
  void learnsPublishesCheckpointsDeadLettersCorruptBatchesAndForgetsUsers(@TempDir Path dir) {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      String bs = broker.bootstrapServers();
      Topics topics = new Topics("svc.");
      broker.createTopics(List.of(new NewTopic(topics.batches(), 4, (short) 1)));
      List<TrainingBatch> batches = LearnerTestSupport.batches(
          LearnerTestSupport.firstPerUser(LearnerTestSupport.dspEvents(), 60), 10);
      // A corrupt record in the middle of the stream: dead-lettered, the learner keeps going.
      LearnerTestSupport.produce(bs, topics.batches(), batches.subList(0, 8));
      LearnerTestSupport.produceRaw(bs, topics.batches(), "dsp-academy".getBytes(StandardCharsets.UTF_8),
          "{\"formatVersion\":1,\"batchId\":\"x\"".getBytes(StandardCharsets.UTF_8));
      LearnerTestSupport.produce(bs, topics.batches(), batches.subList(8, batches.size()));

      LearnerConfig config = LearnerConfig.defaults(bs, dir.resolve("data")).withTopics(topics)
          .withEncoder(LearnerTestSupport.HASHING).withBase(null, LearnerTestSupport.generalData());
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (LearnerService learner = new LearnerService(config, registry)) {
        learner.start();
        LearnerTestSupport.awaitConsumed(bs, config.groupId(), topics.batches(), Duration.ofSeconds(120));
        assertThat(learner.health().up()).as(learner.health().detail()).isTrue();
        assertThat(learner.eventsLearned()).isEqualTo(240);

        Map<Integer, Map<String, byte[]>> models = LearnerTestSupport.latest(bs, topics.models(), 4);
        for (Map<String, byte[]> partition : models.values()) {
          assertThat(CheckpointCodec.decode(partition.get("base"))).isInstanceOf(BaseModel.class);
        }
        for (String style : List.of("academy", "business", "entertainment", "literature")) {
          String user = "dsp-" + style;
          byte[] bytes = models.get(UserPartitioning.partitionFor(user, 4)).get(ModelKey.of(user, style).encode());
          assertThat(bytes).as("checkpoint of %s", user).isNotNull();
          assertThat(bytes.length).isLessThanOrEqualTo(2048);
          IndividualModel m = (IndividualModel) CheckpointCodec.decode(bytes);
          assertThat(m.version()).isGreaterThanOrEqualTo(1);
          assertThat(m.eventsApplied()).isBetween(1L, 60L); // the newest version may predate the last batches if gated
          assertThat(m.baseVersion()).isEqualTo(1);
          KeyStats stats = learner.keyStats(user, style).orElseThrow();
          assertThat(stats.eventsApplied()).isEqualTo(60);
          assertThat(stats.scored()).isEqualTo(60);
          assertThat(stats.publishedVersion()).isEqualTo(m.version());
        }

        List<ConsumerRecord<byte[], byte[]>> dlq = new ArrayList<>();
        io.prefstream.learner.kafka.TopicReader.readToEnd(Map.of("bootstrap.servers", bs),
            List.of(new TopicPartition(topics.batchesDlq(), 0)), Duration.ofSeconds(30), dlq::add);
        assertThat(dlq).hasSize(1);
        assertThat(new String(dlq.get(0).headers().lastHeader(DeadLetterHeaders.REASON).value(),
            StandardCharsets.UTF_8)).isEqualTo("malformed_batch");
        assertThat(new String(dlq.get(0).headers().lastHeader(DeadLetterHeaders.DETAIL).value(),
            StandardCharsets.UTF_8)).contains("not valid JSON");
        assertThat(registry.counter("prefstream.learner.batches.dead.lettered").count()).isEqualTo(1);

        // Forget dsp-academy: its model is deleted from models (tombstone) and from the learner's state.
        LearnerTestSupport.produceRaw(bs, topics.batches(), "dsp-academy".getBytes(StandardCharsets.UTF_8), null);
        LearnerTestSupport.awaitConsumed(bs, config.groupId(), topics.batches(), Duration.ofSeconds(60));
        Map<Integer, Map<String, byte[]>> after = LearnerTestSupport.latest(bs, topics.models(), 4);
        int p = UserPartitioning.partitionFor("dsp-academy", 4);
        assertThat(after.get(p)).containsKey(ModelKey.of("dsp-academy", "academy").encode());
        assertThat(after.get(p).get(ModelKey.of("dsp-academy", "academy").encode())).isNull();
        assertThat(after.get(p).get("base")).isNotNull();
        assertThat(learner.keyStats("dsp-academy", "academy")).isEmpty();
        assertThat(learner.keyStats("dsp-business", "business")).isPresent();
        Map<Integer, Map<String, byte[]>> state = LearnerTestSupport.latest(bs, config.stateTopic(), 4);
        assertThat(state.get(p).get(ModelKey.of("dsp-academy", "academy").encode())).isNull();
      }
    }
  }
}
