package io.prefstream.model.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardModelTest {
  private final BaseModel base = new BaseModel(3, "hashing-ngram-v1-d2", 3, new float[] {1, 0, 0},
      Map.of("poetry", new float[] {0, 2, 0}), 10, 0);
  private final float[] f = {1, 1, 1};

  @Test
  void unknownDomainScoresWithTheBaseAlone() {
    RewardModel m = RewardModel.of(base, "law", null);
    assertThat(m.reward(f)).isEqualTo(1f);
    assertThat(m.hasGeneric()).isFalse();
    assertThat(m.customized()).isFalse();
    assertThat(m.individualVersion()).isEqualTo(-1);
    assertThat(m.baseVersion()).isEqualTo(3);
  }

  @Test
  void newUserInAKnownDomainGetsTheGenericPart() {
    RewardModel m = RewardModel.of(base, "poetry", null);
    assertThat(m.reward(f)).isEqualTo(3f);
    assertThat(m.hasGeneric()).isTrue();
    assertThat(m.customized()).isFalse();
  }

  @Test
  void knownUserAddsTheIndividualPart() {
    IndividualModel u = new IndividualModel("ann", "poetry", 7, 3, new float[] {0, 0, -4}, 5, 20, 99, 1);
    RewardModel m = RewardModel.of(base, "poetry", u);
    assertThat(m.reward(f)).isEqualTo(-1f);
    assertThat(m.reward(new float[] {0.5f, 0.25f, 0.1f})).isCloseTo(0.5f + 0.5f - 0.4f, within(1e-6f));
    assertThat(m.customized()).isTrue();
    assertThat(m.individualVersion()).isEqualTo(7);
  }

  @Test
  void theModelDoesNotChangeWhenInputsAreModifiedLater() {
    float[] w = {1, 1, 1};
    IndividualModel u = new IndividualModel("ann", "poetry", 1, 3, w, 1, 1, 1, 1);
    RewardModel m = RewardModel.of(base, "poetry", u);
    w[0] = 100;
    assertThat(m.reward(f)).isEqualTo(6f);
  }

  @Test
  void mismatchesAreRefusedWithTheOffendingValues() {
    IndividualModel wrongDim = new IndividualModel("ann", "poetry", 1, 3, new float[] {1, 2}, 1, 1, 1, 1);
    assertThatThrownBy(() -> RewardModel.of(base, "poetry", wrongDim)).hasMessageContaining("dimension 2")
        .hasMessageContaining("featureDim 3");
    IndividualModel otherDomain = new IndividualModel("ann", "law", 1, 3, new float[3], 1, 1, 1, 1);
    assertThatThrownBy(() -> RewardModel.of(base, "poetry", otherDomain)).hasMessageContaining("law");
    assertThatThrownBy(() -> RewardModel.of(base, "poetry", null).reward(new float[2]))
        .hasMessageContaining("dimension 2");
    assertThatThrownBy(() -> new BaseModel(1, "e", 3, new float[2], Map.of(), 0, 0))
        .hasMessageContaining("featureDim=3");
  }
}
