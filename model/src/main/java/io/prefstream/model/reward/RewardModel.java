package io.prefstream.model.reward;

/**
 * r(user, domain, prompt, response) = (w_base + g_domain + u_user,domain) · f(prompt, response).
 *
 * <p>Immutable; the summed weight vector is computed once so {@link #reward} is one dot product.
 * An unknown user (no individual part) scores with the generic part alone; an unknown domain with the
 * base alone. An individual part trained on an earlier base version that the base still lists among its
 * {@link BaseModel#ancestors() ancestors} scores on that version's head and generic part, exactly as it was trained;
 * one older than the kept lineage is added to the current base's (a residual on the newest generic model).
 */
public final class RewardModel {
  private final float[] weights;
  private final boolean customized;
  private final boolean hasGeneric;
  private final long baseVersion;
  private final long individualVersion;

  private RewardModel(float[] weights, boolean customized, boolean hasGeneric, long baseVersion,
      long individualVersion) {
    this.weights = weights;
    this.customized = customized;
    this.hasGeneric = hasGeneric;
    this.baseVersion = baseVersion;
    this.individualVersion = individualVersion;
  }

  public static RewardModel of(BaseModel base, String domain, IndividualModel individualOrNull) {
    if (base == null) {
      throw new IllegalArgumentException("base model is required");
    }
    int d = base.featureDim();
    BaseModel anchor = base;
    if (individualOrNull != null && individualOrNull.baseVersion() != base.version()) {
      BaseModel parent = base.lineage(individualOrNull.baseVersion());
      anchor = parent == null ? base : parent;
    }
    float[] w = anchor.frozen(domain);
    boolean hasGeneric = domain != null && anchor.generic(domain) != null;
    if (individualOrNull != null) {
      if (individualOrNull.weights().length != d) {
        throw new IllegalArgumentException("individual part of (" + individualOrNull.userId() + ", "
            + individualOrNull.domain() + ") has dimension " + individualOrNull.weights().length
            + " but the base has featureDim " + d);
      }
      if (domain != null && !domain.equals(individualOrNull.domain())) {
        throw new IllegalArgumentException("individual part is for domain '" + individualOrNull.domain()
            + "' but scoring domain is '" + domain + "'");
      }
      add(w, individualOrNull.weights());
    }
    return new RewardModel(w, individualOrNull != null, hasGeneric, anchor.version(),
        individualOrNull == null ? -1 : individualOrNull.version());
  }

  private static void add(float[] acc, float[] x) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] += x[i];
    }
  }

  public float reward(float[] features) {
    if (features.length != weights.length) {
      throw new IllegalArgumentException(
          "features have dimension " + features.length + "; the model expects " + weights.length);
    }
    double s = 0;
    for (int i = 0; i < weights.length; i++) {
      s += (double) weights[i] * features[i];
    }
    return (float) s;
  }

  public int featureDim() {
    return weights.length;
  }

  /** True when an individual part is included. */
  public boolean customized() {
    return customized;
  }

  /** True when the domain's generic part is included. */
  public boolean hasGeneric() {
    return hasGeneric;
  }

  /** The base version whose head and generic part this model uses (an individual part's parent, when still kept). */
  public long baseVersion() {
    return baseVersion;
  }

  /** The individual part's version, -1 if none. */
  public long individualVersion() {
    return individualVersion;
  }
}
