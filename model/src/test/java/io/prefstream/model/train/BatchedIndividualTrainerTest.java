package io.prefstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchedIndividualTrainerTest {
  private static final int D = 16;

  /** Pairs where the user prefers responses with a larger coordinate {@code axis}. */
  static List<TrainingPair> pairs(int key, int axis, int n, Random r) {
    List<TrainingPair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] a = new float[D];
      float[] b = new float[D];
      for (int j = 0; j < D; j++) {
        a[j] = (float) r.nextGaussian() * 0.3f;
        b[j] = (float) r.nextGaussian() * 0.3f;
      }
      boolean aWins = a[axis] > b[axis];
      out.add(new TrainingPair(key, aWins ? a : b, aWins ? b : a, 0.5f, 1f));
    }
    return out;
  }

  static double accuracy(float[] w, List<TrainingPair> ps) {
    int ok = 0;
    for (TrainingPair p : ps) {
      double d = 0;
      for (int j = 0; j < D; j++) {
        d += w[j] * (p.chosen()[j] - p.rejected()[j]);
      }
      if (d > 0) {
        ok++;
      }
    }
    return (double) ok / ps.size();
  }

  @Test
  void learnsEachKeysOwnPreferenceInOneBatchedCall() {
    Random r = new Random(1);
    List<TrainingPair> train = new ArrayList<>(pairs(0, 3, 40, r));
    train.addAll(pairs(1, 9, 40, r));
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(TrainerConfig.defaults())) {
      assertThat(t.device()).isNotBlank();
      List<float[]> frozen = List.of(new float[D], new float[D]);
      BatchedIndividualTrainer.Result res = t.train(frozen, List.of(new float[D], new float[D]), train);
      assertThat(res.steps()).isEqualTo(TrainerConfig.defaults().stepsPerBatch());
      assertThat(res.meanLoss()).isLessThan(Math.log(2) + 0.5);
      Random test = new Random(2);
      assertThat(accuracy(res.individuals().get(0), pairs(0, 3, 200, test))).isGreaterThan(0.8);
      assertThat(accuracy(res.individuals().get(1), pairs(1, 9, 200, test))).isGreaterThan(0.8);
      // each key learned its own axis, not the other's
      assertThat(res.individuals().get(0)[3]).isGreaterThan(Math.abs(res.individuals().get(0)[9]));
      assertThat(res.individuals().get(1)[9]).isGreaterThan(Math.abs(res.individuals().get(1)[3]));
    }
  }

  @Test
  void lossFallsAcrossRepeatedBatches() {
    Random r = new Random(3);
    List<TrainingPair> train = pairs(0, 5, 30, r);
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(new TrainerConfig(0.5f, 5, 0f, 0.5f, 0.25f))) {
      float[] u = new float[D];
      double first = t.train(List.of(new float[D]), List.of(u), train).meanLoss();
      for (int i = 0; i < 5; i++) {
        u = t.train(List.of(new float[D]), List.of(u), train).individuals().get(0);
      }
      double later = t.train(List.of(new float[D]), List.of(u), train).meanLoss();
      assertThat(later).isLessThan(first);
    }
  }

  @Test
  void deterministicAndIndependentOfOtherKeysInTheBatch() {
    Random r = new Random(4);
    List<TrainingPair> own = pairs(0, 2, 25, r);
    List<TrainingPair> withOther = new ArrayList<>(own);
    withOther.addAll(pairs(1, 7, 25, r));
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(TrainerConfig.defaults())) {
      float[] frozen = new float[D];
      frozen[0] = 0.3f;
      float[] a = t.train(List.of(frozen), List.of(new float[D]), own).individuals().get(0);
      float[] b = t.train(List.of(frozen), List.of(new float[D]), own).individuals().get(0);
      assertThat(b).containsExactly(a);
      float[] c = t.train(List.of(frozen, frozen), List.of(new float[D], new float[D]), withOther).individuals().get(0);
      for (int j = 0; j < D; j++) {
        assertThat(c[j]).isCloseTo(a[j], org.assertj.core.api.Assertions.within(1e-5f));
      }
    }
  }

  @Test
  void theMarginPushesTheGapWider() {
    Random r = new Random(5);
    List<TrainingPair> base = pairs(0, 1, 30, r);
    List<TrainingPair> bigMargin = new ArrayList<>();
    for (TrainingPair p : base) {
      bigMargin.add(new TrainingPair(0, p.chosen(), p.rejected(), 3f, 1f));
    }
    List<TrainingPair> noMargin = new ArrayList<>();
    for (TrainingPair p : base) {
      noMargin.add(new TrainingPair(0, p.chosen(), p.rejected(), 0f, 1f));
    }
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(new TrainerConfig(1f, 20, 0.01f, 1f, 0f))) {
      float[] wide = t.train(List.of(new float[D]), List.of(new float[D]), bigMargin).individuals().get(0);
      float[] narrow = t.train(List.of(new float[D]), List.of(new float[D]), noMargin).individuals().get(0);
      assertThat(wide[1]).isGreaterThan(narrow[1]);
    }
  }

  @Test
  void theL2PullKeepsAKeyWithoutPairsAtZeroAndShrinksOthers() {
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(new TrainerConfig(0.5f, 10, 0.5f, 0f, 0f))) {
      float[] u = new float[D];
      u[4] = 1f;
      List<TrainingPair> otherKeyOnly = pairs(0, 2, 5, new Random(6));
      float[] after = t.train(List.of(new float[D], new float[D]), List.of(new float[D], u), otherKeyOnly)
          .individuals().get(1);
      assertThat(after[4]).isLessThan(1f).isGreaterThan(0f);
    }
  }

  @Test
  void badInputsAreRefusedWithTheValues() {
    assertThatThrownBy(() -> new TrainerConfig(0f, 1, 0f, 0f, 0f)).hasMessageContaining("learningRate");
    assertThatThrownBy(() -> new TrainingPair(0, new float[2], new float[3], 0f, 1f)).hasMessageContaining("2 and 3");
    try (BatchedIndividualTrainer t = new BatchedIndividualTrainer(TrainerConfig.defaults())) {
      List<TrainingPair> ps = List.of(new TrainingPair(3, new float[D], new float[D], 0f, 1f));
      assertThatThrownBy(() -> t.train(List.of(new float[D]), List.of(new float[D]), ps))
          .hasMessageContaining("keyIndex 3");
    }
  }
}
