package io.prefstream.learner.state;

import io.prefstream.model.checkpoint.Fp16;

/**
 * A held-back preference pair in the form a linear reward model needs: {@code f(chosen) − f(rejected)}, rounded to
 * half precision, and its margin. The reward gap of weights w is then {@code w · diff}.
 *
 * <p>Only the half-precision bits are kept: the state record stores exactly these, so writing one is a bulk copy, and
 * a key's sixteen held-back pairs take half the memory of float copies.
 */
public final class HeldPair {
  /** Every half-precision value as a float, so {@link #gap} reads the pair without converting each element. */
  private static final float[] HALF_TO_FLOAT = new float[1 << 16];

  static {
    for (int h = 0; h < HALF_TO_FLOAT.length; h++) {
      HALF_TO_FLOAT[h] = Fp16.toFloat((short) h);
    }
  }

  private final short[] bits;
  private final float margin;

  /** Rounds {@code diff} to half precision. */
  public HeldPair(float[] diff, float margin) {
    this.bits = new short[diff.length];
    for (int i = 0; i < diff.length; i++) {
      bits[i] = Fp16.fromFloat(diff[i]);
    }
    this.margin = margin;
  }

  private HeldPair(short[] bits, float margin) {
    this.bits = bits;
    this.margin = margin;
  }

  /** A pair from its stored half-precision bits (taken, not copied). */
  static HeldPair ofHalfBits(short[] bits, float margin) {
    return new HeldPair(bits, margin);
  }

  /** The stored half-precision bits (not a copy: callers must not modify them). */
  short[] halfBits() {
    return bits;
  }

  public int dimension() {
    return bits.length;
  }

  public float margin() {
    return margin;
  }

  /** The difference vector as floats (a new array). */
  public float[] diff() {
    float[] d = new float[bits.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = HALF_TO_FLOAT[bits[i] & 0xffff];
    }
    return d;
  }

  /** w · diff, accumulated in double so the result does not depend on summation tricks. */
  public double gap(float[] w) {
    double s = 0;
    for (int i = 0; i < bits.length; i++) {
      s += (double) w[i] * HALF_TO_FLOAT[bits[i] & 0xffff];
    }
    return s;
  }

  /**
   * {@code {a · diff, b · diff}}, each summed exactly as {@link #gap} sums it, in one pass: the two sums are independent
   * chains of additions, so the promotion gate's two models cost little more than one.
   */
  public double[] gaps(float[] a, float[] b) {
    double sa = 0;
    double sb = 0;
    for (int i = 0; i < bits.length; i++) {
      double d = HALF_TO_FLOAT[bits[i] & 0xffff];
      sa += (double) a[i] * d;
      sb += (double) b[i] * d;
    }
    return new double[] {sa, sb};
  }
}
