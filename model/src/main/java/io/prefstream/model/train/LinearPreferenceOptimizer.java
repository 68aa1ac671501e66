package io.prefstream.model.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared numerical core: minimises, for every key k at once,
 *
 * <pre>  L_k(u_k) = Σ_p∈k c_p · softplus(m_p − (w_k + u_k)·(x⁺_p − x⁻_p)) + ½·l2·‖u_k‖²</pre>
 *
 * with c_p = weight_p / Σ_{q∈k} weight_q, over a [K, D] parameter on the PyTorch engine (GPU when one
 * exists). Keys are independent: a key's result does not depend on which other keys share the call.
 * Pairs are routed to keys by a one-hot [P, K] matrix and matrix products rather than scatter-add,
 * because scatter-add on a GPU is not deterministic and exactly-once replays must give equal bits.
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
    float[] fw = new float[k * d];
    float[] uw = new float[k * d];
    for (int i = 0; i < k; i++) {
      if (frozen.get(i).length != d || initial.get(i).length != d) {
        throw new IllegalArgumentException("key " + i + " has dimensions " + frozen.get(i).length + "/"
            + initial.get(i).length + "; expected " + d);
      }
      System.arraycopy(frozen.get(i), 0, fw, i * d, d);
      System.arraycopy(initial.get(i), 0, uw, i * d, d);
    }
    if (pairs.isEmpty()) {
      return new Outcome(copyRows(uw, k, d), 0, 0);
    }
    int p = pairs.size();
    float[] diff = new float[p * d];
    float[] onehot = new float[p * k];
    float[] margin = new float[p];
    float[] weight = new float[p];
    double[] keyWeight = new double[k];
    for (int i = 0; i < p; i++) {
      TrainingPair tp = pairs.get(i);
      if (tp.keyIndex() >= k) {
        throw new IllegalArgumentException("pair " + i + " has keyIndex " + tp.keyIndex() + "; valid: 0.." + (k - 1));
      }
      if (tp.chosen().length != d) {
        throw new IllegalArgumentException("pair " + i + " has dimension " + tp.chosen().length + "; expected " + d);
      }
      for (int j = 0; j < d; j++) {
        diff[i * d + j] = tp.chosen()[j] - tp.rejected()[j];
      }
      onehot[i * k + tp.keyIndex()] = 1f;
      margin[i] = tp.margin();
      keyWeight[tp.keyIndex()] += tp.weight();
    }
    int activeKeys = 0;
    for (double w : keyWeight) {
      if (w > 0) {
        activeKeys++;
      }
    }
    for (int i = 0; i < p; i++) {
      weight[i] = (float) (pairs.get(i).weight() / keyWeight[pairs.get(i).keyIndex()]);
    }
    try (NDManager nd = manager.newSubManager()) {
      NDArray f = nd.create(fw, new Shape(k, d));
      NDArray u = nd.create(uw, new Shape(k, d));
      NDArray x = nd.create(diff, new Shape(p, d));
      NDArray route = nd.create(onehot, new Shape(p, k));
      NDArray routeT = route.transpose();
      NDArray m = nd.create(margin, new Shape(p));
      NDArray c = nd.create(weight, new Shape(p));
      NDArray mom = adam ? nd.zeros(new Shape(k, d), DataType.FLOAT32) : null;
      NDArray vel = adam ? nd.zeros(new Shape(k, d), DataType.FLOAT32) : null;
      double beta1 = 0.9;
      double beta2 = 0.999;
      NDList persistent = new NDList(f, x, route, routeT, m, c);
      for (int s = 1; s <= steps; s++) {
        // Every intermediate of this step lives in `step` and is freed with it; only the new
        // parameters (and Adam moments) move back to `nd`.
        try (NDManager step = nd.newSubManager()) {
          persistent.tempAttach(step);
          u.attach(step);
          NDArray w = f.add(u);
          NDArray z = route.dot(w).mul(x).sum(new int[] {1}).sub(m);
          // z = w·x − m; d/dz softplus(−z) = −sigmoid(−z)
          NDArray g = c.mul(Activation.sigmoid(z.neg())).neg();
          NDArray grad = routeT.dot(x.mul(g.expandDims(1))).add(u.mul(l2));
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
      // Final loss with the returned parameters.
      NDArray w = f.add(u);
      NDArray z = route.dot(w).mul(x).sum(new int[] {1}).sub(m);
      float[] zs = z.toFloatArray();
      double loss = 0;
      for (int i = 0; i < p; i++) {
        loss += weight[i] * softplusNeg(zs[i]);
      }
      float[] result = u.toFloatArray();
      return new Outcome(copyRows(result, k, d), loss / Math.max(1, activeKeys), steps);
    }
  }

  private static double softplusNeg(double z) {
    double x = -z;
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  private static List<float[]> copyRows(float[] flat, int k, int d) {
    List<float[]> out = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      float[] row = new float[d];
      System.arraycopy(flat, i * d, row, 0, d);
      out.add(row);
    }
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
