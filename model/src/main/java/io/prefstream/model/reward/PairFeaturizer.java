package io.prefstream.model.reward;

import io.prefstream.model.encoder.HashingNgramEncoder;
import io.prefstream.model.encoder.TextEncoder;
import java.util.List;
import java.util.function.Function;

/**
 * The one place that turns (prompt, response) into the reward model's feature vector, so the learner
 * and the scorer always agree on it.
 *
 * <p>With e() the encoder's L2-normalised embedding of dimension d, the default {@link FeatureLayout#style()}
 * is {@code [ e(response) | v(response) ]}: what the response is about (topic, tone) and how it is written
 * (the counts of a fixed {@link StyleVocabulary}, which mean-pooling washes out). The older pairwise layout
 * {@code [ e(response) | e(prompt) ⊙ e(response) | h(response) ]} is kept so its checkpoints still load.
 * {@link #encoderId()} names encoder and layout, so checkpoints made with another one are recognised.
 * Thread-safe.
 */
public final class PairFeaturizer {
  private final TextEncoder encoder;
  private final FeatureLayout layout;
  private final HashingNgramEncoder hashing;

  /** The default layout ({@link FeatureLayout#style()}). */
  public PairFeaturizer(TextEncoder encoder) {
    this(encoder, FeatureLayout.style());
  }

  public PairFeaturizer(TextEncoder encoder, FeatureLayout layout) {
    if (encoder == null || layout == null) {
      throw new IllegalArgumentException("encoder and layout are required");
    }
    this.encoder = encoder;
    this.layout = layout;
    this.hashing = layout.hashedDims() == 0 ? null : new HashingNgramEncoder(layout.hashedDims());
  }

  /**
   * The featurizer a checkpoint's {@code encoderId} names ("&lt;encoder spec&gt;&lt;layout suffix&gt;"), over the
   * given encoder (which may be a {@link io.prefstream.model.encoder.CachingEncoder} around the spec's encoder).
   */
  public static PairFeaturizer forEncoderId(String encoderId, Function<String, TextEncoder> open) {
    return new PairFeaturizer(open.apply(FeatureLayout.encoderSpecOf(encoderId)), FeatureLayout.ofEncoderId(encoderId));
  }

  /** The encoder spec part of a checkpoint's encoderId (without the layout suffix). */
  public static String encoderSpecOf(String encoderId) {
    return FeatureLayout.encoderSpecOf(encoderId);
  }

  /** D, the length of every feature vector. */
  public int dimension() {
    return layout.dimension(encoder.dimension());
  }

  /** The encoder's id plus the layout's suffix. */
  public String encoderId() {
    return encoder.id() + layout.suffix();
  }

  public TextEncoder encoder() {
    return encoder;
  }

  public FeatureLayout layout() {
    return layout;
  }

  /** Whether {@link #combine} reads the prompt's embedding (when not, callers need not compute it). */
  public boolean usesPrompt() {
    return layout.usesPrompt();
  }

  public float[] features(String prompt, String response) {
    if (!usesPrompt()) {
      return combine(null, encoder.encode(response), response);
    }
    List<float[]> e = encoder.encodeAll(List.of(prompt, response));
    return combine(e.get(0), e.get(1), response);
  }

  /**
   * Features from embeddings already computed (lets callers batch and share encoder calls).
   *
   * @param promptEmbedding may be null when {@link #usesPrompt()} is false
   * @param response the response's text (the style and hashed blocks read it)
   */
  public float[] combine(float[] promptEmbedding, float[] responseEmbedding, String response) {
    int d = encoder.dimension();
    if (responseEmbedding.length != d || (layout.usesPrompt() && (promptEmbedding == null || promptEmbedding.length != d))) {
      throw new IllegalArgumentException("embeddings must have dimension " + d + ", got prompt "
          + (promptEmbedding == null ? "none" : promptEmbedding.length) + " and response " + responseEmbedding.length);
    }
    float[] f = new float[dimension()];
    System.arraycopy(responseEmbedding, 0, f, 0, d);
    if (layout.vocabulary() != null) {
      layout.vocabulary().vector(response, f, d);
      return f;
    }
    for (int i = 0; i < d; i++) {
      f[d + i] = promptEmbedding[i] * responseEmbedding[i];
    }
    if (hashing != null) {
      System.arraycopy(hashing.encode(response), 0, f, 2 * d, layout.hashedDims());
    }
    return f;
  }
}
