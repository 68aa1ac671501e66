package io.prefstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.learner.BaseBootstrap;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.local.LocalTopics;
import io.prefstream.model.bert.MiniLmEncoder;
import io.prefstream.model.bert.TunedEncoderStore;
import io.prefstream.model.bert.TunedTop;
import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.FeatureLayout;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.RewardModel;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A base version that carries a fine-tuned encoder (the slow-cadence path: tune offline, train a base on the tuned
 * features, start the services on it) is served end to end: the learner customizes on the tuned features and the
 * scorer ranks with exactly them, not with the pretrained encoder's.
 */
class TunedEncoderServingTest {
  private static final Path DATA = Path.of(System.getProperty("prefstream.data.dir", "../shared/data"));
  private static final String USER = "tuned-user";
  private static final String DOMAIN = "literature";

  @Test
  void theLearnerAndTheScorerRunOnABaseWithAFineTunedEncoder(@TempDir Path dir) throws Exception {
    // A tuned top layer that differs from the pretrained one, so serving the wrong encoder would show.
    Path encoderDir = dir.resolve("tuned-encoder");
    String tunedId;
    try (MiniLmEncoder pretrained = MiniLmEncoder.pretrained(Device.cpu());
        TunedTop top = TunedTop.copyOf(pretrained.block(), 1, pretrained.manager())) {
      for (Parameter p : top.parameters()) {
        p.getArray().muli(1.05f);
      }
      tunedId = TunedEncoderStore.save(encoderDir, top);
    }
    String spec = "tuned:" + encoderDir;
    List<PreferenceEvent> events = dspEvents(24);

    Path baseDir = dir.resolve("base");
    try (TextEncoder encoder = Encoders.open(spec)) {
      PairFeaturizer featurizer = new PairFeaturizer(encoder);
      Path general = dir.resolve("general.jsonl");
      try (Stream<String> lines = Files.lines(DATA.resolve("general/helpful-dev.events.jsonl"))) {
        Files.write(general, lines.limit(40).toList());
      }
      BaseModelStore.save(BaseBootstrap.obtain(null, List.of(general), featurizer, 0.5f, 1L), baseDir);
    }
    assertThat(BaseModelStore.load(baseDir).encoderId()).isEqualTo(tunedId + FeatureLayout.style().suffix());

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      String bs = broker.bootstrapServers();
      Topics topics = new Topics("tuned.");
      broker.createTopics(LocalTopics.all(topics, 1));
      produce(bs, topics.batches(), events);

      LearnerConfig learnerConfig = LearnerConfig.defaults(bs, dir.resolve("learner")).withTopics(topics)
          .withEncoder(spec).withBase(baseDir, List.of());
      ScorerConfig scorerConfig = ScorerConfig.defaults(bs).withTopics(topics).withEncoder(spec).withHttpPort(-1)
          .withKafkaRequests(false, "tuned-scorer").withDataDir(dir.resolve("scorer"));
      try (LearnerService learner = new LearnerService(learnerConfig, new SimpleMeterRegistry());
          ScorerService scorer = new ScorerService(scorerConfig, new SimpleMeterRegistry())) {
        learner.start();
        scorer.start();
        awaitTrue(() -> learner.eventsLearned() == events.size(), "the learner learns every event");
        assertThat(scorer.awaitBase(Duration.ofSeconds(60))).as("the scorer accepts the tuned base").isTrue();
        IndividualModel individual = latestIndividual(bs, topics.models());
        assertThat(individual.eventsApplied()).isPositive();
        PreferenceEvent e = events.get(0);
        ScoreRequest request = new ScoreRequest("r1", USER, DOMAIN, e.prompt(), List.of(e.chosen(), e.rejected()));
        awaitTrue(() -> Long.valueOf(individual.version()).equals(scorer.score(request).model().customVersion()),
            "the scorer serves the newest checkpoint v" + individual.version());
        assertThat(scorer.modelsLoaded()).isEqualTo(1);
        assertThat(scorer.checkpointsRefused()).isZero();
        ScoreReply reply = scorer.score(request);
        assertThat(reply.error()).isNull();
        assertThat(reply.model().customized()).isTrue();
        BaseModel base = BaseModelStore.load(baseDir);
        RewardModel model = RewardModel.of(base, DOMAIN, individual);
        try (TextEncoder tuned = Encoders.open(spec); TextEncoder pretrained = Encoders.open(Encoders.MINILM)) {
          PairFeaturizer withTuned = new PairFeaturizer(tuned);
          PairFeaturizer withPretrained = new PairFeaturizer(pretrained);
          double maxGapToPretrained = 0;
          for (int i = 0; i < 2; i++) {
            String candidate = i == 0 ? e.chosen() : e.rejected();
            assertThat(reply.rewards().get(i)).as("reward %d from the tuned features", i)
                .isCloseTo(model.reward(withTuned.features(e.prompt(), candidate)),
                    within(1e-5));
            maxGapToPretrained = Math.max(maxGapToPretrained,
                Math.abs(reply.rewards().get(i) - model.reward(withPretrained.features(e.prompt(), candidate))));
          }
          assertThat(maxGapToPretrained).as("the pretrained encoder would score differently").isGreaterThan(1e-4);
        }
      }
    }
  }

  /** The first {@code n} events of the DSP literature user, re-keyed to {@link #USER}. */
  private static List<PreferenceEvent> dspEvents(int n) throws java.io.IOException {
    List<PreferenceEvent> out = new ArrayList<>();
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    try (Stream<String> lines = Files.lines(DATA.resolve("dsp/dsp-dev.events.jsonl"))) {
      for (String line : (Iterable<String>) lines::iterator) {
        var node = json.readTree(line);
        if (DOMAIN.equals(node.path("domain").asText())) {
          out.add(PreferenceEvent.of("t" + out.size(), USER, DOMAIN, node.path("prompt").asText(),
              node.path("chosen").asText(), node.path("rejected").asText(), 1.0, 1_700_000_000_000L + out.size()));
          if (out.size() == n) {
            break;
          }
        }
      }
    }
    return out;
  }

  private static void produce(String bs, String topic, List<PreferenceEvent> events) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bs, "acks", "all"),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < events.size(); i += 8) {
        List<PreferenceEvent> part = events.subList(i, Math.min(events.size(), i + 8));
        TrainingBatch b = new TrainingBatch(USER + "/" + DOMAIN + "/" + i, USER, DOMAIN, part.get(0).timestampMs(),
            part.get(part.size() - 1).timestampMs() + 1, true, part);
        p.send(new ProducerRecord<>(topic, USER.getBytes(StandardCharsets.UTF_8), TrainingBatchCodec.encode(b))).get();
      }
    }
  }

  private static IndividualModel latestIndividual(String bs, String topic) {
    IndividualModel latest = null;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bs,
        "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      String key = ModelKey.of(USER, DOMAIN).encode();
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() != null && key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
            latest = (IndividualModel) CheckpointCodec.decode(r.value());
          }
        }
      }
    }
    assertThat(latest).as("a checkpoint of %s/%s on %s", USER, DOMAIN, topic).isNotNull();
    return latest;
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
