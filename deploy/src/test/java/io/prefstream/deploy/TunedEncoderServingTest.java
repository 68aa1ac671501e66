package io.prefstream.deploy;

import static io.prefstream.deploy.faults.FaultTestSupport.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.deploy.faults.FaultTestSupport;
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
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A base version that carries a fine-tuned encoder (the slow-cadence path: tune offline, train a base on the tuned
 * features, start the services on it) is served end to end: the learner customizes on the tuned features and the
 * scorer ranks with exactly them, not with the pretrained encoder's.
 */
class TunedEncoderServingTest {
  private static final String USER = "tuned-user";
  private static final String DOMAIN = "literature";
  private static final Duration WAIT = Duration.ofSeconds(120);

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
      try (Stream<String> lines = Files.lines(FaultTestSupport.SHARED_DATA.resolve("general/helpful-dev.events.jsonl"))) {
        Files.write(general, lines.limit(40).toList());
      }
      BaseModelStore.save(BaseBootstrap.obtain(null, List.of(general), featurizer, 0.5f, 1L), baseDir);
    }
    assertThat(BaseModelStore.load(baseDir).encoderId()).isEqualTo(tunedId + FeatureLayout.style().suffix());

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      String bs = broker.bootstrapServers();
      Topics topics = new Topics("tuned.");
      broker.createTopics(LocalTopics.all(topics, 1));
      FaultTestSupport.produceBatches(bs, topics.batches(), batches(events));

      LearnerConfig learnerConfig = LearnerConfig.defaults(bs, dir.resolve("learner")).withTopics(topics)
          .withEncoder(spec).withBase(baseDir, List.of());
      ScorerConfig scorerConfig = ScorerConfig.defaults(bs).withTopics(topics).withEncoder(spec).withHttpPort(-1)
          .withKafkaRequests(false, "tuned-scorer").withDataDir(dir.resolve("scorer"));
      try (LearnerService learner = new LearnerService(learnerConfig, new SimpleMeterRegistry());
          ScorerService scorer = new ScorerService(scorerConfig, new SimpleMeterRegistry())) {
        learner.start();
        scorer.start();
        awaitTrue(WAIT, () -> learner.eventsLearned() == events.size(), "the learner learns every event");
        assertThat(scorer.awaitBase(Duration.ofSeconds(60))).as("the scorer accepts the tuned base").isTrue();
        byte[] newest = FaultTestSupport.latest(bs, topics.models()).get(ModelKey.of(USER, DOMAIN).encode());
        assertThat(newest).as("a checkpoint of %s/%s on %s", USER, DOMAIN, topics.models()).isNotNull();
        IndividualModel individual = (IndividualModel) CheckpointCodec.decode(newest);
        assertThat(individual.eventsApplied()).isPositive();
        PreferenceEvent e = events.get(0);
        ScoreRequest request = new ScoreRequest("r1", USER, DOMAIN, e.prompt(), List.of(e.chosen(), e.rejected()));
        awaitTrue(WAIT, () -> Long.valueOf(individual.version()).equals(scorer.score(request).model().customVersion()),
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
    for (PreferenceEvent e : FaultTestSupport.dspEvents().get(DOMAIN).subList(0, n)) {
      out.add(PreferenceEvent.of("t" + out.size(), USER, DOMAIN, e.prompt(), e.chosen(), e.rejected(), 1.0,
          1_700_000_000_000L + out.size()));
    }
    return out;
  }

  /** The events in batches of 8, as ingest would emit them. */
  private static List<TrainingBatch> batches(List<PreferenceEvent> events) {
    List<TrainingBatch> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i += 8) {
      List<PreferenceEvent> part = events.subList(i, Math.min(events.size(), i + 8));
      out.add(new TrainingBatch(USER + "/" + DOMAIN + "/" + i, USER, DOMAIN, part.get(0).timestampMs(),
          part.get(part.size() - 1).timestampMs() + 1, true, part));
    }
    return out;
  }
}
