package io.prefstream.model.reward;

import io.prefstream.model.encoder.HashingNgramEncoder;
import io.prefstream.model.encoder.TextEncoder;
import java.util.List;

/**
 * The one place that turns (prompt, response) into the reward model's feature vector, so the learner
 * and the scorer always agree on it.
 *
 * <p>Layout, with e() the encoder's L2-normalised embedding of dimension d and h() a hashed word/char
 * n-gram vector of the response with H buckets:
 * {@code [ e(response) | e(prompt) ⊙ e(response) | h(response) ]}, D = 2d + H.
 * The first block says what the response is like (topic, tone); the second is a per-dimension weighted
 * cosine between prompt and response ("answers the question"); the third keeps surface style cues
 * (word choice, punctuation) that mean-pooling washes out. {@link #encoderId()} names the layout, so
 * checkpoints made with another layout are recognised. Thread-safe.
 */
public final class PairFeaturizer {
  /** H used by {@link #PairFeaturizer(TextEncoder)}. */
  public static final int DEFAULT_HASHED_DIMS = 0;

  private final TextEncoder encoder;
  private final int hashedDims;
  private final HashingNgramEncoder hashing;

  public PairFeaturizer(TextEncoder encoder) {
    this(encoder, DEFAULT_HASHED_DIMS);
  }

  public PairFeaturizer(TextEncoder encoder, int hashedDims) {
    if (encoder == null) {
      throw new IllegalArgumentException("encoder is required");
    }
    if (hashedDims < 0 || hashedDims > 4096) {
      throw new IllegalArgumentException("hashedDims must be in [0, 4096], got " + hashedDims);
    }
    this.encoder = encoder;
    this.hashedDims = hashedDims;
    this.hashing = hashedDims == 0 ? null : new HashingNgramEncoder(hashedDims);
  }

  /**
   * The featurizer a checkpoint's {@code encoderId} names ("&lt;encoder spec&gt;[+h&lt;H&gt;]"), over the given
   * encoder (which may be a {@link io.prefstream.model.encoder.CachingEncoder} around the spec's encoder).
   */
  public static PairFeaturizer forEncoderId(String encoderId, java.util.function.Function<String, TextEncoder> open) {
    String spec = encoderSpecOf(encoderId);
    int hashed = spec.equals(encoderId) ? 0 : Integer.parseInt(encoderId.substring(spec.length() + 2));
    return new PairFeaturizer(open.apply(spec), hashed);
  }

  /** The encoder spec part of a checkpoint's encoderId (without the layout suffix). */
  public static String encoderSpecOf(String encoderId) {
    int plus = encoderId.lastIndexOf("+h");
    if (plus > 0 && encoderId.substring(plus + 2).chars().allMatch(Character::isDigit) && plus + 2 < encoderId.length()) {
      return encoderId.substring(0, plus);
    }
    return encoderId;
  }

  /** D, the length of every feature vector. */
  public int dimension() {
    return 2 * encoder.dimension() + hashedDims;
  }

  /** The encoder's id, plus "+h&lt;H&gt;" when hashed response features are part of the layout. */
  public String encoderId() {
    return hashedDims == 0 ? encoder.id() : encoder.id() + "+h" + hashedDims;
  }

  public TextEncoder encoder() {
    return encoder;
  }

  public int hashedDims() {
    return hashedDims;
  }

  public float[] features(String prompt, String response) {
    List<float[]> e = encoder.encodeAll(List.of(prompt, response));
    return combine(e.get(0), e.get(1), response);
  }

  /** Features from embeddings already computed; only for layouts without hashed features (H = 0). */
  public float[] combine(float[] promptEmbedding, float[] responseEmbedding) {
    if (hashedDims > 0) {
      throw new IllegalStateException("layout " + encoderId() + " needs the response text; use combine(p, r, text)");
    }
    return combine(promptEmbedding, responseEmbedding, "");
  }

  /** Features from embeddings already computed (lets callers batch and share encoder calls). */
  public float[] combine(float[] promptEmbedding, float[] responseEmbedding, String response) {
    int d = encoder.dimension();
    if (promptEmbedding.length != d || responseEmbedding.length != d) {
      throw new IllegalArgumentException("embeddings must have dimension " + d + ", got "
          + promptEmbedding.length + " and " + responseEmbedding.length);
    }
    float[] f = new float[dimension()];
    System.arraycopy(responseEmbedding, 0, f, 0, d);
    for (int i = 0; i < d; i++) {
      f[d + i] = promptEmbedding[i] * responseEmbedding[i];
    }
    if (hashing != null) {
      System.arraycopy(hashing.encode(response), 0, f, 2 * d, hashedDims);
    }
    return f;
  }
}
