package io.prefstream.model.bert;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.reward.FeatureLayout;
import io.prefstream.model.reward.PreferenceLoss;
import io.prefstream.model.reward.StyleVocabulary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Fine-tunes the shared encoder's top layers together with the reward heads on everyone's pairs (the paper's
 * stage 1→2→3 with P-RLHF's user model): general pairs (no user) train the base head {@code w}; a user's pairs
 * train {@code w + g_domain}, the domain's generic head. Rewards are {@code head · f(prompt, response)} with the
 * {@code PairFeaturizer} layout the model will use ({@code [e(r) | v(r)]} by default, v the fixed style counts;
 * or {@code [e(r) | e(p) ⊙ e(r)]}), where {@code e} is now the tuned encoder, so the tuned pooled features are the
 * ones the linear base / generic / individual parts are later refit on. Loss: weighted Bradley–Terry with margin ({@link PreferenceLoss}) + {@code distillWeight}·
 * ‖e_tuned(chosen) − e_pretrained(chosen)‖², the feature-distillation stand-in for the paper's imitation loss.
 *
 * <p>The frozen layers' output comes from a {@link HiddenStateCache}; only the top {@code k} layers run per step.
 * Each user's pairs are weighted by {@link UserCap} so no user moves the shared parameters by more than the cap.
 */
public final class EncoderTuner {
  private final EncoderTuneConfig config;
  /** The style vocabulary when the heads score {@code [e(r) | v(r)]}, null for {@code [e(r) | e(p) ⊙ e(r)]}. */
  private final StyleVocabulary style;

  /** Heads over the default feature layout ({@link FeatureLayout#style()}). */
  public EncoderTuner(EncoderTuneConfig config) {
    this(config, FeatureLayout.style());
  }

  /**
   * @param layout the features the heads score, so the encoder learns what the rest of that layout lacks: with the
   *     style layout {@code [e(r) | v(r)]} (v fixed), the pairwise one {@code [e(r) | e(p) ⊙ e(r)]} (hashed blocks
   *     are not part of tuning)
   */
  public EncoderTuner(EncoderTuneConfig config, FeatureLayout layout) {
    this.config = config;
    this.style = layout.vocabulary();
  }

  /** What a tuning run produced; {@code top} is owned by the caller. */
  /**
   * @param epochAccuracy running pair accuracy per epoch (each step's pairs scored before its update)
   * @param epochLoss mean weighted Bradley–Terry loss per epoch (without the distillation term)
   * @param baseHead the tuned base head over the layout's D features
   * @param genericHeads per user domain, the tuned generic head (added to the base head)
   * @param userWeightShare mean weight of user pairs after the cap (1 = uncapped)
   */
  public record Result(TunedTop top, int steps, long millis, List<Double> epochAccuracy, List<Double> epochLoss,
      float[] baseHead, Map<String, float[]> genericHeads, double userWeightShare) {}

  /**
   * Tunes on {@code train} (general pairs have a null userId). {@code cache} must hold every text of
   * {@code train} (see {@link HiddenStateCache#fill}); its split must be at or below the first tuned layer.
   */
  public Result tune(MiniLmEncoder pretrained, HiddenStateCache cache, List<PreferenceRecord> train,
      Consumer<String> progress) {
    long t0 = System.currentTimeMillis();
    BertConfig bc = pretrained.block().config();
    int h = bc.hidden();
    int d = style != null ? h + style.size() : 2 * h;
    TunedTop top = TunedTop.copyOf(pretrained.block(), config.topLayers(), pretrained.manager());
    try {
      // Domains of user pairs get generic heads at rows 1..; row 0 is never used (general pairs are masked).
      Map<String, Integer> domains = new TreeMap<>();
      for (PreferenceRecord r : train) {
        if (r.userId() != null) {
          domains.putIfAbsent(r.domain(), 0);
        }
      }
      int di = 1;
      for (Map.Entry<String, Integer> e : domains.entrySet()) {
        e.setValue(di++);
      }
      double[] weights = config.userCap().weights(train);
      double userWeight = 0;
      double userCount = 0;
      Map<String, List<Integer>> byPrompt = new LinkedHashMap<>();
      List<Integer> general = new ArrayList<>();
      for (int i = 0; i < train.size(); i++) {
        PreferenceRecord r = train.get(i);
        if (r.userId() == null) {
          general.add(i);
        } else {
          byPrompt.computeIfAbsent(r.prompt(), k -> new ArrayList<>()).add(i);
          userWeight += weights[i];
          userCount++;
        }
      }
      List<List<Integer>> groups = new ArrayList<>(byPrompt.values());
      Random rnd = new Random(config.seed());
      TunedMiniLmEncoder view = new TunedMiniLmEncoder("tuning", pretrained, top, cache);

      NDManager nd = pretrained.manager();
      NDArray w = nd.zeros(new Shape(d));
      NDArray g = nd.zeros(new Shape(domains.size() + 1, d));
      w.setRequiresGradient(true);
      g.setRequiresGradient(true);
      top.setRequiresGradient(true);
      Optimizer encOpt = Optimizer.adam().optLearningRateTracker(Tracker.fixed(config.encoderLr())).build();
      Optimizer headOpt = Optimizer.adam().optLearningRateTracker(Tracker.fixed(config.headLr())).build();
      List<Parameter> params = top.parameters();

      int steps = 0;
      int gCursor = 0;
      Collections.shuffle(general, rnd);
      List<Double> epochAcc = new ArrayList<>();
      List<Double> epochLoss = new ArrayList<>();
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        Collections.shuffle(groups, rnd);
        int correct = 0;
        int seen = 0;
        double lossSum = 0;
        int stepsPerEpoch = Math.max(1, (groups.size() + config.userPromptsPerStep() - 1)
            / config.userPromptsPerStep());
        for (int s = 0; s < stepsPerEpoch; s++) {
          List<Integer> pairs = new ArrayList<>();
          for (int j = s * config.userPromptsPerStep();
              j < Math.min(groups.size(), (s + 1) * config.userPromptsPerStep()); j++) {
            pairs.addAll(groups.get(j));
          }
          for (int j = 0; j < config.generalPairsPerStep() && !general.isEmpty(); j++) {
            pairs.add(general.get(gCursor++ % general.size()));
          }
          if (pairs.isEmpty()) {
            continue;
          }
          double[] ok = step(view, train, weights, pairs, domains, w, g, params, encOpt, headOpt, nd);
          correct += (int) ok[0];
          seen += (int) ok[1];
          lossSum += ok[2];
          steps++;
          if (steps % 20 == 0) {
            progress.accept(String.format("  tune step %d (epoch %d): running pair accuracy %.3f, %.1f s", steps,
                epoch + 1, (double) correct / Math.max(1, seen), (System.currentTimeMillis() - t0) / 1000.0));
          }
        }
        epochAcc.add((double) correct / Math.max(1, seen));
        epochLoss.add(lossSum / stepsPerEpoch);
        progress.accept(String.format("tune epoch %d: %d steps, running pair accuracy %.3f, %.1f s", epoch + 1,
            stepsPerEpoch, epochAcc.get(epochAcc.size() - 1), (System.currentTimeMillis() - t0) / 1000.0));
      }
      top.setRequiresGradient(false);
      float[] baseHead = w.toFloatArray();
      float[] gAll = g.toFloatArray();
      Map<String, float[]> generic = new TreeMap<>();
      domains.forEach((dom, idx) -> generic.put(dom, java.util.Arrays.copyOfRange(gAll, idx * d, (idx + 1) * d)));
      w.close();
      g.close();
      return new Result(top, steps, System.currentTimeMillis() - t0, epochAcc, epochLoss, baseHead, generic,
          userCount == 0 ? 0 : userWeight / userCount);
    } catch (RuntimeException e) {
      top.close();
      throw e;
    }
  }

  /** One optimiser step on {@code pairs}; returns {correct, pairs, BT loss} (measured before the update). */
  private double[] step(TunedMiniLmEncoder view, List<PreferenceRecord> train, double[] weights, List<Integer> pairs,
      Map<String, Integer> domains, NDArray w, NDArray g, List<Parameter> params, Optimizer encOpt,
      Optimizer headOpt, NDManager parent) {
    Map<String, Integer> textIndex = new LinkedHashMap<>();
    int n = pairs.size();
    long[] pIdx = new long[n];
    long[] cIdx = new long[n];
    long[] rIdx = new long[n];
    long[] dIdx = new long[n];
    float[] margin = new float[n];
    float[] weight = new float[n];
    float[] isUser = new float[n];
    for (int i = 0; i < n; i++) {
      PreferenceRecord r = train.get(pairs.get(i));
      pIdx[i] = textIndex.computeIfAbsent(r.prompt(), k -> textIndex.size());
      cIdx[i] = textIndex.computeIfAbsent(r.chosen(), k -> textIndex.size());
      rIdx[i] = textIndex.computeIfAbsent(r.rejected(), k -> textIndex.size());
      dIdx[i] = r.userId() == null ? 0 : domains.get(r.domain());
      isUser[i] = r.userId() == null ? 0f : 1f;
      margin[i] = PreferenceLoss.margin(r.strength(), config.marginScale());
      weight[i] = (float) weights[pairs.get(i)];
    }
    List<String> texts = new ArrayList<>(textIndex.keySet());
    float[] original = new float[cIdx.length * view.dimension()];
    HiddenStateCache cache = cacheOf(view);
    for (int i = 0; i < n; i++) {
      System.arraycopy(cache.get(texts.get((int) cIdx[i])).original(), 0, original, i * view.dimension(),
          view.dimension());
    }
    try (NDManager sub = parent.newSubManager();
        GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray e = view.embed(texts, sub, true);
      NDArray ep = e.get(new NDIndex("{}", sub.create(pIdx)));
      NDArray ec = e.get(new NDIndex("{}", sub.create(cIdx)));
      NDArray er = e.get(new NDIndex("{}", sub.create(rIdx)));
      NDArray fc;
      NDArray fr;
      if (style != null) {
        // the style block is fixed (no gradient): the encoder learns what the counts do not already say
        fc = NDArrays.concat(new NDList(ec, styleBlock(train, pairs, true, sub)), 1);
        fr = NDArrays.concat(new NDList(er, styleBlock(train, pairs, false, sub)), 1);
      } else {
        fc = NDArrays.concat(new NDList(ec, ep.mul(ec)), 1);
        fr = NDArrays.concat(new NDList(er, ep.mul(er)), 1);
      }
      // General pairs score with the base head alone; user pairs with base + their domain's generic head.
      NDArray heads = g.get(new NDIndex("{}", sub.create(dIdx))).mul(sub.create(isUser).expandDims(1)).add(w);
      NDArray diff = fc.sub(fr).mul(heads).sum(new int[] {1});
      NDArray z = diff.sub(sub.create(margin));
      // −log σ(z) = softplus(−z), written stably as max(−z, 0) + log(1 + exp(−|z|)).
      NDArray nz = z.neg();
      NDArray bt = nz.maximum(0f).add(nz.abs().neg().exp().add(1f).log());
      NDArray loss = bt.mul(sub.create(weight)).sum().div((float) n);
      double btLoss = loss.getFloat();
      if (config.distillWeight() > 0) {
        NDArray anchor = sub.create(original, new Shape(n, view.dimension()));
        loss = loss.add(ec.sub(anchor).square().sum(new int[] {1}).mean().mul(config.distillWeight()));
      }
      gc.backward(loss);
      float[] dv = diff.toFloatArray();
      int correct = 0;
      for (float v : dv) {
        if (v > 0) {
          correct++;
        }
      }
      for (Parameter p : params) {
        NDArray grad = p.getArray().getGradient();
        encOpt.update(p.getId(), p.getArray(), grad);
        grad.subi(grad);
      }
      for (NDArray head : new NDArray[] {w, g}) {
        NDArray grad = head.getGradient();
        headOpt.update(head == w ? "head.w" : "head.g", head, grad);
        grad.subi(grad);
      }
      return new double[] {correct, n, btLoss};
    }
  }

  private NDArray styleBlock(List<PreferenceRecord> train, List<Integer> pairs, boolean chosen, NDManager sub) {
    int v = style.size();
    float[] out = new float[pairs.size() * v];
    for (int i = 0; i < pairs.size(); i++) {
      PreferenceRecord r = train.get(pairs.get(i));
      style.vector(chosen ? r.chosen() : r.rejected(), out, i * v);
    }
    return sub.create(out, new Shape(pairs.size(), v));
  }

  private static HiddenStateCache cacheOf(TunedMiniLmEncoder view) {
    return view.cache();
  }
}
