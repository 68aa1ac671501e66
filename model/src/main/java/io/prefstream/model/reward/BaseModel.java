package io.prefstream.model.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
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
 * @param ancestors the head and generic parts of the versions this one replaced, newest first (no ancestors of their
 *     own): an individual part trained on one of them keeps scoring exactly as it was trained, and the learner moves
 *     it onto this version without changing its scores (see {@link #lineage}); empty for a base trained from scratch
 */
public record BaseModel(
    long version,
    String encoderId,
    int featureDim,
    float[] weights,
    Map<String, float[]> genericByDomain,
    long trainedPairs,
    long createdAtMs,
    List<BaseModel> ancestors) implements ModelCheckpoint {

  /** A base with no ancestors. */
  public BaseModel(long version, String encoderId, int featureDim, float[] weights,
      Map<String, float[]> genericByDomain, long trainedPairs, long createdAtMs) {
    this(version, encoderId, featureDim, weights, genericByDomain, trainedPairs, createdAtMs, List.of());
  }

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
    ancestors = ancestors == null ? List.of() : List.copyOf(ancestors);
    long newer = version;
    for (BaseModel a : ancestors) {
      if (!a.encoderId.equals(encoderId) || a.featureDim != featureDim) {
        throw new IllegalArgumentException("ancestor v" + a.version + " has encoder '" + a.encoderId + "' and "
            + "featureDim " + a.featureDim + "; a lineage shares this base's '" + encoderId + "' and " + featureDim);
      }
      if (a.version >= newer) {
        throw new IllegalArgumentException("ancestors must be older than their successor, newest first; got v"
            + a.version + " after v" + newer);
      }
      if (!a.ancestors.isEmpty()) {
        throw new IllegalArgumentException("ancestor v" + a.version + " must not carry ancestors of its own");
      }
      newer = a.version;
    }
  }

  /** The generic part of {@code domain}, or null when the base has none for it. */
  public float[] generic(String domain) {
    return genericByDomain.get(domain);
  }

  /** A copy with the given generic parts (replacing all existing ones) and a new version. */
  public BaseModel withGeneric(Map<String, float[]> generic, long newVersion, long addedPairs, long nowMs) {
    return new BaseModel(newVersion, encoderId, featureDim, weights, generic, trainedPairs + addedPairs, nowMs,
        ancestors);
  }

  /**
   * The next version: this head with new generic parts, remembering this version (and at most
   * {@code keepAncestors - 1} of its own ancestors) so the models trained on them keep their scores.
   */
  public BaseModel successor(Map<String, float[]> generic, int keepAncestors, long nowMs) {
    if (keepAncestors < 0) {
      throw new IllegalArgumentException("keepAncestors must be >= 0, got " + keepAncestors);
    }
    List<BaseModel> lineage = new ArrayList<>();
    lineage.add(withoutAncestors());
    lineage.addAll(ancestors);
    return new BaseModel(version + 1, encoderId, featureDim, weights, generic, trainedPairs, nowMs,
        lineage.subList(0, Math.min(keepAncestors, lineage.size())));
  }

  /** This version's own numbers, without its ancestors. */
  public BaseModel withoutAncestors() {
    return ancestors.isEmpty() ? this
        : new BaseModel(version, encoderId, featureDim, weights, genericByDomain, trainedPairs, createdAtMs);
  }

  /** This base when {@code baseVersion} is its own version, the ancestor of that version, or null if not kept. */
  public BaseModel lineage(long baseVersion) {
    if (baseVersion == version) {
      return this;
    }
    for (BaseModel a : ancestors) {
      if (a.version == baseVersion) {
        return a;
      }
    }
    return null;
  }

  /** w_base + g_domain: the generic model of {@code domain} (the head alone for a domain without a generic part). */
  public float[] frozen(String domain) {
    float[] w = weights.clone();
    float[] g = domain == null ? null : genericByDomain.get(domain);
    if (g != null) {
      for (int i = 0; i < w.length; i++) {
        w[i] += g[i];
      }
    }
    return w;
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
