package io.prefstream.scorer.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Fp16Test {
  @Test
  void agreesWithTheCheckpointCodecsConversionOnRandomAndEdgeValues() {
    Random rnd = new Random(42);
    float[] edge = {0f, -0f, 1f, -2.5f, 65504f, 70000f, 1e-8f, 6.1e-5f, 5.96e-8f, 3.0e-6f, Float.NaN,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    for (float f : edge) {
      check(f);
    }
    for (int i = 0; i < 100_000; i++) {
      check((float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(10) - 6)));
    }
  }

  private static void check(float f) {
    float mine = Fp16.toFloat(Fp16.fromFloat(f));
    float theirs = io.prefstream.model.checkpoint.Fp16.toFloat(io.prefstream.model.checkpoint.Fp16.fromFloat(f));
    if (Float.isNaN(theirs)) {
      assertThat(mine).isNaN();
    } else {
      assertThat(mine).as("fp16 of %s", f).isEqualTo(theirs);
    }
  }

  @Test
  void valuesOnTheHalfGridRoundTripExactly() {
    for (int h = 0; h < 0x10000; h++) {
      float f = Fp16.toFloat((short) h);
      if (!Float.isNaN(f)) {
        assertThat(Fp16.toFloat(Fp16.fromFloat(f))).isEqualTo(f);
      }
    }
  }
}
