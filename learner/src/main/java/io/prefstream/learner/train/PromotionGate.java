package io.prefstream.learner.train;

import io.prefstream.learner.state.HeldPair;
import io.prefstream.model.reward.PreferenceLoss;
import java.util.List;

/**
 * Decides whether a candidate version of a key's model may replace the published one: it must not be worse on the
 * key's held-back events (pairs the model was not trained on), in accuracy or in mean loss, beyond the configured
 * tolerances. A user's published model therefore never gets silently worse on evidence the learner has.
 */
public final class PromotionGate {
  /** Rejection reasons, the {@code reason} tag of {@code prefstream.learner.gate.rejections}. */
  public static final String ACCURACY_WORSE = "accuracy_worse";
  public static final String LOSS_WORSE = "loss_worse";
  public static final String NON_FINITE = "non_finite_weights";

  private final boolean enabled;
  private final double accuracyTolerance;
  private final double lossTolerance;

  public PromotionGate(boolean enabled, double accuracyTolerance, double lossTolerance) {
    this.enabled = enabled;
    this.accuracyTolerance = accuracyTolerance;
    this.lossTolerance = lossTolerance;
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
    Score cand = score(candidate, heldBack);
    Score cur = score(current, heldBack);
    if (cand.accuracy < cur.accuracy - accuracyTolerance - 1e-12) {
      return new Decision(false, ACCURACY_WORSE, cand.accuracy, cur.accuracy, cand.loss, cur.loss);
    }
    if (cand.loss > cur.loss + lossTolerance) {
      return new Decision(false, LOSS_WORSE, cand.accuracy, cur.accuracy, cand.loss, cur.loss);
    }
    return new Decision(true, null, cand.accuracy, cur.accuracy, cand.loss, cur.loss);
  }

  private static Score score(float[] w, List<HeldPair> pairs) {
    int ok = 0;
    double loss = 0;
    for (HeldPair p : pairs) {
      double gap = p.gap(w);
      if (gap > 0) {
        ok++;
      }
      loss += PreferenceLoss.loss(gap, p.margin());
    }
    return new Score((double) ok / pairs.size(), loss / pairs.size());
  }

  private record Score(double accuracy, double loss) {}

  /** The verdict, with the numbers it rests on (NaN where nothing was measured). */
  public record Decision(boolean accepted, String reason, double candidateAccuracy, double currentAccuracy,
      double candidateLoss, double currentLoss) {}
}
