package io.prefstream.model.cli;

import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PairEncoder;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.reward.FeatureLayout;
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

  /** The --layout / --hashed-dims options of a command as a layout, or a usage error naming what is valid. */
  static FeatureLayout layout(picocli.CommandLine command, String name, int hashedDims) {
    try {
      return FeatureLayout.named(name, hashedDims);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(command, e.getMessage());
    }
  }

  /**
   * The featurizer of a model in {@code modelDir}: as {@link #openFeaturizer(String)}, but a tuned encoder
   * ({@code all-minilm-l6-v2~tuned:...}) is opened from the directory's {@code encoder-top.params}.
   */
  static PairFeaturizer openFeaturizer(String encoderId, java.nio.file.Path modelDir) {
    return PairFeaturizer.forEncoderId(encoderId, spec -> new CachingEncoder(Encoders.openForModel(modelDir, spec),
        200_000, DataDirs.embeddingCache()));
  }

  /** Copies a tuned encoder from one model directory to another (a model version carries its encoder). */
  static void copyTunedEncoder(java.nio.file.Path from, java.nio.file.Path to) throws java.io.IOException {
    if (!io.prefstream.model.bert.TunedEncoderStore.exists(from)
        || from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) {
      return;
    }
    java.nio.file.Files.createDirectories(to);
    for (String f : new String[] {io.prefstream.model.bert.TunedEncoderStore.PARAMS_FILE,
        io.prefstream.model.bert.TunedEncoderStore.META_FILE}) {
      java.nio.file.Files.copy(from.resolve(f), to.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
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
