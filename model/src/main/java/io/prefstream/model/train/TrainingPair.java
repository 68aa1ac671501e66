package io.prefstream.model.train;

/**
 * One preference pair as feature vectors, for key {@code keyIndex} of a batched training call.
 *
 * @param margin the Bradley–Terry margin m (see {@link io.prefstream.model.reward.PreferenceLoss#margin})
 * @param weight relative weight of this pair in its key's loss (1 for own events, the enrichment weight
 *     for replayed general pairs)
 */
public record TrainingPair(int keyIndex, float[] chosen, float[] rejected, float margin, float weight) {
  public TrainingPair {
    if (keyIndex < 0) {
      throw new IllegalArgumentException("keyIndex must be >= 0, got " + keyIndex);
    }
    if (chosen == null || rejected == null || chosen.length != rejected.length || chosen.length == 0) {
      throw new IllegalArgumentException("chosen and rejected must be non-empty and equally long, got "
          + (chosen == null ? "null" : chosen.length) + " and " + (rejected == null ? "null" : rejected.length));
    }
    if (!(margin >= 0) || Float.isInfinite(margin)) {
      throw new IllegalArgumentException("margin must be finite and >= 0, got " + margin);
    }
    if (!(weight > 0) || Float.isInfinite(weight)) {
      throw new IllegalArgumentException("weight must be finite and > 0, got " + weight);
    }
  }
}
