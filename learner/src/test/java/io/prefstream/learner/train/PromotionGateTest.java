package io.prefstream.learner.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.learner.state.HeldPair;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromotionGateTest {
  private final List<HeldPair> held = List.of(new HeldPair(new float[] {1, 0}, 0.5f),
      new HeldPair(new float[] {0, 1}, 0.5f), new HeldPair(new float[] {1, 1}, 0.5f));

  @Test
  void acceptsACandidateThatIsNotWorse() {
    PromotionGate.Decision d = new PromotionGate(true, 0, 0.05).judge(new float[] {2, 2}, new float[] {1, -1}, held);
    assertThat(d.accepted()).isTrue();
    assertThat(d.candidateAccuracy()).isEqualTo(1.0);
    assertThat(d.currentAccuracy()).isLessThan(1.0);
  }

  @Test
  void rejectsWorseAccuracyAndWorseLossWithTheirReasons() {
    PromotionGate gate = new PromotionGate(true, 0, 0.05);
    assertThat(gate.judge(new float[] {1, -1}, new float[] {2, 2}, held).reason())
        .isEqualTo(PromotionGate.ACCURACY_WORSE);
    // Same accuracy (all right), but much smaller gaps: the loss is worse.
    assertThat(gate.judge(new float[] {0.1f, 0.1f}, new float[] {5, 5}, held).reason())
        .isEqualTo(PromotionGate.LOSS_WORSE);
    assertThat(gate.judge(new float[] {Float.NaN, 1}, new float[] {5, 5}, held).reason())
        .isEqualTo(PromotionGate.NON_FINITE);
  }

  @Test
  void withoutHeldBackPairsOrWhenDisabledEverythingFinitePasses() {
    assertThat(new PromotionGate(true, 0, 0).judge(new float[] {-9, -9}, new float[] {1, 1}, List.of()).accepted())
        .isTrue();
    assertThat(new PromotionGate(false, 0, 0).judge(new float[] {-9, -9}, new float[] {1, 1}, held).accepted())
        .isTrue();
  }

  private static List<HeldPair> axisPairs(int n) {
    // pair i prefers +x when i is even, +y when odd; a weight (a, b) gets pair i right iff its coordinate is > 0
    List<HeldPair> pairs = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      pairs.add(new HeldPair(i % 2 == 0 ? new float[] {1, 0} : new float[] {0, 1}, 0f));
    }
    return pairs;
  }

  @Test
  void aSingleFlippedPairOfSixteenIsNoiseButAConsistentLossIsNot() {
    List<HeldPair> sixteen = new java.util.ArrayList<>(axisPairs(15));
    sixteen.add(new HeldPair(new float[] {-1, 1}, 0f)); // right for the current version (y > x), wrong for the candidate
    float[] current = {0.5f, 1f};
    float[] candidate = {1f, 0.5f};
    // with tolerances of zero, one flip refuses: that is what held the demo's models back
    assertThat(new PromotionGate(true, 0, 10, 0).judge(candidate, current, sixteen).reason())
        .isEqualTo(PromotionGate.ACCURACY_WORSE);
    // one disagreement is no evidence: c - b = 1 < 1.645 * sqrt(1)
    assertThat(new PromotionGate(true, 0, 10, 1.645).judge(candidate, current, sixteen).accepted()).isTrue();
  }

  @Test
  void aCandidateWrongOnManyPairsTheCurrentGetsRightIsRefusedEvenWithTheNoiseTerm() {
    List<HeldPair> sixteen = axisPairs(16);
    float[] current = {1, 1};     // all 16 right
    float[] candidate = {1, -1};  // the 8 odd pairs wrong: c = 8, b = 0, 8 > 1.645 * sqrt(8) = 4.65
    PromotionGate.Decision d = new PromotionGate(true, 0.07, 0.2, 1.645).judge(candidate, current, sixteen);
    assertThat(d.accepted()).isFalse();
    assertThat(d.reason()).isEqualTo(PromotionGate.ACCURACY_WORSE);
    assertThat(d.candidateAccuracy()).isEqualTo(0.5);
  }

  @Test
  void aLossIncreaseMustBeBothOverTheToleranceAndOverItsNoise() {
    List<HeldPair> sixteen = axisPairs(16);
    float[] current = {4, 4};
    float[] shrunk = {0.2f, 0.2f}; // every pair still right, every loss clearly higher: a consistent increase
    assertThat(new PromotionGate(true, 0.07, 0.2, 1.645).judge(shrunk, current, sixteen).reason())
        .isEqualTo(PromotionGate.LOSS_WORSE);
    // the same increase under the tolerance passes
    assertThat(new PromotionGate(true, 0.07, 5, 1.645).judge(shrunk, current, sixteen).accepted()).isTrue();
  }

  @Test
  void aNegativeOrInfiniteZIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PromotionGate(true, 0, 0, -1))
        .hasMessageContaining("-1");
  }
}
