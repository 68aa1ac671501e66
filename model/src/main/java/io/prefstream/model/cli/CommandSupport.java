package io.prefstream.model.cli;

import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PairEncoder;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.reward.PairFeaturizer;
import java.util.List;

/** What the offline commands share: opening a cached featurizer and featurizing with progress on stderr. */
final class CommandSupport {
  private CommandSupport() {}

  /** The featurizer named by a checkpoint's encoderId, its encoder behind the memory + disk cache. */
  static PairFeaturizer openFeaturizer(String encoderId) {
    return PairFeaturizer.forEncoderId(encoderId,
        spec -> new CachingEncoder(Encoders.open(spec), 200_000, DataDirs.embeddingCache()));
  }

  static List<FeaturizedPair> featurize(PairFeaturizer fz, List<PreferenceRecord> records) {
    System.err.printf("featurizing %d pairs with %s (D=%d)%n", records.size(), fz.encoderId(), fz.dimension());
    long t0 = System.currentTimeMillis();
    long[] last = {t0};
    List<FeaturizedPair> out = PairEncoder.encode(fz, records, n -> {
      long now = System.currentTimeMillis();
      if (now - last[0] > 10_000) {
        last[0] = now;
        System.err.printf("  %d distinct texts embedded (%.0f s)%n", n, (now - t0) / 1000.0);
      }
    });
    if (fz.encoder() instanceof CachingEncoder c) {
      System.err.printf("  embedding cache: %d hits, %d misses, %.1f s%n", c.hits(), c.misses(),
          (System.currentTimeMillis() - t0) / 1000.0);
    }
    return out;
  }
}
