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
}
