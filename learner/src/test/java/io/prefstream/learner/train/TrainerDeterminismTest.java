package io.prefstream.learner.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.model.train.TrainerConfig;
import io.prefstream.model.train.TrainingPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What exactly-once replay relies on: the trainer gives the same bits for the same call. Whether a key's bits also
 * stay the same when different other keys share the call depends on the engine's kernels (the model module's padded
 * per-key layout achieves it on PyTorch's CPU kernels; a GPU promises only "same call, same bits"), so the learner
 * forms its trainer calls from fixed offset blocks of each partition rather than from whatever a poll returned.
 */
class TrainerDeterminismTest {
  private static final int D = 768;

  @Test
  void theSameCallGivesTheSameBitsAndOtherKeysOnlyMoveAKeyByRounding() {
    Random rnd = new Random(7);
    float[] frozen = vec(rnd);
    float[] u = vec(rnd);
    List<float[][]> own = new ArrayList<>();
    for (int i = 0; i < 37; i++) {
      own.add(new float[][] {vec(rnd), vec(rnd)});
    }
    try (BatchedIndividualTrainer trainer = new BatchedIndividualTrainer(TrainerConfig.defaults())) {
      float[] alone = trainer.train(List.of(frozen), List.of(u), pairs(0, own)).individuals().get(0);
      for (int others : new int[] {1, 3, 17}) {
        List<float[]> fs = new ArrayList<>();
        List<float[]> us = new ArrayList<>();
        List<TrainingPair> ps = new ArrayList<>();
        int target = others / 2;
        for (int k = 0; k <= others; k++) {
          if (k == target) {
            fs.add(frozen);
            us.add(u);
            ps.addAll(pairs(k, own));
          } else {
            fs.add(vec(rnd));
            us.add(vec(rnd));
            List<float[][]> theirs = new ArrayList<>();
            for (int i = 0; i < 5 + rnd.nextInt(300); i++) {
              theirs.add(new float[][] {vec(rnd), vec(rnd)});
            }
            ps.addAll(pairs(k, theirs));
          }
        }
        float[] shared = trainer.train(fs, us, ps).individuals().get(target);
        float[] again = trainer.train(fs, us, ps).individuals().get(target);
        assertThat(again).as("same call with %d other keys", others).containsExactly(shared);
        for (int j = 0; j < D; j++) {
          assertThat(shared[j]).as("key trained with %d other keys, dim %d", others, j)
              .isCloseTo(alone[j], org.assertj.core.data.Offset.offset(1e-4f + Math.abs(alone[j]) * 1e-4f));
        }
      }
    }
  }

  private static List<TrainingPair> pairs(int k, List<float[][]> xs) {
    List<TrainingPair> out = new ArrayList<>();
    for (float[][] x : xs) {
      out.add(new TrainingPair(k, x[0], x[1], 0.5f, 1f));
    }
    return out;
  }

  private static float[] vec(Random rnd) {
    float[] v = new float[D];
    for (int i = 0; i < D; i++) {
      v[i] = (float) rnd.nextGaussian() * 0.05f;
    }
    return v;
  }
}
