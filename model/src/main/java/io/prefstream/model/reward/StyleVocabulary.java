package io.prefstream.model.reward;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A fixed list of word unigrams and bigrams whose counts in a response form the style block of the reward
 * features ({@link FeatureLayout#style()}).
 *
 * <p>Why: a mean-pooled sentence embedding keeps what a response is about and washes out how it is said —
 * "Sure, I'd love to!", "As a corporate manager", a rhyme, an exclamation mark. Counting a few hundred of
 * the most common n-grams brings those cues back at a fixed, small dimension (so an individual part stays
 * within its 2 KiB). Unlike hashed buckets, no two n-grams share a coordinate.
 *
 * <p>Tokens are lower-cased runs of letters (with apostrophes), runs of digits, or single other
 * non-space characters (punctuation counts: it is style). Texts are matched without allocating: each token
 * is hashed as it is scanned, and a bigram's key combines its two tokens' hashes, so scoring a 700-character
 * response costs a few microseconds. Thread-safe (immutable).
 */
public final class StyleVocabulary {
  /** The vocabulary shipped with prefstream and named by layout id {@code style-v1}. */
  public static final String V1_RESOURCE = "/io/prefstream/model/style-vocabulary-v1.txt";
  public static final String V1_ID = "style-v1";

  private final String id;
  private final List<String> grams;
  private final long[] keys;
  private final int[] slots;
  private final int mask;

  private StyleVocabulary(String id, List<String> grams) {
    if (grams.isEmpty()) {
      throw new IllegalArgumentException("a style vocabulary needs at least one n-gram");
    }
    this.id = id;
    this.grams = List.copyOf(grams);
    int capacity = Integer.highestOneBit(grams.size() * 4 - 1) << 1;
    this.keys = new long[capacity];
    this.slots = new int[capacity];
    java.util.Arrays.fill(slots, -1);
    this.mask = capacity - 1;
    for (int i = 0; i < grams.size(); i++) {
      String g = grams.get(i);
      long[] tokens = tokenKeys(g);
      if (tokens.length < 1 || tokens.length > 2) {
        throw new IllegalArgumentException("style vocabulary entry " + (i + 1) + " must be one or two tokens, got '"
            + g + "' (" + tokens.length + " tokens)");
      }
      long key = tokens.length == 1 ? tokens[0] : bigramKey(tokens[0], tokens[1]);
      int at = find(key);
      if (slots[at] >= 0) {
        throw new IllegalArgumentException("style vocabulary entry '" + g + "' repeats (or collides with) '"
            + grams.get(slots[at]) + "'");
      }
      keys[at] = key;
      slots[at] = i;
    }
  }

  /** The shipped vocabulary v1 (384 n-grams, see {@link #build}), read once on first use. */
  public static StyleVocabulary v1() {
    return V1.INSTANCE;
  }

  private static final class V1 {
    static final StyleVocabulary INSTANCE = load(V1_ID, V1_RESOURCE);
  }

  /** The vocabulary a layout id names; only {@code style-v1} exists. */
  public static StyleVocabulary forId(String id) {
    if (V1_ID.equals(id)) {
      return v1();
    }
    throw new IllegalArgumentException("unknown style vocabulary '" + id + "'; known: " + V1_ID);
  }

  public static StyleVocabulary of(String id, List<String> grams) {
    return new StyleVocabulary(id, grams);
  }

  private static StyleVocabulary load(String id, String resource) {
    try (InputStream in = StyleVocabulary.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("style vocabulary resource " + resource + " is missing from the classpath");
      }
      List<String> grams = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (!line.isEmpty() && !line.startsWith("#")) {
            grams.add(line);
          }
        }
      }
      return new StyleVocabulary(id, grams);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * The {@code size} unigrams and bigrams found in the most texts (document frequency; ties broken by the
   * n-gram's text, so the result depends on the texts alone, not their order).
   */
  public static List<String> build(Iterable<String> texts, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("vocabulary size must be ≥ 1, got " + size);
    }
    Map<String, Integer> documentFrequency = new HashMap<>();
    for (String text : texts) {
      Set<String> seen = new HashSet<>();
      List<String> tokens = tokens(text);
      for (int i = 0; i < tokens.size(); i++) {
        seen.add(tokens.get(i));
        if (i > 0) {
          seen.add(tokens.get(i - 1) + ' ' + tokens.get(i));
        }
      }
      for (String g : seen) {
        documentFrequency.merge(g, 1, Integer::sum);
      }
    }
    return documentFrequency.entrySet().stream()
        .sorted(Comparator.<Map.Entry<String, Integer>>comparingInt(Map.Entry::getValue).reversed()
            .thenComparing(Map.Entry::getKey))
        .limit(size)
        .map(Map.Entry::getKey)
        .toList();
  }

  /** The tokens of a text as strings (for building and for the tests; scoring never allocates them). */
  public static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    scan(text, (start, end, key) -> {
      StringBuilder token = new StringBuilder(end - start);
      for (int i = start; i < end; i++) {
        token.append(Character.toLowerCase(text.charAt(i)));
      }
      out.add(token.toString());
    });
    return out;
  }

  public String id() {
    return id;
  }

  public int size() {
    return grams.size();
  }

  public List<String> grams() {
    return grams;
  }

  /**
   * Writes the style block of {@code text} into {@code out[offset .. offset + size())}: log(1 + count) of
   * every vocabulary n-gram, L2-normalised (all zeros when the text has none).
   */
  public void vector(String text, float[] out, int offset) {
    int[] counts = new int[grams.size()];
    long[] previous = {0L};
    boolean[] hasPrevious = {false};
    scan(text, (start, end, key) -> {
      int u = slots[find(key)];
      if (u >= 0) {
        counts[u]++;
      }
      if (hasPrevious[0]) {
        int b = slots[find(bigramKey(previous[0], key))];
        if (b >= 0) {
          counts[b]++;
        }
      }
      previous[0] = key;
      hasPrevious[0] = true;
    });
    double norm = 0;
    for (int c : counts) {
      if (c > 0) {
        double v = Math.log1p(c);
        norm += v * v;
      }
    }
    if (norm == 0) {
      return;
    }
    double inv = 1 / Math.sqrt(norm);
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] > 0) {
        out[offset + i] = (float) (Math.log1p(counts[i]) * inv);
      }
    }
  }

  private int find(long key) {
    int at = (int) (mix(key) & mask);
    while (slots[at] >= 0 && keys[at] != key) {
      at = (at + 1) & mask;
    }
    return at;
  }

  private static long[] tokenKeys(String text) {
    List<Long> out = new ArrayList<>();
    scan(text, (start, end, key) -> out.add(key));
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private interface TokenSink {
    void token(int start, int end, long key);
  }

  /** Splits into tokens and hashes each (FNV-1a over the lower-cased chars) without allocating. */
  private static void scan(String text, TokenSink sink) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      int start = i;
      long h = 0xcbf29ce484222325L;
      if (Character.isLetter(c) || c == '\'') {
        while (i < n && (Character.isLetter(text.charAt(i)) || text.charAt(i) == '\'')) {
          h = (h ^ Character.toLowerCase(text.charAt(i))) * 0x100000001b3L;
          i++;
        }
      } else if (Character.isDigit(c)) {
        while (i < n && Character.isDigit(text.charAt(i))) {
          h = (h ^ text.charAt(i)) * 0x100000001b3L;
          i++;
        }
      } else {
        h = (h ^ c) * 0x100000001b3L;
        i++;
      }
      sink.token(start, i, mix(h));
    }
  }

  private static long bigramKey(long first, long second) {
    return mix(first * 0x9e3779b97f4a7c15L + Long.rotateLeft(second, 31));
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
