package io.prefstream.model.bert;

/**
 * Shape of a BERT encoder as Hugging Face's {@code BertModel} defines it (post-LayerNorm, exact erf GELU).
 *
 * @param layerNormEps HF BERT's {@code layer_norm_eps} (1e-12 for all-MiniLM-L6-v2)
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
    int typeVocab, float layerNormEps) {

  public BertConfig {
    if (hidden % heads != 0) {
      throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads);
    }
    if (layers < 1 || vocabSize < 1 || intermediate < 1 || maxPositions < 1 || typeVocab < 1) {
      throw new IllegalArgumentException("bad BERT config " + this);
    }
  }

  /** sentence-transformers/all-MiniLM-L6-v2: 6 layers, 12 heads × 32, FFN 1536. */
  public static BertConfig miniLmL6() {
    return new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f);
  }

  public int headSize() {
    return hidden / heads;
  }
}
