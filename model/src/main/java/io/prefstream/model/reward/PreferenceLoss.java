package io.prefstream.model.reward;

/**
 * Bradley–Terry loss with a margin (Cheng et al.): {@code -log σ(r(chosen) − r(rejected) − m)}, where the
 * margin grows linearly with the event's strength, {@code m = marginScale · strength}: a strong,
 * unanimous preference must be won by a wider reward gap before the loss stops pushing.
 */
public final class PreferenceLoss {
  private PreferenceLoss() {}

  /** m = marginScale · strength, strength in (0, 1]. */
  public static float margin(double strength, float marginScale) {
    if (!(strength > 0 && strength <= 1)) {
      throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
    }
    if (!(marginScale >= 0) || Float.isInfinite(marginScale)) {
      throw new IllegalArgumentException("marginScale must be finite and >= 0, got " + marginScale);
    }
    return (float) (marginScale * strength);
  }

  /** −log σ(delta − margin) = softplus(margin − delta), stable for any magnitude. */
  public static double loss(double delta, double margin) {
    return softplus(margin - delta);
  }

  /** log(1 + e^x) without overflow or loss of precision at either end. */
  public static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** σ(x), stable. */
  public static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }
}
