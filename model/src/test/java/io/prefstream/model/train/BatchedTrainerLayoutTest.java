package io.prefstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The padded per-key layout: same learning as the plain per-pair formula, a key's bits independent of
 * the other keys in the call, and no native arrays left behind.
 */
class BatchedTrainerLayoutTest {
  private static final int D = 768;

  @Test
  void paddedRowsDependOnlyOnTheKeysOwnCountAndWasteAtMostAQuarter() {
    assertThat(LinearPreferenceOptimizer.paddedRows(0)).isZero();
    assertThat(LinearPreferenceOptimizer.paddedRows(1)).isEqualTo(4);
    assertThat(LinearPreferenceOptimizer.paddedRows(4)).isEqualTo(4);
    assertThat(LinearPreferenceOptimizer.paddedRows(5)).isEqualTo(5);
    assertThat(LinearPreferenceOptimizer.paddedRows(9)).isEqualTo(10);
    assertThat(LinearPreferenceOptimizer.paddedRows(33)).isEqualTo(40);
    for (int n = 5; n < 5000; n++) {
      int rows = LinearPreferenceOptimizer.paddedRows(n);
      assertThat(rows).as("rows for %d pairs", n).isGreaterThanOrEqualTo(n).isLessThanOrEqualTo(n + n / 4);
    }
  }

  @Test
  void smallClassesMergeIntoLargerOnesOnlyWhileThePaddingIsCheap() {
    Map<Integer, List<Integer>> classes = new TreeMap<>();
    classes.put(0, new ArrayList<>(List.of(5)));
    classes.put(4, new ArrayList<>(List.of(3)));
    classes.put(40, new ArrayList<>(List.of(0, 4)));
    classes.put(160, new ArrayList<>(List.of(1)));
    classes.put(2048, new ArrayList<>(List.of(2)));
    Map<Integer, List<Integer>> m = LinearPreferenceOptimizer.merged(classes, D);
    // 4 → 40 costs 36·1·768 padded elements (cheap); 40 → 160 would cost 120·3·768 (not); 160 → 2048 neither.
    assertThat(m).containsOnlyKeys(0, 40, 160, 2048);
    assertThat(m.get(40)).containsExactly(0, 3, 4);
    assertThat(m.get(0)).containsExactly(5);
  }

  @Test
  void aKeyPaddedIntoAMergedBucketKeepsItsBits() {
    Random rnd = new Random(9);
    float[] frozen = vec(rnd, 0.05f);
    float[] u = vec(rnd, 0.05f);
    List<float[][]> own = new ArrayList<>();
    for (int i = 0; i < 37; i++) {
      own.add(new float[][] {vec(rnd, 0.05f), vec(rnd, 0.05f)});
    }
    List<float[][]> big = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      big.add(new float[][] {vec(rnd, 0.05f), vec(rnd, 0.05f)});
    }
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(TrainerConfig.defaults())) {
      float[] alone = t.train(List.of(frozen), List.of(u), keyed(0, own)).individuals().get(0);
      // 37 pairs pad to 40 rows alone, to 160 rows next to the 150-pair key (one merged bucket).
      List<TrainingPair> ps = new ArrayList<>(keyed(0, big));
      ps.addAll(keyed(1, own));
      float[] merged = t.train(List.of(vec(rnd, 0.05f), frozen), List.of(vec(rnd, 0.05f), u), ps)
          .individuals().get(1);
      assertThat(merged).containsExactly(alone);
    }
  }

  @Test
  void followsThePlainPerPairGradientDescent() {
    Random rnd = new Random(11);
    TrainerConfig cfg = new TrainerConfig(1.5f, 12, 0.05f, 0.5f, 0.25f);
    int[] counts = {0, 1, 7, 23, 64};
    List<float[]> frozen = new ArrayList<>();
    List<float[]> initial = new ArrayList<>();
    List<TrainingPair> pairs = new ArrayList<>();
    for (int k = 0; k < counts.length; k++) {
      frozen.add(vec(rnd, 0.05f));
      initial.add(vec(rnd, 0.05f));
    }
    // Interleave keys so routing, not input order, groups them; mixed margins and weights.
    for (int i = 0; i < 64; i++) {
      for (int k = 0; k < counts.length; k++) {
        if (i < counts[k]) {
          pairs.add(new TrainingPair(k, vec(rnd, 0.2f), vec(rnd, 0.2f), rnd.nextInt(3) * 0.25f,
              rnd.nextBoolean() ? 1f : 0.25f));
        }
      }
    }
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(cfg)) {
      BatchedIndividualTrainer.Result res = t.train(frozen, initial, pairs);
      double[] meanLoss = new double[1];
      List<double[]> expected = reference(frozen, initial, pairs, cfg, meanLoss);
      for (int k = 0; k < counts.length; k++) {
        float[] got = res.individuals().get(k);
        for (int j = 0; j < D; j++) {
          assertThat((double) got[j]).as("key %d dim %d", k, j)
              .isCloseTo(expected.get(k)[j], within(1e-5 + 1e-4 * Math.abs(expected.get(k)[j])));
        }
      }
      assertThat(res.meanLoss()).isCloseTo(meanLoss[0], within(1e-5));
      assertThat(res.steps()).isEqualTo(cfg.stepsPerBatch());
    }
  }

  @Test
  void aKeysBitsDoNotDependOnWhichOtherKeysShareTheCall() {
    Random rnd = new Random(7);
    float[] frozen = vec(rnd, 0.05f);
    float[] u = vec(rnd, 0.05f);
    List<float[][]> own = new ArrayList<>();
    for (int i = 0; i < 37; i++) {
      own.add(new float[][] {vec(rnd, 0.05f), vec(rnd, 0.05f)});
    }
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(TrainerConfig.defaults())) {
      float[] alone = t.train(List.of(frozen), List.of(u), keyed(0, own)).individuals().get(0);
      // Others with the same padded size (same bucket), other sizes, many keys, and keys without pairs.
      for (int others : new int[] {1, 3, 17, 60}) {
        List<float[]> fs = new ArrayList<>();
        List<float[]> us = new ArrayList<>();
        List<TrainingPair> ps = new ArrayList<>();
        int target = others / 2;
        for (int k = 0; k <= others; k++) {
          if (k == target) {
            fs.add(frozen);
            us.add(u);
            ps.addAll(keyed(k, own));
            continue;
          }
          fs.add(vec(rnd, 0.05f));
          us.add(vec(rnd, 0.05f));
          int n = k % 4 == 0 ? 0 : k % 4 == 1 ? 36 + rnd.nextInt(4) : 1 + rnd.nextInt(200);
          List<float[][]> theirs = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            theirs.add(new float[][] {vec(rnd, 0.05f), vec(rnd, 0.05f)});
          }
          ps.addAll(keyed(k, theirs));
        }
        float[] shared = t.train(fs, us, ps).individuals().get(target);
        assertThat(shared).as("key trained with %d other keys", others).containsExactly(alone);
      }
    }
  }

  @Test
  void longRunsLeaveNoNativeArraysBehind() {
    Random rnd = new Random(3);
    List<float[]> fs = new ArrayList<>();
    List<float[]> us = new ArrayList<>();
    List<TrainingPair> ps = new ArrayList<>();
    for (int k = 0; k < 8; k++) {
      fs.add(vec(rnd, 0.05f));
      us.add(vec(rnd, 0.05f));
      for (int i = 0; i < 1 + k * 5; i++) {
        ps.add(new TrainingPair(k, vec(rnd, 0.05f), vec(rnd, 0.05f), 0.5f, 1f));
      }
    }
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(new TrainerConfig(1f, 3, 0.01f, 0.5f, 0.25f))) {
      for (int call = 0; call < 300; call++) {
        us = t.train(fs, us, ps).individuals();
        assertThat(t.liveArrays()).as("arrays held after call %d", call).isZero();
      }
    }
  }

  /** The loss's gradient descent written per pair in double precision, as the trainer documents it. */
  private static List<double[]> reference(List<float[]> frozen, List<float[]> initial, List<TrainingPair> pairs,
      TrainerConfig cfg, double[] meanLoss) {
    int k = frozen.size();
    double[] keyWeight = new double[k];
    for (TrainingPair p : pairs) {
      keyWeight[p.keyIndex()] += p.weight();
    }
    List<double[]> u = new ArrayList<>();
    for (float[] init : initial) {
      double[] row = new double[D];
      for (int j = 0; j < D; j++) {
        row[j] = init[j];
      }
      u.add(row);
    }
    for (int s = 0; s < cfg.stepsPerBatch(); s++) {
      List<double[]> grad = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        double[] g = new double[D];
        for (int j = 0; j < D; j++) {
          g[j] = cfg.l2Pull() * u.get(i)[j];
        }
        grad.add(g);
      }
      for (TrainingPair p : pairs) {
        int i = p.keyIndex();
        double z = dot(frozen.get(i), u.get(i), p) - p.margin();
        double coef = -(p.weight() / keyWeight[i]) / (1 + Math.exp(z)); // −c·σ(−z)
        for (int j = 0; j < D; j++) {
          grad.get(i)[j] += coef * (p.chosen()[j] - p.rejected()[j]);
        }
      }
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < D; j++) {
          u.get(i)[j] -= cfg.learningRate() * grad.get(i)[j];
        }
      }
    }
    double loss = 0;
    int active = 0;
    for (int i = 0; i < k; i++) {
      if (keyWeight[i] > 0) {
        active++;
      }
    }
    for (TrainingPair p : pairs) {
      double z = dot(frozen.get(p.keyIndex()), u.get(p.keyIndex()), p) - p.margin();
      loss += p.weight() / keyWeight[p.keyIndex()] * Math.log1p(Math.exp(-z));
    }
    meanLoss[0] = loss / active;
    return u;
  }

  private static double dot(float[] f, double[] u, TrainingPair p) {
    double z = 0;
    for (int j = 0; j < D; j++) {
      z += (f[j] + u[j]) * (p.chosen()[j] - p.rejected()[j]);
    }
    return z;
  }

  private static List<TrainingPair> keyed(int k, List<float[][]> xs) {
    List<TrainingPair> out = new ArrayList<>();
    for (float[][] x : xs) {
      out.add(new TrainingPair(k, x[0], x[1], 0.5f, 1f));
    }
    return out;
  }

  private static float[] vec(Random rnd, float scale) {
    float[] v = new float[D];
    for (int i = 0; i < D; i++) {
      v[i] = (float) rnd.nextGaussian() * scale;
    }
    return v;
  }
}
