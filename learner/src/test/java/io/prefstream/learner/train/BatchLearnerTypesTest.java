package io.prefstream.learner.train;

import static io.prefstream.learner.train.TestVectors.gaussian;
import static io.prefstream.learner.train.TestVectors.plus;
import static io.prefstream.learner.train.TestVectors.minus;
import static io.prefstream.learner.train.TestVectors.dot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.learner.LearningConfig;
import io.prefstream.learner.state.KeyState;
import io.prefstream.learner.state.KeyStateCodec;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.model.train.TrainerConfig;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.ModelKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * User types in the learner (P-RLHF's cluster-based user model): a young key moves to the type its events favour,
 * keeping its own part, and then learns exactly as if that type were its generic part.
 */
class BatchLearnerTypesTest {
  private static final String DOMAIN = "academy";
  private static final String CAREFUL = "a careful, well sourced answer about topic ";
  private static final String CASUAL = "lol whatever, no idea mate ";

  private TextEncoder encoder;
  private BatchedIndividualTrainer trainer;
  private PairFeaturizer featurizer;
  private int dim;
  private BaseModel base;
  /** Type 0 likes careful answers, type 1 casual ones. */
  private float[] careful;

  @BeforeEach
  void setUp() {
    encoder = Encoders.open("hashing-ngram-v1-d256");
    trainer = new BatchedIndividualTrainer(LearningConfig.defaults().trainer());
    featurizer = new PairFeaturizer(encoder);
    dim = featurizer.dimension();
    Random rnd = new Random(3);
    float[] head = gaussian(rnd, dim, 0.01f);
    float[] generic = gaussian(rnd, dim, 0.01f);
    // the type's direction: the mean feature difference of careful-over-casual pairs, scaled so that it is worth
    // ~0.4 of reward gap on such a pair (one event alone is not enough evidence to move a key, eight are)
    float[] mean = new float[dim];
    int n = 64;
    for (int i = 0; i < n; i++) {
      float[] d = diff(CAREFUL + (1000 + i), CASUAL + (1000 + i));
      for (int j = 0; j < dim; j++) {
        mean[j] += d[j] / n;
      }
    }
    double norm2 = 0;
    for (float v : mean) {
      norm2 += v * v;
    }
    careful = new float[dim];
    float[] casual = new float[dim];
    for (int j = 0; j < dim; j++) {
      careful[j] = (float) (0.4 * mean[j] / norm2);
      casual[j] = -careful[j];
    }
    base = new BaseModel(1, featurizer.encoderId(), dim, head, Map.of(DOMAIN, generic), 10, 1L, List.of(),
        Map.of(DOMAIN, List.of(careful, casual)));
  }

  @AfterEach
  void tearDown() {
    trainer.close();
    encoder.close();
  }

  @Test
  void aYoungKeyMovesToTheTypeItsEventsFavourAndKeepsItsOwnPart() {
    BatchLearner learner = learner(base, LearningConfig.defaults());
    Map<ModelKey, KeyState> states = new HashMap<>();
    BatchLearner.Outcome first = learner.learn(List.of(batch("fan-careful", "c1", 0, 8, true),
        batch("fan-casual", "k1", 0, 8, false)), fresh(states), 5L);
    assertThat(first.typeMoves).isEqualTo(2);
    KeyState fanCareful = states.get(ModelKey.of("fan-careful", DOMAIN));
    KeyState fanCasual = states.get(ModelKey.of("fan-casual", DOMAIN));
    assertThat(fanCareful.typeAnchor()).isEqualTo(0);
    assertThat(fanCasual.typeAnchor()).isEqualTo(1);
    // its published model now holds the type: the casual fan's model prefers casual answers on pairs it never saw
    float[] served = plus(base.frozen(DOMAIN), first.published.get(ModelKey.of("fan-casual", DOMAIN)).model().weights());
    for (int i = 0; i < 16; i++) {
      assertThat(dot(served, diff(CASUAL + (5000 + i), CAREFUL + (5000 + i)))).isPositive();
    }

    // the state (anchor and evidence) survives its record, and the key goes on bit-identically
    KeyState copy = KeyStateCodec.decode(KeyStateCodec.encode(fanCareful));
    assertThat(copy.typeAnchor()).isEqualTo(0);
    assertThat(copy.typeEvidence(3)).containsExactly(fanCareful.typeEvidence(3));
    Map<ModelKey, KeyState> copies = new HashMap<>(Map.of(copy.key(), copy));
    learner.learn(List.of(batch("fan-careful", "c2", 8, 8, true)), states::get, 6L);
    learner.learn(List.of(batch("fan-careful", "c2", 8, 8, true)), copies::get, 6L);
    assertThat(copy.working()).containsExactly(fanCareful.working());
  }

  @Test
  void anAnchoredKeyTrainsAsIfItsTypeWereTheGenericPartWithTheTypePull() {
    Map<ModelKey, KeyState> withTypes = new HashMap<>();
    BatchLearner learner = learner(base, LearningConfig.defaults());
    learner.learn(List.of(batch("u", "b1", 0, 8, true)), fresh(withTypes), 5L);
    KeyState s = withTypes.get(ModelKey.of("u", DOMAIN));
    assertThat(s.typeAnchor()).isEqualTo(0);
    float[] ownBefore = minus(s.working(), careful);
    learner.learn(List.of(batch("u", "b2", 8, 8, true)), withTypes::get, 6L);

    // the same key on a base whose generic part is generic + type 0 and that has no types
    Map<String, float[]> merged = Map.of(DOMAIN, plus(base.generic(DOMAIN), careful));
    BaseModel typeAsGeneric = new BaseModel(1, base.encoderId(), dim, base.weights(), merged, 10, 1L);
    KeyState twin = KeyState.fresh("u", DOMAIN, dim, 100);
    twin.setWorking(ownBefore);
    twin.rebase(1, null);
    twin.countEvents(8, 0);
    for (int i = 0; i < 8; i++) {
      twin.nextEnrichment();
    }
    // ... trained with the pull an anchored key's own part gets
    TrainerConfig t = LearningConfig.defaults().trainer();
    LearningConfig twinConfig = LearningConfig.defaults().withTrainer(new TrainerConfig(t.learningRate(),
        t.stepsPerBatch(), LearningConfig.defaults().typePull(), t.marginScale(), t.enrichmentWeight()));
    try (BatchedIndividualTrainer twinTrainer = new BatchedIndividualTrainer(twinConfig.trainer())) {
      new BatchLearner(typeAsGeneric, featurizer, twinTrainer, EnrichmentPool.empty(), twinConfig)
          .learn(List.of(batch("u", "b2", 8, 8, true)), k -> twin, 6L);
    }
    float[] own = minus(s.working(), careful);
    for (int i = 0; i < dim; i++) {
      assertThat(own[i]).isCloseTo(twin.working()[i], within(1e-5f));
    }
  }

  @Test
  void oneEventIsNotEnoughToMoveAndASettledKeyStaysPut() {
    BatchLearner learner = learner(base, LearningConfig.defaults().withTypeSettleEvents(8));
    Map<ModelKey, KeyState> states = new HashMap<>();
    BatchLearner.Outcome one = learner.learn(List.of(batch("u", "b1", 0, 1, true)), fresh(states), 5L);
    assertThat(one.typeMoves).as("one event is under the %s-nat threshold", BatchLearner.TYPE_SWITCH_NATS)
        .isZero();
    KeyState s = states.get(ModelKey.of("u", DOMAIN));
    assertThat(s.typeAnchor()).isEqualTo(KeyState.NO_TYPE);
    learner.learn(List.of(batch("u", "b2", 1, 7, true)), states::get, 6L);
    assertThat(s.typeAnchor()).isEqualTo(0);
    // past the settling window, even a run of the other taste's events does not move it
    BatchLearner.Outcome later = learner.learn(List.of(batch("u", "b3", 8, 32, false)), states::get, 7L);
    assertThat(later.typeMoves).isZero();
    assertThat(s.typeAnchor()).isEqualTo(0);

    // types switched off: nothing moves
    Map<ModelKey, KeyState> off = new HashMap<>();
    BatchLearner.Outcome none = learner(base, LearningConfig.defaults().withTypeSettleEvents(0))
        .learn(List.of(batch("u", "b1", 0, 16, true)), fresh(off), 5L);
    assertThat(none.typeMoves).isZero();
    assertThat(off.get(ModelKey.of("u", DOMAIN)).typeAnchor()).isEqualTo(KeyState.NO_TYPE);
  }

  @Test
  void onANewBaseVersionAKeyIsReadAsTheNearestNewTypeWithoutAJump() {
    BatchLearner learner = learner(base, LearningConfig.defaults());
    Map<ModelKey, KeyState> states = new HashMap<>();
    learner.learn(List.of(batch("u", "b1", 0, 8, true)), fresh(states), 5L);
    KeyState s = states.get(ModelKey.of("u", DOMAIN));
    assertThat(s.typeAnchor()).isEqualTo(0);
    float[] modelBefore = plus(base.frozen(DOMAIN), s.working());
    // v2 lists the types the other way round (as a refit that found them in another order would)
    BaseModel v2 = base.successor(base.genericByDomain(), Map.of(DOMAIN, List.of(base.types(DOMAIN).get(1),
        base.types(DOMAIN).get(0))), 4, 9L);
    assertThat(learner(v2, LearningConfig.defaults()).rebase(s)).isTrue();
    assertThat(s.typeAnchor()).as("the careful type is number 1 now").isEqualTo(1);
    float[] modelAfter = plus(v2.frozen(DOMAIN), s.working());
    for (int i = 0; i < dim; i++) {
      assertThat(modelAfter[i]).isCloseTo(modelBefore[i], within(1e-6f));
    }
    assertThat(s.typeEvidence(3)).as("evidence against v1's types is dropped").containsOnly(0f);
  }

  private BatchLearner learner(BaseModel b, LearningConfig config) {
    return new BatchLearner(b, featurizer, trainer, EnrichmentPool.empty(), config);
  }

  private java.util.function.Function<ModelKey, KeyState> fresh(Map<ModelKey, KeyState> states) {
    return k -> states.computeIfAbsent(k, key -> KeyState.fresh(key.userId(), key.domain(), dim, 100));
  }

  private float[] diff(String chosen, String rejected) {
    return minus(featurizer.features("", chosen), featurizer.features("", rejected));
  }

  private static TrainingBatch batch(String user, String id, int from, int n, boolean likesCareful) {
    List<PreferenceEvent> events = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      String a = CAREFUL + i;
      String b = CASUAL + i;
      events.add(PreferenceEvent.of(user + "-e" + i, user, DOMAIN, "question " + i, likesCareful ? a : b,
          likesCareful ? b : a, 1.0, 1_000L + i));
    }
    return new TrainingBatch(user + "/" + id, user, DOMAIN, 1_000L + from, 1_000L + from + n, true, events);
  }
}
