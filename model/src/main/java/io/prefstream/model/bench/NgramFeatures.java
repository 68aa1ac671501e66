package io.prefstream.model.bench;

import io.prefstream.model.reward.StyleVocabulary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Sparse TF-IDF features over every n-gram of a training corpus that occurs in at least {@code minDocuments}
 * texts: log(1 + count) · idf, L2-normalised per text. The vocabulary is open-ended (tens of thousands of
 * coordinates), unlike the reward model's fixed 768: this is the strong bag-of-words baseline that
 * {@link NgramCeiling} fits, not a feature layout a checkpoint could carry.
 */
public final class NgramFeatures {
  /** Which n-grams a text is cut into. */
  public enum Kind {
    /** word unigrams and bigrams, tokens as {@link StyleVocabulary#tokens} cuts them */
    WORD_1_2,
    /** character 3- to 5-grams of the lower-cased text with runs of white space collapsed */
    CHAR_3_5;

    List<String> grams(String text) {
      List<String> out = new ArrayList<>();
      if (this == WORD_1_2) {
        List<String> tokens = StyleVocabulary.tokens(text);
        out.addAll(tokens);
        for (int i = 1; i < tokens.size(); i++) {
          out.add(tokens.get(i - 1) + ' ' + tokens.get(i));
        }
      } else {
        String t = String.join(" ", text.toLowerCase(Locale.ROOT).trim().split("\\s+"));
        for (int n = 3; n <= 5; n++) {
          for (int i = 0; i + n <= t.length(); i++) {
            out.add(t.substring(i, i + n));
          }
        }
      }
      return out;
    }
  }

  /** A sparse, L2-normalised vector: coordinates in increasing order. */
  public record Sparse(int[] index, float[] value) {}

  private final Kind kind;
  private final Map<String, Integer> vocabulary;
  private final float[] idf;
  private final Map<String, Sparse> cache = new HashMap<>();

  private NgramFeatures(Kind kind, Map<String, Integer> vocabulary, float[] idf) {
    this.kind = kind;
    this.vocabulary = vocabulary;
    this.idf = idf;
  }

  /** Builds the vocabulary and the idf weights from {@code texts} (each distinct text counted once). */
  public static NgramFeatures fit(Kind kind, Iterable<String> texts, int minDocuments) {
    if (minDocuments < 1) {
      throw new IllegalArgumentException("minDocuments must be ≥ 1, got " + minDocuments);
    }
    Map<String, Integer> df = new HashMap<>();
    Set<String> distinct = new HashSet<>();
    for (String text : texts) {
      if (distinct.add(text)) {
        for (String g : new HashSet<>(kind.grams(text))) {
          df.merge(g, 1, Integer::sum);
        }
      }
    }
    // Sorted, so that coordinates do not depend on hash order and runs are repeatable.
    List<String> kept = df.entrySet().stream().filter(e -> e.getValue() >= minDocuments)
        .map(Map.Entry::getKey).sorted().toList();
    Map<String, Integer> vocabulary = new HashMap<>();
    float[] idf = new float[kept.size()];
    for (int i = 0; i < kept.size(); i++) {
      vocabulary.put(kept.get(i), i);
      idf[i] = (float) Math.log((double) distinct.size() / df.get(kept.get(i)));
    }
    return new NgramFeatures(kind, vocabulary, idf);
  }

  public Kind kind() {
    return kind;
  }

  public int dimension() {
    return idf.length;
  }

  /** The features of one text (memoised: the same responses recur in many pairs). Not thread-safe. */
  public Sparse vector(String text) {
    return cache.computeIfAbsent(text, this::compute);
  }

  private Sparse compute(String text) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (String g : kind.grams(text)) {
      Integer i = vocabulary.get(g);
      if (i != null) {
        counts.merge(i, 1, Integer::sum);
      }
    }
    int[] index = counts.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    float[] value = new float[index.length];
    double norm = 0;
    for (int k = 0; k < index.length; k++) {
      value[k] = (float) (Math.log1p(counts.get(index[k])) * idf[index[k]]);
      norm += (double) value[k] * value[k];
    }
    if (norm > 0) {
      float inv = (float) (1 / Math.sqrt(norm));
      for (int k = 0; k < value.length; k++) {
        value[k] *= inv;
      }
    }
    return new Sparse(index, value);
  }

  /** f(chosen) − f(rejected) as a sparse vector: what a linear Bradley–Terry model sees of a pair. */
  public Sparse difference(String chosen, String rejected) {
    Sparse a = vector(chosen);
    Sparse b = vector(rejected);
    int[] index = new int[a.index().length + b.index().length];
    float[] value = new float[index.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < a.index().length || j < b.index().length) {
      int ai = i < a.index().length ? a.index()[i] : Integer.MAX_VALUE;
      int bj = j < b.index().length ? b.index()[j] : Integer.MAX_VALUE;
      if (ai == bj) {
        index[n] = ai;
        value[n++] = a.value()[i++] - b.value()[j++];
      } else if (ai < bj) {
        index[n] = ai;
        value[n++] = a.value()[i++];
      } else {
        index[n] = bj;
        value[n++] = -b.value()[j++];
      }
    }
    return new Sparse(Arrays.copyOf(index, n), Arrays.copyOf(value, n));
  }
}
