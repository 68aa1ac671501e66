package io.prefstream.model.reward;

import io.prefstream.model.encoder.TextEncoder;
import java.util.List;

/**
 * The one place that turns (prompt, response) into the reward model's feature vector, so the learner
 * and the scorer always agree on it.
 *
 * <p>Layout (v1), with e() the encoder's L2-normalised embedding of dimension d:
 * {@code [ e(response) | e(prompt) ⊙ e(response) ]}, so D = 2d. The first block says what the response
 * is like (style, tone, helpfulness); the second is a per-dimension weighted cosine between prompt and
 * response, so a linear head can learn "answers the question" as well as "sounds right". Thread-safe.
 */
public final class PairFeaturizer {
  private final TextEncoder encoder;

  public PairFeaturizer(TextEncoder encoder) {
    if (encoder == null) {
      throw new IllegalArgumentException("encoder is required");
    }
    this.encoder = encoder;
  }

  /** D, the length of every feature vector. */
  public int dimension() {
    return 2 * encoder.dimension();
  }

  public String encoderId() {
    return encoder.id();
  }

  public TextEncoder encoder() {
    return encoder;
  }

  public float[] features(String prompt, String response) {
    List<float[]> e = encoder.encodeAll(List.of(prompt, response));
    return combine(e.get(0), e.get(1));
  }

  /** Features from embeddings already computed (lets callers batch encoder calls). */
  public float[] combine(float[] promptEmbedding, float[] responseEmbedding) {
    int d = encoder.dimension();
    if (promptEmbedding.length != d || responseEmbedding.length != d) {
      throw new IllegalArgumentException("embeddings must have dimension " + d + ", got "
          + promptEmbedding.length + " and " + responseEmbedding.length);
    }
    float[] f = new float[2 * d];
    System.arraycopy(responseEmbedding, 0, f, 0, d);
    for (int i = 0; i < d; i++) {
      f[d + i] = promptEmbedding[i] * responseEmbedding[i];
    }
    return f;
  }
}
