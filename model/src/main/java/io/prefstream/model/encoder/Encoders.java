package io.prefstream.model.encoder;

import java.nio.file.Path;

/** Opens a {@link TextEncoder} from its spec string (what configuration and checkpoints carry). */
public final class Encoders {
  public static final String MINILM = "all-minilm-l6-v2";
  public static final String MINILM_QUANTIZED = "all-minilm-l6-v2-q";
  public static final String VALID_SPECS = MINILM + ", " + MINILM_QUANTIZED + ", "
      + HashingNgramEncoder.SPEC_PREFIX + "<N> (e.g. hashing-ngram-v1-d256), "
      + "onnx:<model.onnx>,<tokenizer.json>, " + Encoders.MINILM_DJL + ", tuned:<model dir>";
  /** all-MiniLM-L6-v2 (fp32) as a trainable DJL PyTorch block, same embeddings as {@link #MINILM} to ~1e-6. */
  public static final String MINILM_DJL = MINILM + "~djl";
  /** Spec prefix of a tuned encoder saved in a model directory ({@code TunedEncoderStore}). */
  public static final String TUNED_DIR_PREFIX = "tuned:";

  private Encoders() {}

  /**
   * Whether embeddings of {@code spec} are worth an on-disk cache: a model encoder is, the hashing encoder is cheaper
   * to recompute than to read back.
   */
  public static boolean worthDiskCaching(String spec) {
    return !spec.startsWith(HashingNgramEncoder.SPEC_PREFIX);
  }

  /**
   * The encoder a base model directory was trained with: its tuned encoder ({@code DIR/encoder-top.params}) when
   * {@code encoderSpec} names one (and it must be the one in {@code modelDir}), else {@link #open(String)}.
   */
  public static TextEncoder openForModel(Path modelDir, String encoderSpec) {
    if (encoderSpec != null && encoderSpec.startsWith(io.prefstream.model.bert.TunedEncoderStore.TUNED_PREFIX)) {
      String inDir = io.prefstream.model.bert.TunedEncoderStore.exists(modelDir)
          ? io.prefstream.model.bert.TunedEncoderStore.encoderId(modelDir) : "(none)";
      if (!inDir.equals(encoderSpec)) {
        throw new IllegalArgumentException("model needs tuned encoder " + encoderSpec + " but " + modelDir
            + " holds " + inDir);
      }
      return io.prefstream.model.bert.TunedEncoderStore.open(modelDir, null);
    }
    return open(encoderSpec);
  }

  public static TextEncoder open(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("encoder spec is empty; valid specs: " + VALID_SPECS);
    }
    String s = spec.trim();
    if (s.equals(MINILM)) {
      return OnnxSentenceEncoder.fromClasspath(MINILM, OnnxSentenceEncoder.MINILM_MODEL_RESOURCE,
          OnnxSentenceEncoder.MINILM_TOKENIZER_RESOURCE, OnnxSentenceEncoder.DEFAULT_BATCH);
    }
    if (s.equals(MINILM_QUANTIZED)) {
      return OnnxSentenceEncoder.fromClasspath(MINILM_QUANTIZED,
          OnnxSentenceEncoder.MINILM_Q_MODEL_RESOURCE, OnnxSentenceEncoder.MINILM_Q_TOKENIZER_RESOURCE, 1);
    }
    if (s.startsWith(HashingNgramEncoder.SPEC_PREFIX)) {
      String n = s.substring(HashingNgramEncoder.SPEC_PREFIX.length());
      try {
        return new HashingNgramEncoder(Integer.parseInt(n));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "bad hashing encoder dimension '" + n + "' in spec '" + spec + "'; valid specs: " + VALID_SPECS);
      }
    }
    if (s.equals(MINILM_DJL)) {
      return io.prefstream.model.bert.MiniLmEncoder.pretrained();
    }
    if (s.startsWith(TUNED_DIR_PREFIX)) {
      return io.prefstream.model.bert.TunedEncoderStore.open(Path.of(s.substring(TUNED_DIR_PREFIX.length())), null);
    }
    if (s.startsWith(io.prefstream.model.bert.TunedEncoderStore.TUNED_PREFIX)) {
      throw new IllegalArgumentException("encoder '" + spec + "' is a tuned encoder: open it from its model "
          + "directory with Encoders.openForModel(dir, encoderId) or the spec tuned:<dir>");
    }
    if (s.startsWith("onnx:")) {
      String[] parts = s.substring("onnx:".length()).split(",", -1);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        throw new IllegalArgumentException(
            "onnx spec must be onnx:<model.onnx>,<tokenizer.json>, got '" + spec + "'");
      }
      return OnnxSentenceEncoder.fromFiles(s, Path.of(parts[0].trim()), Path.of(parts[1].trim()));
    }
    throw new IllegalArgumentException("unknown encoder spec '" + spec + "'; valid specs: " + VALID_SPECS);
  }
}
