package io.prefstream.model.reward;

/**
 * Which feature vector {@link PairFeaturizer} builds from a (prompt, response); a checkpoint's encoderId
 * ends with the layout's suffix, so a model is only ever scored with the features it was trained on.
 *
 * <ul>
 *   <li>{@link #style()}, the default, suffix {@code +style-v1}: {@code [ e(response) | v(response) ]} with
 *       v the {@link StyleVocabulary} block; D = d + 384 (768 for MiniLM).
 *   <li>{@link #pairwise(int)}, no suffix (or {@code +h<H>}): {@code [ e(response) | e(prompt) ⊙ e(response)
 *       | h(response) ]}, the layout of the first checkpoints; D = 2d + H.
 * </ul>
 *
 * @param hashedDims H for the pairwise layout (0 for none; always 0 for the style layout)
 * @param vocabulary the vocabulary of the style layout, null for the pairwise layout
 */
public record FeatureLayout(int hashedDims, StyleVocabulary vocabulary) {
  private static final String HASHED_SUFFIX = "+h";

  public FeatureLayout {
    if (hashedDims < 0 || hashedDims > 4096) {
      throw new IllegalArgumentException("hashedDims must be in [0, 4096], got " + hashedDims);
    }
    if (vocabulary != null && hashedDims != 0) {
      throw new IllegalArgumentException("the style layout takes no hashed features, got hashedDims " + hashedDims);
    }
  }

  /** The default layout. */
  public static FeatureLayout style() {
    return new FeatureLayout(0, StyleVocabulary.v1());
  }

  public static FeatureLayout pairwise(int hashedDims) {
    return new FeatureLayout(hashedDims, null);
  }

  /** A layout by its command-line name: {@code style} or {@code pairwise}. */
  public static FeatureLayout named(String name, int hashedDims) {
    return switch (name) {
      case "style" -> {
        if (hashedDims > 0) {
          throw new IllegalArgumentException("--hashed-dims applies to the pairwise layout only, got "
              + hashedDims + " with layout style");
        }
        yield style();
      }
      case "pairwise" -> pairwise(Math.max(0, hashedDims));
      default -> throw new IllegalArgumentException("unknown feature layout '" + name + "'; valid: style, pairwise");
    };
  }

  /** The layout a checkpoint's encoderId names. */
  public static FeatureLayout ofEncoderId(String encoderId) {
    if (encoderId.endsWith("+" + StyleVocabulary.V1_ID)) {
      return style();
    }
    int plus = encoderId.lastIndexOf(HASHED_SUFFIX);
    if (plus > 0 && plus + 2 < encoderId.length()
        && encoderId.substring(plus + 2).chars().allMatch(Character::isDigit)) {
      return pairwise(Integer.parseInt(encoderId.substring(plus + 2)));
    }
    return pairwise(0);
  }

  /** The encoder spec of a checkpoint's encoderId, without the layout suffix. */
  public static String encoderSpecOf(String encoderId) {
    String suffix = ofEncoderId(encoderId).suffix();
    return encoderId.substring(0, encoderId.length() - suffix.length());
  }

  /** What this layout appends to the encoder's id. */
  public String suffix() {
    if (vocabulary != null) {
      return "+" + vocabulary.id();
    }
    return hashedDims == 0 ? "" : HASHED_SUFFIX + hashedDims;
  }

  /** D for an encoder of dimension d. */
  public int dimension(int encoderDimension) {
    return vocabulary != null ? encoderDimension + vocabulary.size() : 2 * encoderDimension + hashedDims;
  }

  /** Whether the features depend on the prompt (callers may skip encoding it when not). */
  public boolean usesPrompt() {
    return vocabulary == null;
  }

  @Override
  public String toString() {
    return vocabulary != null ? "style(" + vocabulary.id() + ")" : "pairwise(h=" + hashedDims + ")";
  }
}
