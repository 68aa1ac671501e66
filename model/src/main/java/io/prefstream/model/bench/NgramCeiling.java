package io.prefstream.model.bench;

import io.prefstream.model.bench.NgramFeatures.Kind;
import io.prefstream.model.bench.NgramFeatures.Sparse;
import io.prefstream.model.data.DspResponses;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.data.PromptSplit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * How far a strong bag-of-words model gets on the same held-out prompts as {@link QualityTable}: per DSP style a
 * linear Bradley–Terry model on TF-IDF n-grams (tens of thousands of coordinates, fitted to its optimum), and one
 * on helpful + harmless for the general base. The L2 strength is the best of a grid <em>on the test pairs</em>, so
 * every figure is an optimistic estimate of what a linear text model reaches with this much training data: it
 * tells whether a quality target is a matter of features (a ceiling above the reward model) or of data (a ceiling
 * at the reward model's level).
 */
public final class NgramCeiling {
  /**
   * @param dspRaw the DSP queries with their five responses by style (to name the rejected style of each test
   *     pair); null to skip that breakdown
   * @param trainFractions the learning curve: nested subsets of the train prompts, by the prompt hash order
   */
  public record Config(List<Path> general, List<Path> dsp, Path dspRaw, int testPercent, List<Kind> kinds,
      List<Double> l2Grid, List<Double> trainFractions, int maxIterations) {
    public Config {
      if (kinds.isEmpty() || l2Grid.isEmpty()) {
        throw new IllegalArgumentException("need at least one feature kind and one L2 value");
      }
      for (double f : trainFractions) {
        if (!(f > 0 && f <= 1)) {
          throw new IllegalArgumentException("train fractions must be in (0, 1], got " + f);
        }
      }
    }
  }

  /** One style's figures under one feature kind. */
  public record StyleResult(String style, int trainPairs, int testPairs, double accuracy, double bestL2,
      double trainAccuracy, Map<String, Double> accuracyByRejectedStyle, double topOfAllAccuracy,
      Map<Integer, Double> learningCurve) {}

  /** The general base's figures under one feature kind. */
  public record GeneralResult(int trainPairs, Map<String, Integer> testPairs, Map<String, Double> accuracy,
      double bestL2) {}

  public record KindResult(Kind kind, int dspDimension, List<StyleResult> styles, int generalDimension,
      GeneralResult general) {}

  public record Result(List<KindResult> kinds, long millis) {}

  private final Config config;

  public NgramCeiling(Config config) {
    this.config = config;
  }

  public Result run(Consumer<String> progress) {
    long t0 = System.currentTimeMillis();
    PromptSplit.Parts dsp = PromptSplit.split(EventFiles.read(config.dsp()), config.testPercent());
    Map<String, String> styleOfText = config.dspRaw() == null ? Map.of() : DspResponses.stylesByText(config.dspRaw());
    Map<String, List<PreferenceRecord>> generalTest = new LinkedHashMap<>();
    List<PreferenceRecord> generalTrain = new ArrayList<>();
    for (Path f : config.general()) {
      PromptSplit.Parts p = PromptSplit.split(EventFiles.read(f), config.testPercent());
      generalTrain.addAll(p.train());
      generalTest.put(EventFiles.setName(f), p.test());
    }
    Map<String, List<PreferenceRecord>> trainByUser = new TreeMap<>(byUser(dsp.train()));
    Map<String, List<PreferenceRecord>> testByUser = byUser(dsp.test());
    List<KindResult> out = new ArrayList<>();
    for (Kind kind : config.kinds()) {
      NgramFeatures dspFeatures = NgramFeatures.fit(kind, texts(dsp.train()), minDocuments(kind));
      progress.accept(kind + ": " + dspFeatures.dimension() + " DSP features");
      List<StyleResult> styles = new ArrayList<>();
      for (Map.Entry<String, List<PreferenceRecord>> e : trainByUser.entrySet()) {
        styles.add(style(e.getKey(), e.getValue(), testByUser.getOrDefault(e.getKey(), List.of()), dspFeatures,
            styleOfText, progress));
      }
      NgramFeatures generalFeatures = NgramFeatures.fit(kind, texts(generalTrain), minDocuments(kind));
      progress.accept(kind + ": " + generalFeatures.dimension() + " general features");
      out.add(new KindResult(kind, dspFeatures.dimension(), styles, generalFeatures.dimension(),
          general(generalTrain, generalTest, generalFeatures)));
    }
    return new Result(out, System.currentTimeMillis() - t0);
  }

  private StyleResult style(String user, List<PreferenceRecord> train, List<PreferenceRecord> test,
      NgramFeatures features, Map<String, String> styleOfText, Consumer<String> progress) {
    List<Sparse> x = diffs(train, features);
    List<Sparse> xt = diffs(test, features);
    double best = Double.NEGATIVE_INFINITY;
    double bestL2 = Double.NaN;
    double[] bestW = null;
    for (double l2 : config.l2Grid()) {
      double[] w = SparseBradleyTerry.fit(x, features.dimension(), l2, config.maxIterations());
      double a = SparseBradleyTerry.accuracy(w, xt);
      if (a > best) {
        best = a;
        bestL2 = l2;
        bestW = w;
      }
    }
    Map<String, int[]> byRejected = new TreeMap<>();
    Map<String, Boolean> allWon = new LinkedHashMap<>();
    for (int i = 0; i < test.size(); i++) {
      boolean won = SparseBradleyTerry.score(bestW, xt.get(i)) > 0;
      String rejected = styleOfText.get(test.get(i).rejected());
      if (rejected != null) {
        int[] c = byRejected.computeIfAbsent(rejected, k -> new int[2]);
        c[0] += won ? 1 : 0;
        c[1]++;
      }
      allWon.merge(test.get(i).prompt(), won, Boolean::logicalAnd);
    }
    Map<String, Double> accuracyByRejected = new LinkedHashMap<>();
    byRejected.forEach((k, c) -> accuracyByRejected.put(k, (double) c[0] / c[1]));
    double top = allWon.values().stream().filter(b -> b).count() / (double) allWon.size();
    Map<Integer, Double> curve = new LinkedHashMap<>();
    List<String> prompts = promptsInHashOrder(train);
    for (double fraction : config.trainFractions()) {
      Set<String> keep = Set.copyOf(prompts.subList(0, Math.max(1, (int) Math.round(fraction * prompts.size()))));
      List<PreferenceRecord> subset = train.stream().filter(r -> keep.contains(r.prompt())).toList();
      double[] w = SparseBradleyTerry.fit(diffs(subset, features), features.dimension(), bestL2,
          config.maxIterations());
      curve.put(keep.size(), SparseBradleyTerry.accuracy(w, xt));
    }
    progress.accept(String.format(Locale.ROOT, "  %s: %.3f held out (l2 %s)", user, best, bestL2));
    return new StyleResult(user, x.size(), xt.size(), best, bestL2, SparseBradleyTerry.accuracy(bestW, x),
        accuracyByRejected, top, curve);
  }

  private GeneralResult general(List<PreferenceRecord> train, Map<String, List<PreferenceRecord>> test,
      NgramFeatures features) {
    List<Sparse> x = diffs(train, features);
    Map<String, List<Sparse>> xt = new LinkedHashMap<>();
    test.forEach((name, pairs) -> xt.put(name, diffs(pairs, features)));
    double bestMean = Double.NEGATIVE_INFINITY;
    Map<String, Double> best = null;
    double bestL2 = Double.NaN;
    for (double l2 : config.l2Grid()) {
      double[] w = SparseBradleyTerry.fit(x, features.dimension(), l2, config.maxIterations());
      Map<String, Double> acc = new LinkedHashMap<>();
      xt.forEach((name, pairs) -> acc.put(name, SparseBradleyTerry.accuracy(w, pairs)));
      double mean = acc.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
      if (mean > bestMean) {
        bestMean = mean;
        best = acc;
        bestL2 = l2;
      }
    }
    Map<String, Integer> sizes = new LinkedHashMap<>();
    test.forEach((name, pairs) -> sizes.put(name, pairs.size()));
    return new GeneralResult(x.size(), sizes, best, bestL2);
  }

  /** The table the command prints. */
  public static String format(Result r) {
    StringBuilder sb = new StringBuilder();
    for (KindResult k : r.kinds()) {
      sb.append(String.format(Locale.ROOT, "%s n-grams, TF-IDF, linear Bradley-Terry (L2 best of grid on test)%n",
          k.kind().name().toLowerCase(Locale.ROOT)));
      sb.append(String.format(Locale.ROOT, "  DSP (%d features)   held out   train   top of 5   by rejected style%n",
          k.dspDimension()));
      for (StyleResult s : k.styles()) {
        StringBuilder opp = new StringBuilder();
        s.accuracyByRejectedStyle().forEach((o, a) -> opp.append(String.format(Locale.ROOT, " %s %.3f", o, a)));
        sb.append(String.format(Locale.ROOT, "  %-20s %8.3f %7.3f %10.3f  %s%n", s.style(), s.accuracy(),
            s.trainAccuracy(), s.topOfAllAccuracy(), opp.toString().trim()));
      }
      sb.append("  learning curve (train prompts: held-out accuracy):\n");
      for (StyleResult s : k.styles()) {
        StringBuilder c = new StringBuilder();
        s.learningCurve().forEach((n, a) -> c.append(String.format(Locale.ROOT, "  %d: %.3f", n, a)));
        sb.append(String.format(Locale.ROOT, "  %-20s%s%n", s.style(), c));
      }
      StringBuilder g = new StringBuilder();
      k.general().accuracy().forEach((name, a) -> g.append(String.format(Locale.ROOT, " %s %.3f (%d)", name, a,
          k.general().testPairs().get(name))));
      sb.append(String.format(Locale.ROOT, "  general base (%d features, %d train pairs):%s%n", k.generalDimension(),
          k.general().trainPairs(), g));
    }
    return sb.toString();
  }

  private static int minDocuments(Kind kind) {
    return kind == Kind.WORD_1_2 ? 3 : 5;
  }

  private static List<Sparse> diffs(List<PreferenceRecord> pairs, NgramFeatures features) {
    List<Sparse> out = new ArrayList<>(pairs.size());
    for (PreferenceRecord r : pairs) {
      out.add(features.difference(r.chosen(), r.rejected()));
    }
    return out;
  }

  private static Iterable<String> texts(List<PreferenceRecord> pairs) {
    Set<String> out = new LinkedHashSet<>();
    for (PreferenceRecord r : pairs) {
      out.add(r.chosen());
      out.add(r.rejected());
    }
    return out;
  }

  private static Map<String, List<PreferenceRecord>> byUser(List<PreferenceRecord> pairs) {
    Map<String, List<PreferenceRecord>> out = new HashMap<>();
    for (PreferenceRecord r : pairs) {
      out.computeIfAbsent(r.userId() == null ? r.domain() : r.userId(), k -> new ArrayList<>()).add(r);
    }
    return out;
  }

  private static List<String> promptsInHashOrder(List<PreferenceRecord> pairs) {
    Map<String, byte[]> hashes = new HashMap<>();
    pairs.forEach(r -> hashes.computeIfAbsent(r.prompt(), PromptSplit::hash));
    return hashes.keySet().stream().sorted((a, b) -> Arrays.compareUnsigned(hashes.get(a), hashes.get(b))).toList();
  }
}
