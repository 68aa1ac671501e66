package io.prefstream.model.bench;

import io.prefstream.model.bench.NgramFeatures.Sparse;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * A linear Bradley–Terry model on sparse pair differences, fitted to its optimum: minimises
 * {@code mean(log(1 + exp(−w·x))) + l2·‖w‖²} (no margin) with L-BFGS. The objective is convex, so the fit
 * is the best this feature set can do at that L2 — which is what a ceiling estimate needs, rather than the
 * online learner's few steps.
 */
public final class SparseBradleyTerry {
  private static final int HISTORY = 10;

  private SparseBradleyTerry() {}

  /** The fitted weights (dimension {@code dim}). */
  public static double[] fit(List<Sparse> pairs, int dim, double l2, int maxIterations) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("no pairs to fit");
    }
    if (!(l2 > 0)) {
      throw new IllegalArgumentException("l2 must be > 0 (it keeps separable data bounded), got " + l2);
    }
    double[] w = new double[dim];
    double[] g = new double[dim];
    double f = objective(pairs, w, l2, g);
    Deque<double[][]> history = new ArrayDeque<>();
    for (int it = 0; it < maxIterations; it++) {
      double[] d = direction(g, history);
      double slope = dot(g, d);
      if (slope >= 0) { // not a descent direction (numerical trouble): restart from the gradient
        history.clear();
        d = negate(g);
        slope = dot(g, d);
      }
      double step = 1;
      double[] wNext = new double[dim];
      double[] gNext = new double[dim];
      double fNext;
      while (true) {
        for (int i = 0; i < dim; i++) {
          wNext[i] = w[i] + step * d[i];
        }
        fNext = objective(pairs, wNext, l2, gNext);
        if (fNext <= f + 1e-4 * step * slope || step < 1e-10) {
          break;
        }
        step *= 0.5;
      }
      double[] s = new double[dim];
      double[] y = new double[dim];
      for (int i = 0; i < dim; i++) {
        s[i] = wNext[i] - w[i];
        y[i] = gNext[i] - g[i];
      }
      if (dot(s, y) > 1e-12) {
        history.addLast(new double[][] {s, y});
        if (history.size() > HISTORY) {
          history.removeFirst();
        }
      }
      boolean converged = f - fNext < 1e-9 * Math.max(1, Math.abs(f));
      w = wNext;
      g = gNext;
      f = fNext;
      if (converged) {
        break;
      }
    }
    return w;
  }

  /** The share of pairs whose chosen side scores higher (ties count as wrong). */
  public static double accuracy(double[] w, List<Sparse> pairs) {
    int right = 0;
    for (Sparse x : pairs) {
      if (score(w, x) > 0) {
        right++;
      }
    }
    return pairs.isEmpty() ? Double.NaN : (double) right / pairs.size();
  }

  public static double score(double[] w, Sparse x) {
    double z = 0;
    for (int k = 0; k < x.index().length; k++) {
      z += w[x.index()[k]] * x.value()[k];
    }
    return z;
  }

  private static double objective(List<Sparse> pairs, double[] w, double l2, double[] gradient) {
    double loss = 0;
    double scale = 1.0 / pairs.size();
    for (int i = 0; i < w.length; i++) {
      gradient[i] = 2 * l2 * w[i];
      loss += l2 * w[i] * w[i];
    }
    for (Sparse x : pairs) {
      double z = score(w, x);
      // softplus(−z), computed without overflow for large |z|
      loss += scale * (z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z)));
      double coefficient = -scale / (1 + Math.exp(z));
      for (int k = 0; k < x.index().length; k++) {
        gradient[x.index()[k]] += coefficient * x.value()[k];
      }
    }
    return loss;
  }

  /** The L-BFGS two-loop recursion: −H·g from the last few (s, y) pairs. */
  private static double[] direction(double[] g, Deque<double[][]> history) {
    double[] q = g.clone();
    int m = history.size();
    double[] alpha = new double[m];
    double[][][] pairs = history.toArray(new double[0][][]);
    for (int i = m - 1; i >= 0; i--) {
      double rho = 1 / dot(pairs[i][1], pairs[i][0]);
      alpha[i] = rho * dot(pairs[i][0], q);
      axpy(-alpha[i], pairs[i][1], q);
    }
    if (m > 0) {
      double[] s = pairs[m - 1][0];
      double[] y = pairs[m - 1][1];
      double gamma = dot(s, y) / dot(y, y);
      for (int i = 0; i < q.length; i++) {
        q[i] *= gamma;
      }
    }
    for (int i = 0; i < m; i++) {
      double rho = 1 / dot(pairs[i][1], pairs[i][0]);
      double beta = rho * dot(pairs[i][1], q);
      axpy(alpha[i] - beta, pairs[i][0], q);
    }
    return negate(q);
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int i = 0; i < x.length; i++) {
      y[i] += a * x[i];
    }
  }

  private static double[] negate(double[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = -a[i];
    }
    return out;
  }
}
