package io.prefstream.model.encoder;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A deterministic, dependency-free encoder: lower-cased word unigrams and bigrams plus character
 * 3-grams, hashed (FNV-1a, signed) into {@code dimension} buckets, log-scaled and L2-normalised.
 *
 * <p>Fast and reproducible everywhere, so unit tests use it; it knows nothing about meaning and is never
 * the default encoder. Thread-safe (stateless).
 */
public final class HashingNgramEncoder implements TextEncoder {
  public static final String SPEC_PREFIX = "hashing-ngram-v1-d";

  private final int dimension;

  public HashingNgramEncoder(int dimension) {
    if (dimension < 1 || dimension > 65_536) {
      throw new IllegalArgumentException(
          "hashing encoder dimension must be in [1, 65536], got " + dimension);
    }
    this.dimension = dimension;
  }

  @Override
  public String id() {
    return SPEC_PREFIX + dimension;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public float[] encode(String text) {
    float[] counts = new float[dimension];
    String lower = text.toLowerCase(Locale.ROOT);
    String[] words = lower.split("[^\\p{L}\\p{N}']+");
    String previous = null;
    for (String w : words) {
      if (w.isEmpty()) {
        continue;
      }
      add(counts, "w:" + w);
      if (previous != null) {
        add(counts, "b:" + previous + ' ' + w);
      }
      previous = w;
    }
    String padded = " " + lower + " ";
    for (int i = 0; i + 3 <= padded.length(); i++) {
      add(counts, "c:" + padded.substring(i, i + 3));
    }
    // Log scaling keeps long texts from being dominated by their most frequent n-grams.
    for (int i = 0; i < dimension; i++) {
      float c = counts[i];
      counts[i] = (float) (Math.signum(c) * Math.log1p(Math.abs(c)));
    }
    return Vectors.l2Normalise(counts);
  }

  private void add(float[] counts, String feature) {
    long h = fnv1a64(feature);
    int bucket = (int) Long.remainderUnsigned(h, dimension);
    float sign = ((h >>> 63) == 0) ? 1f : -1f;
    counts[bucket] += sign;
  }

  /** FNV-1a over UTF-8: stable across JVMs and runs, unlike {@link String#hashCode()} mixing. */
  static long fnv1a64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    // Final avalanche so the sign bit and low bits are well mixed.
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }

  @Override
  public void close() {
    // stateless
  }
}
