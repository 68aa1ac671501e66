package io.prefstream.learner.state;

/**
 * A held-back preference pair in the form a linear reward model needs: {@code f(chosen) − f(rejected)} (rounded to
 * half precision) and its margin. The reward gap of weights w is then {@code w · diff}.
 */
public record HeldPair(float[] diff, float margin) {
  public HeldPair {
    diff = diff.clone();
    for (int i = 0; i < diff.length; i++) {
      diff[i] = Half.round(diff[i]);
    }
  }

  /** w · diff, accumulated in double so the result does not depend on summation tricks. */
  public double gap(float[] w) {
    double s = 0;
    for (int i = 0; i < diff.length; i++) {
      s += (double) w[i] * diff[i];
    }
    return s;
  }
}
