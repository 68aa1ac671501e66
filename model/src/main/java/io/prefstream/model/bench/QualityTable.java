package io.prefstream.model.bench;

import io.prefstream.model.bert.EncoderTuning;
import io.prefstream.model.customize.Customizer;
import io.prefstream.model.customize.UserDomain;
import io.prefstream.model.data.DspResponses;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PairEncoder;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.data.PromptSplit;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.eval.Evaluator;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.PreferenceLoss;
import io.prefstream.model.reward.RewardModel;
import io.prefstream.model.train.BaseTrainer;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.model.train.TrainingPair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Trains the base on the general train split, customizes on the DSP train split, and measures pairwise
 * accuracy on held-out prompts: the base and every customized model on every DSP domain and on each
 * general set (Cheng et al.'s table), plus a new user's accuracy after a few events.
 */
public final class QualityTable {
  private final QualityConfig config;

  public QualityTable(QualityConfig config) {
    this.config = config;
  }

  /**
   * rows: model name → column → accuracy; newUser: label → accuracy; ownStyleByRejectedStyle: customized model (its
   * domain) → style of the rejected response → accuracy on that domain's test pairs (empty without the raw file).
   */
  public record Result(String encoderId, int featureDim, List<String> columns, Map<String, Map<String, Double>> rows,
      Map<String, Integer> testPairs, Map<String, Double> newUser,
      Map<String, Map<String, Double>> ownStyleByRejectedStyle, long millis) {}

  public Result run(Consumer<String> progress) {
    long t0 = System.currentTimeMillis();
    Map<String, List<PreferenceRecord>> generalTest = new LinkedHashMap<>();
    List<PreferenceRecord> generalTrain = new ArrayList<>();
    for (Path f : config.generalFiles()) {
      PromptSplit.Parts parts = PromptSplit.split(EventFiles.read(f), config.testPercent());
      generalTrain.addAll(parts.train());
      generalTest.put(EventFiles.setName(f), parts.test());
    }
    PromptSplit.Parts dsp = PromptSplit.split(EventFiles.read(config.dspFiles()), config.testPercent());
    List<PreferenceRecord> all = new ArrayList<>(generalTrain);
    generalTest.values().forEach(all::addAll);
    all.addAll(dsp.train());
    all.addAll(dsp.test());
    List<PreferenceRecord> tuneTrain = new ArrayList<>(generalTrain);
    tuneTrain.addAll(dsp.train());
    try (CachingEncoder enc = config.tune() == null
        ? new CachingEncoder(Encoders.open(config.encoderSpec()), 200_000, config.cacheDir())
        : new CachingEncoder(new EncoderTuning(config.tune(), config.encoderSpec(), config.hiddenCacheDir(),
            config.tunedEncoderOut(), config.layout()).tune(all, tuneTrain, progress), 200_000, null)) {
      PairFeaturizer fz = new PairFeaturizer(enc, config.layout());
      progress.accept("featurizing " + all.size() + " pairs with " + fz.encoderId() + " (D=" + fz.dimension() + ")");
      long[] last = {System.currentTimeMillis()};
      List<FeaturizedPair> feats = PairEncoder.encode(fz, all, n -> {
        if (System.currentTimeMillis() - last[0] > 15_000) {
          last[0] = System.currentTimeMillis();
          progress.accept("  " + n + " distinct texts embedded");
        }
      });
      progress.accept(String.format("embedding cache: %d hits, %d misses", enc.hits(), enc.misses()));
      int at = 0;
      List<FeaturizedPair> gTrain = feats.subList(at, at += generalTrain.size());
      Map<String, List<FeaturizedPair>> gTest = new LinkedHashMap<>();
      for (Map.Entry<String, List<PreferenceRecord>> e : generalTest.entrySet()) {
        gTest.put(e.getKey(), feats.subList(at, at += e.getValue().size()));
      }
      List<FeaturizedPair> dTrain = feats.subList(at, at += dsp.train().size());
      List<FeaturizedPair> dTest = feats.subList(at, at += dsp.test().size());
      Map<String, List<FeaturizedPair>> dTestByDomain = new TreeMap<>();
      for (FeaturizedPair p : dTest) {
        dTestByDomain.computeIfAbsent(p.record().domain(), k -> new ArrayList<>()).add(p);
      }

      long now = System.currentTimeMillis();
      progress.accept("training the base on " + gTrain.size() + " general pairs");
      BaseModel base;
      try (BaseTrainer bt = new BaseTrainer(config.base())) {
        List<TrainingPair> tp = new ArrayList<>();
        for (FeaturizedPair p : gTrain) {
          tp.add(new TrainingPair(0, p.chosen(), p.rejected(),
              PreferenceLoss.margin(p.record().strength(), config.base().marginScale()), 1f));
        }
        base = new BaseModel(1, fz.encoderId(), fz.dimension(), bt.trainBase(fz.dimension(), tp), Map.of(),
            tp.size(), now);
      }
      progress.accept("customizing on " + dTrain.size() + " DSP pairs");
      Customizer.Result custom = new Customizer(config.customize()).customize(base, dTrain, gTrain, now, progress);

      List<String> columns = new ArrayList<>(dTestByDomain.keySet());
      columns.addAll(gTest.keySet());
      Map<String, Integer> testPairs = new LinkedHashMap<>();
      dTestByDomain.forEach((k, v) -> testPairs.put(k, v.size()));
      gTest.forEach((k, v) -> testPairs.put(k, v.size()));
      Map<String, Map<String, Double>> rows = new LinkedHashMap<>();
      rows.put("base", row(dTestByDomain, gTest, RewardModel.of(base, null, null)));
      Map<String, String> styleOfText = config.dspRaw() == null ? Map.of() : DspResponses.stylesByText(config.dspRaw());
      Map<String, Map<String, Double>> byRejected = new LinkedHashMap<>();
      for (Map.Entry<UserDomain, IndividualModel> e : custom.individuals().entrySet()) {
        RewardModel m = RewardModel.of(custom.base(), e.getKey().domain(), e.getValue());
        rows.put(e.getKey().domain(), row(dTestByDomain, gTest, m));
        if (!styleOfText.isEmpty()) {
          byRejected.put(e.getKey().domain(),
              byRejectedStyle(m, dTestByDomain.getOrDefault(e.getKey().domain(), List.of()), styleOfText));
        }
      }
      for (String domain : dTestByDomain.keySet()) {
        rows.put(domain + " (generic only)",
            row(dTestByDomain, gTest, RewardModel.of(custom.base(), domain, null)));
      }
      Map<String, Double> newUser = newUsers(base, custom.base(), dTrain, dTestByDomain, gTrain);
      return new Result(fz.encoderId(), fz.dimension(), columns, rows, testPairs, newUser, byRejected,
          System.currentTimeMillis() - t0);
    }
  }

  /**
   * A new user per style contributes its first {@code newUserEvents} train events (online batches, as the
   * learner would): accuracy with the generic part alone, with generic + individual, and, for a domain
   * with no generic part, base + individual.
   */
  private Map<String, Double> newUsers(BaseModel base, BaseModel customized, List<FeaturizedPair> dTrain,
      Map<String, List<FeaturizedPair>> dTest, List<FeaturizedPair> gTrain) {
    Map<String, Double> out = new LinkedHashMap<>();
    Random rnd = new Random(99);
    int n = config.newUserEvents();
    try (BatchedIndividualTrainer trainer = new BatchedIndividualTrainer(config.customize().individual())) {
      for (String domain : dTest.keySet()) {
        List<FeaturizedPair> own = new ArrayList<>();
        for (FeaturizedPair p : dTrain) {
          if (p.record().domain().equals(domain)) {
            own.add(p);
          }
        }
        Collections.shuffle(own, rnd);
        own = own.subList(0, Math.min(n, own.size()));
        for (boolean withGeneric : new boolean[] {true, false}) {
          BaseModel b = withGeneric ? customized : base;
          float[] frozen = b.weights().clone();
          float[] g = b.generic(domain);
          if (g != null) {
            for (int i = 0; i < frozen.length; i++) {
              frozen[i] += g[i];
            }
          }
          float[] u = new float[b.featureDim()];
          int batch = config.customize().batchSize();
          for (int epoch = 0; epoch < config.customize().epochs(); epoch++) {
            for (int from = 0; from < own.size(); from += batch) {
              List<TrainingPair> tp = new ArrayList<>();
              for (FeaturizedPair p : own.subList(from, Math.min(own.size(), from + batch))) {
                tp.add(new TrainingPair(0, p.chosen(), p.rejected(),
                    PreferenceLoss.margin(p.record().strength(), config.customize().individual().marginScale()), 1f));
              }
              for (int e = 0; e < config.customize().enrichmentPerBatch(); e++) {
                FeaturizedPair gp = gTrain.get(rnd.nextInt(gTrain.size()));
                tp.add(new TrainingPair(0, gp.chosen(), gp.rejected(),
                    config.customize().individual().marginScale(), config.customize().individual().enrichmentWeight()));
              }
              u = trainer.train(List.of(frozen), List.of(u), tp).individuals().get(0);
            }
          }
          IndividualModel im = new IndividualModel("new-" + domain, domain, 1, b.version(), u, own.size(), 0, 0, 0);
          double acc = accuracy(RewardModel.of(b, domain, im), dTest.get(domain));
          if (withGeneric) {
            out.put(domain + ": generic only", accuracy(RewardModel.of(b, domain, null), dTest.get(domain)));
            out.put(domain + ": generic + " + own.size() + " events", acc);
          } else {
            out.put(domain + ": base + " + own.size() + " events (no generic)", acc);
          }
        }
      }
    }
    return out;
  }

  private static Map<String, Double> row(Map<String, List<FeaturizedPair>> dsp, Map<String, List<FeaturizedPair>> general,
      RewardModel m) {
    Map<String, Double> r = new LinkedHashMap<>();
    dsp.forEach((k, v) -> r.put(k, accuracy(m, v)));
    general.forEach((k, v) -> r.put(k, accuracy(m, v)));
    return r;
  }

  private static Map<String, Double> byRejectedStyle(RewardModel m, List<FeaturizedPair> pairs,
      Map<String, String> styleOfText) {
    Map<String, List<FeaturizedPair>> groups = new TreeMap<>();
    for (FeaturizedPair p : pairs) {
      String style = styleOfText.get(p.record().rejected());
      if (style != null) {
        groups.computeIfAbsent(style, k -> new ArrayList<>()).add(p);
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    groups.forEach((style, g) -> out.put(style, accuracy(m, g)));
    return out;
  }

  static double accuracy(RewardModel m, List<FeaturizedPair> pairs) {
    int ok = 0;
    for (FeaturizedPair p : pairs) {
      if (m.reward(p.chosen()) > m.reward(p.rejected())) {
        ok++;
      }
    }
    return pairs.isEmpty() ? 0 : (double) ok / pairs.size();
  }

  /** The table as aligned text, one row per model. */
  public static String format(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("encoder %s, D=%d%n", r.encoderId(), r.featureDim()));
    sb.append(String.format("%-30s", "model \\ test set"));
    for (String c : r.columns()) {
      sb.append(String.format(" %13s", c + " (" + r.testPairs().get(c) + ")"));
    }
    sb.append('\n');
    r.rows().forEach((name, row) -> {
      sb.append(String.format("%-30s", name));
      for (String c : r.columns()) {
        sb.append(String.format(" %13.3f", row.get(c)));
      }
      sb.append('\n');
    });
    sb.append("new users:\n");
    r.newUser().forEach((k, v) -> sb.append(String.format("  %-45s %.3f%n", k, v)));
    if (!r.ownStyleByRejectedStyle().isEmpty()) {
      sb.append("customized models on their own style, by the rejected response's style:\n");
      r.ownStyleByRejectedStyle().forEach((model, byStyle) -> {
        StringBuilder line = new StringBuilder();
        byStyle.forEach((style, a) -> line.append(String.format(" %s %.3f", style, a)));
        sb.append(String.format("  %-20s%s%n", model, line));
      });
    }
    return sb.toString();
  }
}
