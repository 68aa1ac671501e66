package io.prefstream.model.encoder;

/** Small vector operations the encoders share. */
final class Vectors {
  private Vectors() {}

  /** Scales {@code v} in place to unit length; a zero vector stays zero (nothing to normalise). */
  static float[] l2Normalise(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum > 0) {
      float inv = (float) (1.0 / Math.sqrt(sum));
      for (int i = 0; i < v.length; i++) {
        v[i] *= inv;
      }
    }
    return v;
  }
}
