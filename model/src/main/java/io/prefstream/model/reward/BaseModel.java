package io.prefstream.model.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The general base reward head {@code w_base} plus the generic part {@code g_domain} per domain
 * (shared by every user of that domain; P-RLHF's generic user model), and optionally a few <b>user types</b> per
 * domain (P-RLHF's cluster-based user model): offsets {@code t_domain,k} from the generic part, each the common part of
 * a group of that domain's users who share a taste. A type is not scored by itself: the learner pulls a user's
 * individual part toward the type that best explains the user's events, so a new user of a known taste reaches the
 * pooled model of everyone with that taste after a few events (see {@code GenericRefit}, which fits them).
 *
 * @param encoderId the {@link io.prefstream.model.encoder.TextEncoder#id()} the features came from
 * @param featureDim D, the length of {@code weights} and of every generic array
 * @param genericByDomain domain → g_domain; may be empty; kept sorted by domain
 * @param trainedPairs preference pairs the base and generic parts were trained on
 * @param ancestors the head and generic parts of the versions this one replaced, newest first (no ancestors of their
 *     own): an individual part trained on one of them keeps scoring exactly as it was trained, and the learner moves
 *     it onto this version without changing its scores (see {@link #lineage}); empty for a base trained from scratch
 * @param typesByDomain domain → its user types (offsets from that domain's generic part, each of length D); may be
 *     empty; only domains with a generic part have types; ancestors never carry types
 */
public record BaseModel(
    long version,
    String encoderId,
    int featureDim,
    float[] weights,
    Map<String, float[]> genericByDomain,
    long trainedPairs,
    long createdAtMs,
    List<BaseModel> ancestors,
    Map<String, List<float[]>> typesByDomain) implements ModelCheckpoint {

  /** A base with no ancestors and no user types. */
  public BaseModel(long version, String encoderId, int featureDim, float[] weights,
      Map<String, float[]> genericByDomain, long trainedPairs, long createdAtMs) {
    this(version, encoderId, featureDim, weights, genericByDomain, trainedPairs, createdAtMs, List.of(), Map.of());
  }

  /** A base with no user types. */
  public BaseModel(long version, String encoderId, int featureDim, float[] weights,
      Map<String, float[]> genericByDomain, long trainedPairs, long createdAtMs, List<BaseModel> ancestors) {
    this(version, encoderId, featureDim, weights, genericByDomain, trainedPairs, createdAtMs, ancestors, Map.of());
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
      if (!a.typesByDomain.isEmpty()) {
        throw new IllegalArgumentException("ancestor v" + a.version + " must not carry user types");
      }
      newer = a.version;
    }
    TreeMap<String, List<float[]>> t = new TreeMap<>();
    if (typesByDomain != null) {
      for (Map.Entry<String, List<float[]>> e : typesByDomain.entrySet()) {
        if (!genericByDomain.containsKey(e.getKey())) {
          throw new IllegalArgumentException("user types for domain '" + e.getKey() + "' need its generic part; "
              + "domains with one: " + genericByDomain.keySet());
        }
        if (e.getValue() == null || e.getValue().isEmpty()) {
          continue;
        }
        List<float[]> copies = new ArrayList<>();
        for (float[] v : e.getValue()) {
          if (v == null || v.length != featureDim) {
            throw new IllegalArgumentException("user type " + copies.size() + " of domain '" + e.getKey()
                + "' must have length featureDim=" + featureDim + ", got " + (v == null ? "null" : v.length));
          }
          copies.add(v.clone());
        }
        t.put(e.getKey(), Collections.unmodifiableList(copies));
      }
    }
    typesByDomain = Collections.unmodifiableMap(t);
  }

  /** The user types of {@code domain} (offsets from its generic part), empty when it has none. */
  public List<float[]> types(String domain) {
    return domain == null ? List.of() : typesByDomain.getOrDefault(domain, List.of());
  }

  /** The generic part of {@code domain}, or null when the base has none for it. */
  public float[] generic(String domain) {
    return genericByDomain.get(domain);
  }

  /** A copy with the given generic parts (replacing all existing ones, and dropping the user types) and a new version. */
  public BaseModel withGeneric(Map<String, float[]> generic, long newVersion, long addedPairs, long nowMs) {
    return new BaseModel(newVersion, encoderId, featureDim, weights, generic, trainedPairs + addedPairs, nowMs,
        ancestors);
  }

  /**
   * The next version: this head with new generic parts, remembering this version (and at most
   * {@code keepAncestors - 1} of its own ancestors) so the models trained on them keep their scores.
   */
  public BaseModel successor(Map<String, float[]> generic, int keepAncestors, long nowMs) {
    return successor(generic, Map.of(), keepAncestors, nowMs);
  }

  /** {@link #successor(Map, int, long)} with the new version's user types. */
  public BaseModel successor(Map<String, float[]> generic, Map<String, List<float[]>> types, int keepAncestors,
      long nowMs) {
    if (keepAncestors < 0) {
      throw new IllegalArgumentException("keepAncestors must be >= 0, got " + keepAncestors);
    }
    List<BaseModel> lineage = new ArrayList<>();
    lineage.add(withoutAncestors());
    lineage.addAll(ancestors);
    return new BaseModel(version + 1, encoderId, featureDim, weights, generic, trainedPairs, nowMs,
        lineage.subList(0, Math.min(keepAncestors, lineage.size())), types);
  }

  /** A copy without some of its ancestors (the first {@code keep}, newest first, stay); types are kept. */
  public BaseModel withAncestors(int keep) {
    return new BaseModel(version, encoderId, featureDim, weights, genericByDomain, trainedPairs, createdAtMs,
        ancestors.subList(0, Math.max(0, Math.min(keep, ancestors.size()))), typesByDomain);
  }

  /** This version's own head and generic parts, without its ancestors and user types (what a lineage keeps). */
  public BaseModel withoutAncestors() {
    return ancestors.isEmpty() && typesByDomain.isEmpty() ? this
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
    if (!typesByDomain.keySet().equals(other.typesByDomain.keySet())) {
      return false;
    }
    for (Map.Entry<String, List<float[]>> e : typesByDomain.entrySet()) {
      List<float[]> theirs = other.typesByDomain.get(e.getKey());
      if (theirs.size() != e.getValue().size()) {
        return false;
      }
      for (int k = 0; k < theirs.size(); k++) {
        if (!Arrays.equals(e.getValue().get(k), theirs.get(k))) {
          return false;
        }
      }
    }
    return true;
  }
}
