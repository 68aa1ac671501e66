package io.prefstream.model.bert;

import io.prefstream.model.data.PreferenceRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Caps each user's influence on the shared encoder and heads (issue #6): a user with n pairs gets weight
 * {@code min(1, cap / n)} per pair, so all of one user's pairs together weigh at most {@code cap} pairs however
 * many they send. Pairs without a user (general data) keep weight 1.
 *
 * @param mode NONE (no cap), MEDIAN (cap = the median user's pair count) or FIXED (cap = {@code fixedCap})
 */
public record UserCap(Mode mode, int fixedCap) {
  public enum Mode { NONE, MEDIAN, FIXED }

  public UserCap {
    if (mode == Mode.FIXED && fixedCap < 1) {
      throw new IllegalArgumentException("a FIXED user cap needs fixedCap >= 1, got " + fixedCap);
    }
  }

  public static UserCap median() {
    return new UserCap(Mode.MEDIAN, 0);
  }

  public static UserCap none() {
    return new UserCap(Mode.NONE, 0);
  }

  public static UserCap fixed(int pairs) {
    return new UserCap(Mode.FIXED, pairs);
  }

  /** The cap in pairs for these per-user counts (Double.POSITIVE_INFINITY for NONE). */
  public double cap(Map<String, Integer> pairsPerUser) {
    return switch (mode) {
      case NONE -> Double.POSITIVE_INFINITY;
      case FIXED -> fixedCap;
      case MEDIAN -> {
        List<Integer> counts = new ArrayList<>(pairsPerUser.values());
        if (counts.isEmpty()) {
          yield Double.POSITIVE_INFINITY;
        }
        Collections.sort(counts);
        int n = counts.size();
        yield n % 2 == 1 ? counts.get(n / 2) : (counts.get(n / 2 - 1) + counts.get(n / 2)) / 2.0;
      }
    };
  }

  /** Per-pair weights, aligned with {@code pairs}. */
  public double[] weights(List<PreferenceRecord> pairs) {
    Map<String, Integer> perUser = new HashMap<>();
    for (PreferenceRecord p : pairs) {
      if (p.userId() != null) {
        perUser.merge(p.userId(), 1, Integer::sum);
      }
    }
    double cap = cap(perUser);
    double[] w = new double[pairs.size()];
    for (int i = 0; i < w.length; i++) {
      String u = pairs.get(i).userId();
      w[i] = u == null ? 1.0 : Math.min(1.0, cap / perUser.get(u));
    }
    return w;
  }
}
