package io.prefstream.model.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PreferenceLossTest {

  @Test
  void marginGrowsLinearlyWithStrength() {
    assertThat(PreferenceLoss.margin(1.0, 0.5f)).isEqualTo(0.5f);
    assertThat(PreferenceLoss.margin(0.5, 0.5f)).isEqualTo(0.25f);
    assertThat(PreferenceLoss.margin(0.2, 0f)).isZero();
  }

  @Test
  void strengthOutsideUnitIntervalIsRefusedWithTheValue() {
    assertThatThrownBy(() -> PreferenceLoss.margin(0, 1f)).hasMessageContaining("(0, 1]").hasMessageContaining("0.0");
    assertThatThrownBy(() -> PreferenceLoss.margin(1.5, 1f)).hasMessageContaining("1.5");
    assertThatThrownBy(() -> PreferenceLoss.margin(Double.NaN, 1f)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void lossIsMinusLogSigmoidOfDeltaMinusMargin() {
    assertThat(PreferenceLoss.loss(0, 0)).isCloseTo(Math.log(2), within(1e-12));
    double delta = 1.3;
    double m = 0.4;
    assertThat(PreferenceLoss.loss(delta, m)).isCloseTo(-Math.log(1 / (1 + Math.exp(-(delta - m)))), within(1e-12));
  }

  @Test
  void aMarginMakesTheSameGapCostMore() {
    assertThat(PreferenceLoss.loss(1.0, 0.5)).isGreaterThan(PreferenceLoss.loss(1.0, 0.0));
    // Winning by exactly the margin costs what winning by zero costs without one.
    assertThat(PreferenceLoss.loss(0.5, 0.5)).isCloseTo(PreferenceLoss.loss(0, 0), within(1e-12));
  }

  @Test
  void numericallyStableAtExtremes() {
    assertThat(PreferenceLoss.loss(1000, 0)).isCloseTo(0, within(1e-12));
    assertThat(PreferenceLoss.loss(-1000, 0)).isCloseTo(1000, within(1e-9));
    assertThat(PreferenceLoss.loss(-1e6, 1)).isFinite();
    assertThat(PreferenceLoss.sigmoid(-1000)).isZero();
    assertThat(PreferenceLoss.sigmoid(1000)).isEqualTo(1.0);
  }
}
