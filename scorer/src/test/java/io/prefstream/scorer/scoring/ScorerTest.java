package io.prefstream.scorer.scoring;

import static io.prefstream.scorer.Checkpoints.DIM;
import static io.prefstream.scorer.Checkpoints.ENCODER;
import static io.prefstream.scorer.Checkpoints.MODEL_ENCODER_ID;
import static io.prefstream.scorer.Checkpoints.base;
import static io.prefstream.scorer.Checkpoints.bytes;
import static io.prefstream.scorer.Checkpoints.individual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.RewardModel;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.scorer.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ScorerTest {
  private final TextEncoder encoder = Encoders.open(ENCODER);
  private final PairFeaturizer featurizer = new PairFeaturizer(encoder);
  private final ModelRegistry registry = new ModelRegistry(MODEL_ENCODER_ID, DIM);
  private final List<String> candidates = List.of("Sure, here is a short answer.", "I refuse.",
      "Here is a long and detailed, friendly answer with examples.", "idk");

  @AfterEach
  void close() {
    encoder.close();
  }

  @Test
  void scoresEveryCandidateWithTheCustomizedModelAndRanksBestFirst() {
    registry.apply(ModelKey.BASE.bytes(), bytes(base(3, "dsp")));
    registry.apply(ModelKey.of("ann", "dsp").bytes(), bytes(individual("ann", "dsp", 7, 3)));
    Scorer scorer = new Scorer(registry, featurizer, Ownership.global(), 64);

    ScoreReply reply = scorer.score(new ScoreRequest("r1", "ann", "dsp", "How do I boil an egg?", candidates));

    RewardModel expected = RewardModel.of(base(3, "dsp"), "dsp", individual("ann", "dsp", 7, 3));
    for (int i = 0; i < candidates.size(); i++) {
      assertThat(reply.rewards().get(i)).isCloseTo(
          expected.reward(featurizer.features("How do I boil an egg?", candidates.get(i))),
          org.assertj.core.data.Offset.offset(1e-5));
    }
    assertThat(reply.model()).isEqualTo(new ScoreReply.ModelVersion(3, true, 7L));
    List<Integer> byReward = new ArrayList<>(List.of(0, 1, 2, 3));
    byReward.sort((a, b) -> Double.compare(reply.rewards().get(b), reply.rewards().get(a)));
    assertThat(reply.ranking()).isEqualTo(byReward);
    assertThat(reply.requestId()).isEqualTo("r1");
  }

  @Test
  void unknownUsersAndDomainsGetTheGenericModelAndTheReplySaysSo() {
    registry.apply(ModelKey.BASE.bytes(), bytes(base(3, "dsp")));
    registry.apply(ModelKey.of("ann", "dsp").bytes(), bytes(individual("ann", "dsp", 7, 3)));
    Scorer scorer = new Scorer(registry, featurizer, Ownership.global(), 64);

    ScoreReply stranger = scorer.score(new ScoreRequest("r2", "zed", "dsp", "p", candidates));
    assertThat(stranger.model()).isEqualTo(new ScoreReply.ModelVersion(3, false, null));
    RewardModel generic = RewardModel.of(base(3, "dsp"), "dsp", null);
    assertThat(stranger.rewards().get(0)).isCloseTo(generic.reward(featurizer.features("p", candidates.get(0))),
        org.assertj.core.data.Offset.offset(1e-5));

    ScoreReply otherDomain = scorer.score(new ScoreRequest("r3", "ann", "cooking", "p", candidates));
    assertThat(otherDomain.model().customized()).isFalse();
    assertThat(scorer.describe("ann", "cooking").model().hasGeneric()).isFalse();
    assertThat(scorer.describe("ann", "dsp").customized()).isTrue();
  }

  @Test
  void refusesBeforeAnyBaseTooManyCandidatesAndUsersOfOtherPartitions() {
    Scorer scorer = new Scorer(registry, featurizer, Ownership.partitioned(Set.of(0), 4), 3);
    String mine = user(0);
    String theirs = user(2);
    assertThatThrownBy(() -> scorer.score(new ScoreRequest("a", mine, "dsp", "p", candidates.subList(0, 2))))
        .isInstanceOfSatisfying(ScoringException.class, e -> assertThat(e.status()).isEqualTo(503));
    registry.apply(ModelKey.BASE.bytes(), bytes(base(1)));
    assertThatThrownBy(() -> scorer.score(new ScoreRequest("a", mine, "dsp", "p", candidates)))
        .isInstanceOfSatisfying(ScoringException.class, e -> assertThat(e.code()).isEqualTo("bad_candidates"));
    assertThatThrownBy(() -> scorer.score(new ScoreRequest("a", theirs, "dsp", "p", candidates.subList(0, 2))))
        .isInstanceOfSatisfying(ScoringException.class, e -> {
          assertThat(e.status()).isEqualTo(421);
          assertThat(e.getMessage()).contains("partition 2");
        });
    assertThat(scorer.score(new ScoreRequest("a", mine, "dsp", "p", candidates.subList(0, 2))).rewards()).hasSize(2);
  }

  @Test
  void tiesKeepRequestOrder() {
    registry.apply(ModelKey.BASE.bytes(), bytes(base(1)));
    Scorer scorer = new Scorer(registry, featurizer, Ownership.global(), 64);
    ScoreReply reply = scorer.score(new ScoreRequest("t", "u", "d", "p", Collections.nCopies(5, "same")));
    assertThat(reply.ranking()).containsExactly(0, 1, 2, 3, 4);
  }

  /** A user id in the given partition of 4. */
  static String user(int partition) {
    for (int i = 0; ; i++) {
      if (UserPartitioning.partitionFor("user-" + i, 4) == partition) {
        return "user-" + i;
      }
    }
  }
}
