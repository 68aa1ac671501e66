package io.prefstream.learner.state;

/**
 * IEEE 754 half precision (Java 17 has no {@code Float.floatToFloat16}). Held-back pairs are stored this way to keep
 * the state record small; they are rounded when first held back, so the in-memory and restored values are the same.
 */
public final class Half {
  private Half() {}

  /** Rounds to the nearest half (ties to even) and returns its bits. */
  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int val = (bits & 0x7fffffff) + 0x1000; // round-half-up on the 13 dropped bits, corrected for ties below
    if (val >= 0x47800000) { // overflow or NaN/Inf
      if ((bits & 0x7fffffff) >= 0x47800000) {
        if ((bits & 0x7fffffff) > 0x7f800000) {
          return (short) (sign | 0x7e00); // NaN
        }
        if ((bits & 0x7fffffff) >= 0x477ff000) {
          return (short) (sign | 0x7c00); // Inf
        }
      }
      return (short) (sign | 0x7bff);
    }
    if (val >= 0x38800000) { // normal
      int exact = bits & 0x7fffffff;
      int h = ((exact - 0x38000000) >>> 13);
      int rest = exact & 0x1fff;
      if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
        h++;
      }
      return (short) (sign | h);
    }
    if (val >= 0x33000000) { // subnormal half
      int exact = bits & 0x7fffffff;
      int exp = exact >>> 23;
      int mant = (exact & 0x7fffff) | 0x800000;
      int shift = 126 - exp; // 113 + 13 ... places so that the result has the half subnormal scale
      int h = mant >>> (shift);
      int rest = mant & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (h & 1) == 1)) {
        h++;
      }
      return (short) (sign | h);
    }
    return (short) sign;
  }

  public static float toFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    if (exp == 31) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** The value a float becomes after a round trip through half precision. */
  public static float round(float f) {
    return toFloat(fromFloat(f));
  }
}
