package io.prefstream.model.reward;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The general base reward head {@code w_base} plus the generic part {@code g_domain} per domain
 * (shared by every user of that domain; P-RLHF's generic user model).
 *
 * @param encoderId the {@link io.prefstream.model.encoder.TextEncoder#id()} the features came from
 * @param featureDim D, the length of {@code weights} and of every generic array
 * @param genericByDomain domain → g_domain; may be empty; kept sorted by domain
 * @param trainedPairs preference pairs the base and generic parts were trained on
 */
public record BaseModel(
    long version,
    String encoderId,
    int featureDim,
    float[] weights,
    Map<String, float[]> genericByDomain,
    long trainedPairs,
    long createdAtMs) implements ModelCheckpoint {

  public BaseModel {
    if (encoderId == null || encoderId.isBlank()) {
      throw new IllegalArgumentException("encoderId is required");
    }
    if (featureDim < 1) {
      throw new IllegalArgumentException("featureDim must be >= 1, got " + featureDim);
    }
    if (weights == null || weights.length != featureDim) {
      throw new IllegalArgumentException("weights must have length featureDim=" + featureDim
          + ", got " + (weights == null ? "null" : weights.length));
    }
    weights = weights.clone();
    TreeMap<String, float[]> g = new TreeMap<>();
    if (genericByDomain != null) {
      for (Map.Entry<String, float[]> e : genericByDomain.entrySet()) {
        if (e.getKey() == null || e.getValue() == null || e.getValue().length != featureDim) {
          throw new IllegalArgumentException("generic part for domain '" + e.getKey()
              + "' must have length featureDim=" + featureDim + ", got "
              + (e.getValue() == null ? "null" : e.getValue().length));
        }
        g.put(e.getKey(), e.getValue().clone());
      }
    }
    genericByDomain = Collections.unmodifiableMap(g);
    if (trainedPairs < 0) {
      throw new IllegalArgumentException("trainedPairs must be >= 0, got " + trainedPairs);
    }
  }

  /** The generic part of {@code domain}, or null when the base has none for it. */
  public float[] generic(String domain) {
    return genericByDomain.get(domain);
  }

  /** A copy with the given generic parts (replacing all existing ones) and a new version. */
  public BaseModel withGeneric(Map<String, float[]> generic, long newVersion, long addedPairs, long nowMs) {
    return new BaseModel(newVersion, encoderId, featureDim, weights, generic, trainedPairs + addedPairs, nowMs);
  }

  /** Whether two bases hold the same numbers (records compare arrays by identity). */
  public boolean sameWeights(BaseModel other) {
    if (!Arrays.equals(weights, other.weights) || !genericByDomain.keySet().equals(other.genericByDomain.keySet())) {
      return false;
    }
    for (Map.Entry<String, float[]> e : genericByDomain.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.genericByDomain.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
