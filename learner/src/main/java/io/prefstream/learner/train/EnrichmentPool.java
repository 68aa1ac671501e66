package io.prefstream.learner.train;

import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.PreferenceLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * General-preference pairs, embedded once, that are mixed into every key's training batch so that a customized model
 * keeps ranking general responses well (Cheng et al.'s "general preference enrichment"). Pairs are drawn round-robin
 * with a per-key cursor kept in the key's state, so the draw is the same after a restart.
 */
public final class EnrichmentPool {
  private final float[][] chosen;
  private final float[][] rejected;
  private final float[] margins;

  private EnrichmentPool(float[][] chosen, float[][] rejected, float[] margins) {
    this.chosen = chosen;
    this.rejected = rejected;
    this.margins = margins;
  }

  public static EnrichmentPool empty() {
    return new EnrichmentPool(new float[0][], new float[0][], new float[0]);
  }

  /** Takes about {@code size / files} pairs from each file (so every general source is represented) and embeds them. */
  public static EnrichmentPool load(List<Path> files, int size, PairFeaturizer featurizer, float marginScale) {
    if (files.isEmpty() || size == 0) {
      return empty();
    }
    int perFile = (size + files.size() - 1) / files.size();
    List<GeneralPair> pairs = new ArrayList<>();
    for (Path f : files) {
      pairs.addAll(GeneralPair.read(List.of(f), perFile));
    }
    if (pairs.size() > size) {
      pairs = pairs.subList(0, size);
    }
    return of(pairs, featurizer, marginScale);
  }

  public static EnrichmentPool of(List<GeneralPair> pairs, PairFeaturizer featurizer, float marginScale) {
    int n = pairs.size();
    float[][] c = new float[n][];
    float[][] r = new float[n][];
    float[] m = new float[n];
    for (int i = 0; i < n; i++) {
      GeneralPair p = pairs.get(i);
      List<float[]> e = featurizer.encoder().encodeAll(List.of(p.prompt(), p.chosen(), p.rejected()));
      c[i] = featurizer.combine(e.get(0), e.get(1), p.chosen());
      r[i] = featurizer.combine(e.get(0), e.get(2), p.rejected());
      m[i] = PreferenceLoss.margin(p.strength(), marginScale);
    }
    return new EnrichmentPool(c, r, m);
  }

  public int size() {
    return margins.length;
  }

  public float[] chosen(long cursor) {
    return chosen[index(cursor)];
  }

  public float[] rejected(long cursor) {
    return rejected[index(cursor)];
  }

  public float margin(long cursor) {
    return margins[index(cursor)];
  }

  private int index(long cursor) {
    return (int) Math.floorMod(cursor, (long) margins.length);
  }
}
