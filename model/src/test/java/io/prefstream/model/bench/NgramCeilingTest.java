package io.prefstream.model.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.model.bench.NgramFeatures.Kind;
import io.prefstream.model.bench.NgramFeatures.Sparse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NgramCeilingTest {
  @Test
  void featuresAreUnitLengthSortedAndTheDifferenceIsChosenMinusRejected() {
    NgramFeatures f = NgramFeatures.fit(Kind.WORD_1_2,
        List.of("the cat sat", "the dog sat", "a cat ran", "the cat ran"), 2);
    Sparse a = f.vector("the cat sat, the cat");
    double norm = 0;
    for (int k = 0; k < a.index().length; k++) {
      norm += a.value()[k] * a.value()[k];
      if (k > 0) {
        assertThat(a.index()[k]).isGreaterThan(a.index()[k - 1]);
      }
    }
    assertThat(norm).isCloseTo(1.0, within(1e-5));
    Sparse b = f.vector("a cat ran");
    Sparse d = f.difference("the cat sat, the cat", "a cat ran");
    double[] dense = new double[f.dimension()];
    for (int k = 0; k < a.index().length; k++) {
      dense[a.index()[k]] += a.value()[k];
    }
    for (int k = 0; k < b.index().length; k++) {
      dense[b.index()[k]] -= b.value()[k];
    }
    for (int k = 0; k < d.index().length; k++) {
      assertThat((double) d.value()[k]).isCloseTo(dense[d.index()[k]], within(1e-6));
      dense[d.index()[k]] = 0;
    }
    assertThat(dense).containsOnly(0.0);
  }

  @Test
  void nGramsBelowTheDocumentFrequencyAreLeftOut() {
    // "dog" and "a" occur in one text each: with minDocuments 2 only the, cat, sat, ran and their bigrams stay
    NgramFeatures f = NgramFeatures.fit(Kind.WORD_1_2,
        List.of("the cat sat", "the dog sat", "a cat ran", "the cat ran"), 2);
    assertThat(f.vector("dog a").index()).isEmpty();
    assertThat(f.vector("cat").index()).hasSize(1);
  }

  @Test
  void theFitReachesTheOptimumOfTheRegularisedLoss() {
    Random random = new Random(3);
    int dim = 20;
    double[] truth = new double[dim];
    for (int i = 0; i < dim; i++) {
      truth[i] = random.nextGaussian();
    }
    List<Sparse> pairs = new ArrayList<>();
    for (int n = 0; n < 400; n++) {
      int[] index = {random.nextInt(10), 10 + random.nextInt(10)};
      float[] value = {(float) random.nextGaussian(), (float) random.nextGaussian()};
      double z = truth[index[0]] * value[0] + truth[index[1]] * value[1];
      // label noise: flip a pair with the Bradley-Terry probability of the true model
      if (random.nextDouble() > 1 / (1 + Math.exp(-z))) {
        value = new float[] {-value[0], -value[1]};
      }
      pairs.add(new Sparse(index, value));
    }
    double l2 = 0.01;
    double[] w = SparseBradleyTerry.fit(pairs, dim, l2, 200);
    // gradient of mean softplus(-w.x) + l2 |w|^2 vanishes at the optimum
    double[] g = new double[dim];
    for (int i = 0; i < dim; i++) {
      g[i] = 2 * l2 * w[i];
    }
    for (Sparse x : pairs) {
      double c = -1.0 / pairs.size() / (1 + Math.exp(SparseBradleyTerry.score(w, x)));
      for (int k = 0; k < x.index().length; k++) {
        g[x.index()[k]] += c * x.value()[k];
      }
    }
    double gNorm = 0;
    for (double v : g) {
      gNorm += v * v;
    }
    assertThat(Math.sqrt(gNorm)).isLessThan(1e-4);
    assertThat(SparseBradleyTerry.accuracy(w, pairs)).isGreaterThan(0.6);
    assertThatThrownBy(() -> SparseBradleyTerry.fit(pairs, dim, 0, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0.0");
  }

  @Test
  void aStyleMarkedByItsWordsIsLearnedAndTheRejectedStylesAreNamed(@TempDir Path dir) throws IOException {
    StringBuilder raw = new StringBuilder();
    StringBuilder events = new StringBuilder();
    StringBuilder general = new StringBuilder();
    for (int q = 0; q < 60; q++) {
      String query = "question number " + q;
      String formal = "indeed the answer to " + q + " is therefore settled";
      String casual = "lol so like " + q + " is totally it";
      raw.append(String.format("{\"query\":\"%s\",\"responses\":{\"formal\":\"%s\",\"casual\":\"%s\"}}%n",
          query, formal, casual));
      events.append(event("u-formal", "formal", query, formal, casual, q));
      events.append(event("u-casual", "casual", query, casual, formal, q));
      general.append(event(null, "general", query, "a helpful reply " + q, "a rude reply " + q, q));
    }
    Files.createDirectories(dir.resolve("dsp"));
    Files.writeString(dir.resolve("dsp/raw.jsonl"), raw);
    Files.writeString(dir.resolve("dsp/events.jsonl"), events);
    Files.writeString(dir.resolve("helpful-dev.events.jsonl"), general);
    NgramCeiling.Result r = new NgramCeiling(new NgramCeiling.Config(
        List.of(dir.resolve("helpful-dev.events.jsonl")), List.of(dir.resolve("dsp/events.jsonl")),
        dir.resolve("dsp/raw.jsonl"), 20, List.of(Kind.WORD_1_2), List.of(1e-3), List.of(0.5, 1.0), 100))
        .run(s -> {});
    NgramCeiling.KindResult k = r.kinds().get(0);
    assertThat(k.styles()).extracting(NgramCeiling.StyleResult::style).containsExactly("u-casual", "u-formal");
    for (NgramCeiling.StyleResult s : k.styles()) {
      assertThat(s.testPairs()).isPositive();
      assertThat(s.accuracy()).isEqualTo(1.0);
      assertThat(s.topOfAllAccuracy()).isEqualTo(1.0);
      assertThat(s.accuracyByRejectedStyle()).hasSize(1);
      assertThat(s.learningCurve()).hasSize(2);
    }
    assertThat(k.general().accuracy()).containsEntry("helpful", 1.0);
    assertThat(NgramCeiling.format(r)).contains("u-formal", "by rejected style", "helpful 1.000");
  }

  private static String event(String user, String domain, String prompt, String chosen, String rejected, int q) {
    return String.format("{\"eventId\":\"%s-%d\",\"userId\":%s,\"domain\":\"%s\",\"prompt\":\"%s\",\"chosen\":\"%s\","
        + "\"rejected\":\"%s\"}%n", domain, q, user == null ? "null" : "\"" + user + "\"", domain, prompt, chosen,
        rejected);
  }
}
