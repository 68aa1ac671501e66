package io.prefstream.model.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shared numerical core: minimises, for every key k at once,
 *
 * <pre>  L_k(u_k) = Σ_p∈k c_p · softplus(m_p − (w_k + u_k)·(x⁺_p − x⁻_p)) + ½·l2·‖u_k‖²</pre>
 *
 * with c_p = weight_p / Σ_{q∈k} weight_q, on the PyTorch engine (GPU when one exists).
 *
 * <p>Layout: each key's pair differences are laid out as a row of a padded {@code [K_b, M, D]} tensor
 * (padding rows are zero with zero weight), so a step is two broadcast products with sums,
 * O(K_b·M·D) ≈ O(P·D), no scatter (scatter-add is not deterministic on GPUs) and no one-hot routing
 * (which cost O(P·K·D)). Keys go to size classes by their own pair count ({@link #paddedRows}, ≤ 25%
 * padding); small classes merge into the next one while that padding is cheaper than another
 * bucket's per-step op overhead ({@link #merged}).
 *
 * <p>On the CPU a key's result is the same bits whichever other keys share the call (tested bitwise),
 * not just the same bits for the same call: z sums each key's row along D by itself; the gradient
 * sums along M per column, and trailing zero rows leave those sums' bits unchanged (PyTorch's cascade
 * sum only regroups additions of zero); elementwise ops are exact, except that CPU kernels run the tail
 * of an array through the scalar exp instead of the vectorised one, so the sigmoid runs in float64
 * where the two differ far below float resolution. This rests on PyTorch 2.7's CPU kernels (tested on
 * 2 threads); CUDA reductions pick their strategy by shape, so on a GPU only "same call, same bits" is
 * claimed, and callers that need equal bits across calls should keep forming identical calls.
 *
 * <p>The gradient is the closed form of that loss (it is a linear logistic model), so no autograd tape.
 */
final class LinearPreferenceOptimizer implements AutoCloseable {
  private final Engine engine;
  private final Device device;
  private final NDManager manager;

  LinearPreferenceOptimizer() {
    this.engine = Engine.getEngine("PyTorch");
    this.device = engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    this.manager = engine.newBaseManager(device);
  }

  String device() {
    return device.toString();
  }

  record Outcome(List<float[]> parameters, double meanLoss, int steps) {}

  /**
   * Rows a key with {@code pairs} pairs occupies in its bucket: at least 4, then rounded up to a
   * quarter of the count's highest power of two (≤ 25% padding, about four buckets per doubling).
   */
  static int paddedRows(int pairs) {
    if (pairs <= 4) {
      return pairs == 0 ? 0 : 4;
    }
    int q = Math.max(1, Integer.highestOneBit(pairs) / 4);
    return (pairs + q - 1) / q * q;
  }

  /**
   * @param frozen per key, the fixed part w_k
   * @param initial per key, the starting u_k
   * @param adam Adam (for offline training from scratch) instead of plain gradient descent (online)
   */
  Outcome optimise(List<float[]> frozen, List<float[]> initial, List<TrainingPair> pairs, float lr,
      int steps, float l2, boolean adam) {
    int k = frozen.size();
    if (initial.size() != k) {
      throw new IllegalArgumentException("frozen has " + k + " keys but initial has " + initial.size());
    }
    if (k == 0) {
      return new Outcome(List.of(), 0, 0);
    }
    int d = frozen.get(0).length;
    for (int i = 0; i < k; i++) {
      if (frozen.get(i).length != d || initial.get(i).length != d) {
        throw new IllegalArgumentException("key " + i + " has dimensions " + frozen.get(i).length + "/"
            + initial.get(i).length + "; expected " + d);
      }
    }
    List<float[]> result = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      result.add(initial.get(i).clone());
    }
    if (pairs.isEmpty()) {
      return new Outcome(result, 0, 0);
    }
    // Pairs of each key, in call order.
    List<List<TrainingPair>> byKey = new ArrayList<>(k);
    double[] keyWeight = new double[k];
    for (int i = 0; i < k; i++) {
      byKey.add(new ArrayList<>());
    }
    for (int i = 0; i < pairs.size(); i++) {
      TrainingPair tp = pairs.get(i);
      if (tp.keyIndex() >= k) {
        throw new IllegalArgumentException("pair " + i + " has keyIndex " + tp.keyIndex() + "; valid: 0.." + (k - 1));
      }
      if (tp.chosen().length != d) {
        throw new IllegalArgumentException("pair " + i + " has dimension " + tp.chosen().length + "; expected " + d);
      }
      byKey.get(tp.keyIndex()).add(tp);
      keyWeight[tp.keyIndex()] += tp.weight();
    }
    // Buckets: padded row count → keys (ascending key order inside a bucket).
    Map<Integer, List<Integer>> buckets = new TreeMap<>();
    int activeKeys = 0;
    for (int i = 0; i < k; i++) {
      int n = byKey.get(i).size();
      if (n > 0) {
        activeKeys++;
      }
      buckets.computeIfAbsent(paddedRows(n), x -> new ArrayList<>()).add(i);
    }
    double[] keyLoss = new double[k];
    try (NDManager nd = manager.newSubManager()) {
      for (Map.Entry<Integer, List<Integer>> b : merged(buckets, d).entrySet()) {
        runBucket(nd, b.getValue(), b.getKey(), d, frozen, byKey, keyWeight, lr, steps, l2, adam, result, keyLoss);
      }
    }
    double loss = 0;
    for (int i = 0; i < k; i++) {
      loss += keyLoss[i];
    }
    return new Outcome(result, loss / Math.max(1, activeKeys), steps);
  }

  /**
   * Merges a size class into the next larger one while the extra padding costs less than a bucket's own
   * per-step op overhead (measured ≈ {@link #MERGE_PADDING_ELEMENTS} elements): small calls then run as
   * one or two buckets, large ones keep their tight classes. Trailing zero rows do not change a key's
   * sums (see the class comment), so merging does not change a key's bits.
   */
  static Map<Integer, List<Integer>> merged(Map<Integer, List<Integer>> classes, int d) {
    Map<Integer, List<Integer>> out = new TreeMap<>();
    int rows = -1;
    List<Integer> keys = null;
    for (Map.Entry<Integer, List<Integer>> c : classes.entrySet()) {
      if (c.getKey() == 0) {
        out.put(0, c.getValue()); // no pairs: only the pull toward 0, no data term
        continue;
      }
      if (keys != null && (long) (c.getKey() - rows) * keys.size() * d <= MERGE_PADDING_ELEMENTS) {
        keys.addAll(c.getValue());
      } else {
        if (keys != null) {
          out.put(rows, keys);
        }
        keys = new ArrayList<>(c.getValue());
      }
      rows = c.getKey();
    }
    if (keys != null) {
      keys.sort(null);
      out.put(rows, keys);
    }
    for (List<Integer> v : out.values()) {
      v.sort(null);
    }
    return out;
  }

  /** Padding worth one bucket's fixed per-step cost (~12 small ops vs ~1.5 ns per padded element). */
  static final long MERGE_PADDING_ELEMENTS = 1L << 17;

  /** All steps for the keys of one bucket ({@code rows} padded pairs each); writes their u and loss. */
  private static void runBucket(NDManager parent, List<Integer> keys, int rows, int d, List<float[]> frozen,
      List<List<TrainingPair>> byKey, double[] keyWeight, float lr, int steps, float l2, boolean adam,
      List<float[]> result, double[] keyLoss) {
    int kb = keys.size();
    float[] fw = new float[kb * d];
    float[] uw = new float[kb * d];
    float[] diff = new float[kb * rows * d];
    float[] margin = new float[kb * rows];
    float[] negWeight = new float[kb * rows];
    for (int r = 0; r < kb; r++) {
      int key = keys.get(r);
      System.arraycopy(frozen.get(key), 0, fw, r * d, d);
      System.arraycopy(result.get(key), 0, uw, r * d, d);
      List<TrainingPair> own = byKey.get(key);
      for (int i = 0; i < own.size(); i++) {
        TrainingPair tp = own.get(i);
        int row = r * rows + i;
        float[] c = tp.chosen();
        float[] x = tp.rejected();
        int off = row * d;
        for (int j = 0; j < d; j++) {
          float v = c[j] - x[j];
          diff[off + j] = v;
        }
        margin[row] = tp.margin();
        negWeight[row] = -(float) (tp.weight() / keyWeight[key]);
      }
    }
    try (NDManager nd = parent.newSubManager()) {
      NDArray f = nd.create(fw, new Shape(kb, d));
      NDArray u = nd.create(uw, new Shape(kb, d));
      // Both sums stay per key: z sums along D (innermost, one row at a time), the gradient along M
      // (vectorised across D; PyTorch splits D between threads in 128-byte-aligned column ranges,
      // D = 768 divides evenly). A transposed [K_b, D, M] copy with an innermost M sum was measured
      // 7x slower for M ≈ 24 and gave nothing more.
      NDArray x = rows == 0 ? null : nd.create(diff, new Shape(kb, rows, d));
      // The sigmoid runs in float64: CPU kernels compute the last few elements of a range with the
      // scalar exp instead of the vectorised one, and which elements those are depends on the array's
      // size; in double the two differ far below float resolution, so the float result does not.
      NDArray m = rows == 0 ? null : nd.create(margin, new Shape(kb, rows)).toType(DataType.FLOAT64, false);
      NDArray nc = rows == 0 ? null : nd.create(negWeight, new Shape(kb, rows)).toType(DataType.FLOAT64, false);
      NDArray mom = adam ? nd.zeros(new Shape(kb, d), DataType.FLOAT32) : null;
      NDArray vel = adam ? nd.zeros(new Shape(kb, d), DataType.FLOAT32) : null;
      double beta1 = 0.9;
      double beta2 = 0.999;
      NDList persistent = rows == 0 ? new NDList(f) : new NDList(f, x, m, nc);
      for (int s = 1; s <= steps; s++) {
        // Every intermediate of this step lives in `step` and is freed with it; only the new
        // parameters (and Adam moments) move back to `nd`.
        try (NDManager step = nd.newSubManager()) {
          persistent.tempAttach(step);
          u.attach(step);
          NDArray grad = u.mul(l2);
          if (rows > 0) {
            // g_p = −c_p·σ(m_p − w·x_p), the derivative of c_p·softplus(m_p − w·x_p) by w·x_p
            NDArray z = score(f, u, x).toType(DataType.FLOAT64, false);
            NDArray g = nc.mul(Activation.sigmoid(m.sub(z))).toType(DataType.FLOAT32, false);
            grad = x.mul(g.expandDims(2)).sum(new int[] {1}).add(grad);
          }
          NDArray next;
          if (adam) {
            mom.attach(step);
            vel.attach(step);
            NDArray newMom = mom.mul(beta1).add(grad.mul(1 - beta1));
            NDArray newVel = vel.mul(beta2).add(grad.square().mul(1 - beta2));
            double bc1 = 1 - Math.pow(beta1, s);
            double bc2 = 1 - Math.pow(beta2, s);
            NDArray upd = newMom.div(bc1).div(newVel.div(bc2).sqrt().add(1e-8f)).mul(lr);
            next = u.sub(upd);
            newMom.attach(nd);
            newVel.attach(nd);
            mom = newMom;
            vel = newVel;
          } else {
            next = u.sub(grad.mul(lr));
          }
          next.attach(nd);
          u = next;
        }
      }
      double[] zs = rows == 0 ? new double[0]
          : score(f, u, x).toType(DataType.FLOAT64, false).sub(m).toDoubleArray();
      float[] out = u.toFloatArray();
      for (int r = 0; r < kb; r++) {
        int key = keys.get(r);
        float[] row = new float[d];
        System.arraycopy(out, r * d, row, 0, d);
        result.set(key, row);
        double loss = 0;
        for (int i = 0; i < byKey.get(key).size(); i++) {
          loss += -negWeight[r * rows + i] * softplusNeg(zs[r * rows + i]);
        }
        keyLoss[key] = loss;
      }
    }
  }

  /** (f + u)·x per pair: [K_b, M]. */
  private static NDArray score(NDArray f, NDArray u, NDArray x) {
    return x.mul(f.add(u).expandDims(1)).sum(new int[] {2});
  }

  private static double softplusNeg(double z) {
    double x = -z;
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** Arrays still held by this optimizer's manager and its children (0 between calls: no leak). */
  int liveArrays() {
    return manager.getManagedArrays().size();
  }

  @Override
  public void close() {
    manager.close();
  }
}
