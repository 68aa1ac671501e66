package io.prefstream.learner.train;

import io.prefstream.learner.state.HeldPair;
import io.prefstream.model.reward.PreferenceLoss;
import java.util.List;

/**
 * Decides whether a candidate version of a key's model may replace the published one: it must not be worse on the
 * key's held-back events (pairs the model was not trained on), in accuracy or in mean loss, beyond what those few
 * pairs can tell apart from noise. A user's published model therefore never gets worse on evidence the learner has.
 *
 * <p>Both checks are paired, on the same held-back pairs. Accuracy: of the pairs the two versions disagree on, the
 * candidate gets {@code c} wrong that the current version gets right and {@code b} the other way round; it is refused
 * when {@code c − b} exceeds both the tolerance ({@code accuracyTolerance · n}) and {@code z·√(b + c)} (a one-sided
 * sign test on the disagreements, as McNemar's test does). Loss: with {@code d} the per-pair loss increase, it is
 * refused when the mean of {@code d} exceeds both the tolerance and {@code z} standard errors. Without the noise term
 * a window of 16 pairs refuses half the candidates of a user who sends one event at a time, because flipping a
 * single borderline pair already costs 1/16 of accuracy, and each refusal keeps the served model a batch behind.
 * {@code z = 0} leaves the tolerances alone.
 */
public final class PromotionGate {
  /** Rejection reasons, the {@code reason} tag of {@code prefstream.learner.gate.rejections}. */
  public static final String ACCURACY_WORSE = "accuracy_worse";
  public static final String LOSS_WORSE = "loss_worse";
  public static final String NON_FINITE = "non_finite_weights";

  private final boolean enabled;
  private final double accuracyTolerance;
  private final double lossTolerance;
  private final double z;

  /** A gate on the tolerances alone (no noise term). */
  public PromotionGate(boolean enabled, double accuracyTolerance, double lossTolerance) {
    this(enabled, accuracyTolerance, lossTolerance, 0);
  }

  /**
   * @param z how many standard errors worse a candidate must be to be refused (1.645: one-sided 95 %)
   */
  public PromotionGate(boolean enabled, double accuracyTolerance, double lossTolerance, double z) {
    if (!(z >= 0) || Double.isInfinite(z)) {
      throw new IllegalArgumentException("gate z " + z + " must be finite and >= 0");
    }
    this.enabled = enabled;
    this.accuracyTolerance = accuracyTolerance;
    this.lossTolerance = lossTolerance;
    this.z = z;
  }

  /**
   * @param candidate total weights (base + generic + candidate individual part)
   * @param current total weights of the published model (base + generic + published part, or no part)
   */
  public Decision judge(float[] candidate, float[] current, List<HeldPair> heldBack) {
    for (float v : candidate) {
      if (!Float.isFinite(v)) {
        return new Decision(false, NON_FINITE, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
      }
    }
    if (!enabled || heldBack.isEmpty()) {
      return new Decision(true, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    int n = heldBack.size();
    int candRight = 0;
    int curRight = 0;
    int onlyCandWrong = 0;
    int onlyCurWrong = 0;
    double[] increase = new double[n];
    double candLoss = 0;
    double curLoss = 0;
    for (int i = 0; i < n; i++) {
      HeldPair p = heldBack.get(i);
      double[] gaps = p.gaps(candidate, current);
      double candGap = gaps[0];
      double curGap = gaps[1];
      boolean candOk = candGap > 0;
      boolean curOk = curGap > 0;
      candRight += candOk ? 1 : 0;
      curRight += curOk ? 1 : 0;
      onlyCandWrong += curOk && !candOk ? 1 : 0;
      onlyCurWrong += candOk && !curOk ? 1 : 0;
      double lc = PreferenceLoss.loss(candGap, p.margin());
      double lu = PreferenceLoss.loss(curGap, p.margin());
      candLoss += lc;
      curLoss += lu;
      increase[i] = lc - lu;
    }
    double candAccuracy = (double) candRight / n;
    double curAccuracy = (double) curRight / n;
    candLoss /= n;
    curLoss /= n;
    int lost = onlyCandWrong - onlyCurWrong;
    if (lost > accuracyTolerance * n + 1e-9 && lost > z * Math.sqrt(onlyCandWrong + onlyCurWrong)) {
      return new Decision(false, ACCURACY_WORSE, candAccuracy, curAccuracy, candLoss, curLoss);
    }
    double meanIncrease = candLoss - curLoss;
    if (meanIncrease > lossTolerance && meanIncrease > z * standardError(increase, meanIncrease)) {
      return new Decision(false, LOSS_WORSE, candAccuracy, curAccuracy, candLoss, curLoss);
    }
    return new Decision(true, null, candAccuracy, curAccuracy, candLoss, curLoss);
  }

  /** Standard error of the mean; infinite for a single value, which alone cannot tell a change from noise. */
  private static double standardError(double[] values, double mean) {
    if (values.length < 2) {
      return Double.POSITIVE_INFINITY;
    }
    double ss = 0;
    for (double v : values) {
      ss += (v - mean) * (v - mean);
    }
    return Math.sqrt(ss / (values.length - 1) / values.length);
  }

  /** The verdict, with the numbers it rests on (NaN where nothing was measured). */
  public record Decision(boolean accepted, String reason, double candidateAccuracy, double currentAccuracy,
      double candidateLoss, double currentLoss) {}
}
