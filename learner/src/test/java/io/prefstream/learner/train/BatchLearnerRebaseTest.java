package io.prefstream.learner.train;

import static io.prefstream.learner.train.TestVectors.gaussian;
import static io.prefstream.learner.train.TestVectors.plus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.learner.LearningConfig;
import io.prefstream.learner.state.KeyState;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.ModelKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A key trained on one base version moves onto the next without its model's scores changing. */
class BatchLearnerRebaseTest {
  private static final String ENCODER = "hashing-ngram-v1-d256";

  @Test
  void aKeyMovesOntoANewerBaseWithItsScoresUnchanged() {
    try (TextEncoder encoder = Encoders.open(ENCODER);
        BatchedIndividualTrainer trainer = new BatchedIndividualTrainer(LearningConfig.defaults().trainer())) {
      PairFeaturizer featurizer = new PairFeaturizer(encoder);
      int dim = featurizer.dimension();
      Random rnd = new Random(5);
      BaseModel v1 = new BaseModel(1, featurizer.encoderId(), dim, gaussian(rnd, dim, 0.1f),
          Map.of("academy", gaussian(rnd, dim, 0.1f)), 10, 1L);
      BatchLearner onV1 = new BatchLearner(v1, featurizer, trainer, EnrichmentPool.empty(), LearningConfig.defaults());
      Map<ModelKey, KeyState> states = new HashMap<>();
      BatchLearner.Outcome first = onV1.learn(List.of(batch("b1", 0, 24)), k -> states.computeIfAbsent(k,
          key -> KeyState.fresh(key.userId(), key.domain(), dim, 100)), 1L);
      KeyState s = states.get(ModelKey.of("u", "academy"));
      assertThat(s.baseVersion()).isEqualTo(1);
      assertThat(s.published()).as("a checkpoint was published on v1").isNotNull();
      IndividualModel decoded = (IndividualModel) CheckpointCodec.decode(
          first.published.get(ModelKey.of("u", "academy")).bytes());
      assertThat(s.published()).as("the gate's current model is what the scorer decodes").containsExactly(
          decoded.weights());
      float[] effectiveBefore = plus(v1.frozen("academy"), s.working());
      float[] servedBefore = plus(v1.frozen("academy"), s.published());

      BaseModel v2 = v1.successor(Map.of("academy", gaussian(rnd, dim, 0.3f)), 4, 2L);
      BatchLearner onV2 = new BatchLearner(v2, featurizer, trainer, EnrichmentPool.empty(), LearningConfig.defaults());
      assertThat(onV2.rebase(s)).isTrue();
      assertThat(s.baseVersion()).isEqualTo(2);
      float[] effectiveAfter = plus(v2.frozen("academy"), s.working());
      float[] servedAfter = plus(v2.frozen("academy"), s.published());
      for (int i = 0; i < dim; i++) {
        assertThat(effectiveAfter[i]).isCloseTo(effectiveBefore[i], within(1e-6f));
        assertThat(servedAfter[i]).isCloseTo(servedBefore[i], within(1e-6f));
      }
      assertThat(onV2.rebase(s)).as("already on v2").isFalse();

      // training on v2 publishes checkpoints that name v2
      BatchLearner.Outcome o = onV2.learn(List.of(batch("b2", 24, 24)), states::get, 3L);
      assertThat(o.rebased).isZero();
      assertThat(o.published.get(ModelKey.of("u", "academy")).model().baseVersion()).isEqualTo(2);

      // a version the base no longer keeps: the part stays as it is, a residual on the newest generic model
      BaseModel v3 = new BaseModel(3, featurizer.encoderId(), dim, v2.weights(), v2.genericByDomain(), 10, 3L);
      float[] working = s.working().clone();
      assertThat(new BatchLearner(v3, featurizer, trainer, EnrichmentPool.empty(), LearningConfig.defaults())
          .rebase(s)).isFalse();
      assertThat(s.baseVersion()).isEqualTo(3);
      assertThat(s.working()).containsExactly(working);
    }
  }

  private static TrainingBatch batch(String id, int from, int n) {
    List<PreferenceEvent> events = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      events.add(PreferenceEvent.of("e" + i, "u", "academy", "question " + i,
          "a careful, well sourced answer about topic " + i, "lol whatever " + i, 1.0, 1_000L + i));
    }
    return new TrainingBatch(id, "u", "academy", 1_000L + from, 1_000L + from + n, true, events);
  }
}
