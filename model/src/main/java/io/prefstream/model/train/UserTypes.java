package io.prefstream.model.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * k-means over users' residual vectors: the user types of one domain ({@link GenericRefit}). Deterministic for the
 * same input and seed. Euclidean distance, because a residual's length carries meaning (a user with a strong, well
 * supported taste has a long one), and the learner compares types by their loss on a user's events, not by angle.
 */
final class UserTypes {
  private static final int MAX_ITERATIONS = 50;

  private UserTypes() {}

  /**
   * @param centres the types, relative to the new generic part (empty: none kept)
   * @param sizes sampled residuals per type
   * @param explained 1 − within-type / total sum of squares of the sampled residuals
   */
  record Fit(List<float[]> centres, List<Integer> sizes, double explained) {
    static final Fit NONE = new Fit(List.of(), List.of(), 0);
  }

  /**
   * @param residuals sampled residuals against the current generic model (not modified)
   * @param shift the generic part's move: residuals are clustered relative to the new generic part
   * @param start centres to start from (the previous version's types, moved to the new generic part); used when
   *     there are exactly {@code k} of them, else k-means++ seeding
   */
  static Fit fit(List<float[]> residuals, float[] shift, List<float[]> start, int k, int minSize, long seed) {
    int n = residuals.size();
    if (k < 2 || n < 2 * minSize || n < k) {
      return Fit.NONE;
    }
    int dim = shift.length;
    float[][] x = new float[n][];
    double total = 0;
    for (int j = 0; j < n; j++) {
      float[] r = residuals.get(j);
      float[] v = new float[dim];
      for (int i = 0; i < dim; i++) {
        v[i] = r[i] - shift[i];
        total += (double) v[i] * v[i];
      }
      x[j] = v;
    }
    double[][] c = start.size() == k ? copy(start) : seedPlusPlus(x, k, new SplittableRandom(seed));
    int[] assign = new int[n];
    java.util.Arrays.fill(assign, -1);
    for (int it = 0; it < MAX_ITERATIONS; it++) {
      boolean moved = false;
      for (int j = 0; j < n; j++) {
        int best = nearest(c, x[j]);
        if (best != assign[j]) {
          assign[j] = best;
          moved = true;
        }
      }
      if (!moved) {
        break;
      }
      c = means(x, assign, c);
    }
    // Keep the groups big enough to speak for a taste; their points are not reassigned (a dropped group's users are
    // closest to no kept type and simply start from the generic part).
    int[] size = new int[c.length];
    for (int a : assign) {
      size[a]++;
    }
    List<float[]> centres = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    int[] keptIndex = new int[c.length];
    for (int t = 0; t < c.length; t++) {
      keptIndex[t] = -1;
      if (size[t] >= minSize) {
        keptIndex[t] = centres.size();
        float[] f = new float[dim];
        for (int i = 0; i < dim; i++) {
          f[i] = (float) c[t][i];
        }
        centres.add(f);
        sizes.add(size[t]);
      }
    }
    if (centres.size() < 2) {
      return Fit.NONE; // one group is the generic part itself
    }
    double within = 0;
    for (int j = 0; j < n; j++) {
      double[] centre = keptIndex[assign[j]] >= 0 ? c[assign[j]] : null;
      for (int i = 0; i < dim; i++) {
        double dv = x[j][i] - (centre == null ? 0 : centre[i]);
        within += dv * dv;
      }
    }
    return new Fit(centres, sizes, total == 0 ? 0 : Math.max(0, 1 - within / total));
  }

  private static double[][] copy(List<float[]> start) {
    double[][] c = new double[start.size()][];
    for (int t = 0; t < c.length; t++) {
      c[t] = toDouble(start.get(t));
    }
    return c;
  }

  /** k-means++: each next centre drawn with probability proportional to the squared distance to the nearest one. */
  private static double[][] seedPlusPlus(float[][] x, int k, SplittableRandom random) {
    int n = x.length;
    double[][] c = new double[k][];
    c[0] = toDouble(x[random.nextInt(n)]);
    double[] d2 = new double[n];
    for (int j = 0; j < n; j++) {
      d2[j] = distance2(c[0], x[j]);
    }
    for (int t = 1; t < k; t++) {
      double sum = 0;
      for (double v : d2) {
        sum += v;
      }
      int pick = 0;
      if (sum > 0) {
        double target = random.nextDouble() * sum;
        double acc = 0;
        for (int j = 0; j < n; j++) {
          acc += d2[j];
          if (acc >= target) {
            pick = j;
            break;
          }
        }
      } else {
        pick = random.nextInt(n);
      }
      c[t] = toDouble(x[pick]);
      for (int j = 0; j < n; j++) {
        d2[j] = Math.min(d2[j], distance2(c[t], x[j]));
      }
    }
    return c;
  }

  private static double[][] means(float[][] x, int[] assign, double[][] previous) {
    int k = previous.length;
    int dim = previous[0].length;
    double[][] sum = new double[k][dim];
    int[] count = new int[k];
    for (int j = 0; j < x.length; j++) {
      int a = assign[j];
      count[a]++;
      for (int i = 0; i < dim; i++) {
        sum[a][i] += x[j][i];
      }
    }
    for (int t = 0; t < k; t++) {
      if (count[t] == 0) {
        sum[t] = previous[t].clone(); // an empty group keeps its centre (and is dropped if it stays small)
      } else {
        for (int i = 0; i < dim; i++) {
          sum[t][i] /= count[t];
        }
      }
    }
    return sum;
  }

  private static int nearest(double[][] c, float[] v) {
    int best = 0;
    double bestD = Double.POSITIVE_INFINITY;
    for (int t = 0; t < c.length; t++) {
      double d = distance2(c[t], v);
      if (d < bestD) {
        bestD = d;
        best = t;
      }
    }
    return best;
  }

  private static double distance2(double[] c, float[] v) {
    double s = 0;
    for (int i = 0; i < v.length; i++) {
      double d = c[i] - v[i];
      s += d * d;
    }
    return s;
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
