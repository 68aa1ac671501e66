package io.prefstream.model.bert;

import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.reward.FeatureLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One tuning run: cache the frozen layers' activations, tune MiniLM's top layers on preference pairs, save the tuned
 * top, and serve it. Used by {@code prefstream tune-encoder} (a new base version's encoder) and by the quality table.
 */
public final class EncoderTuning {
  private final EncoderTuneConfig tune;
  private final String encoderSpec;
  private final Path hiddenCacheDir;
  private final Path out;
  private final FeatureLayout layout;

  /**
   * @param encoderSpec must name MiniLM ({@link Encoders#MINILM}; the quantized spec is accepted and its fp32
   *     weights are tuned)
   * @param hiddenCacheDir on-disk cache of the frozen layers' activations (null: memory only)
   * @param out where the tuned encoder is saved (null: a temporary directory)
   */
  public EncoderTuning(EncoderTuneConfig tune, String encoderSpec, Path hiddenCacheDir, Path out) {
    this(tune, encoderSpec, hiddenCacheDir, out, FeatureLayout.style());
  }

  /** @param layout the feature layout the tuning heads score (the one the base will be trained on) */
  public EncoderTuning(EncoderTuneConfig tune, String encoderSpec, Path hiddenCacheDir, Path out,
      FeatureLayout layout) {
    this.layout = java.util.Objects.requireNonNull(layout, "layout");
    this.tune = java.util.Objects.requireNonNull(tune, "tune");
    this.encoderSpec = encoderSpec;
    this.hiddenCacheDir = hiddenCacheDir;
    this.out = out;
  }

  /**
   * Caches the frozen layers' activations of every text in {@code all} (train and test: the test texts are only
   * encoded, never trained on), tunes on {@code train}, saves the tuned top and returns the tuned encoder,
   * which reads the same activation cache.
   */
  public TunedMiniLmEncoder tune(List<PreferenceRecord> all, List<PreferenceRecord> train, Consumer<String> progress) {
    if (!encoderSpec.equals(Encoders.MINILM) && !encoderSpec.equals(Encoders.MINILM_QUANTIZED)) {
      throw new IllegalArgumentException("encoder tuning needs " + Encoders.MINILM + " (fp32 weights), got '"
          + encoderSpec + "'");
    }
    int k = tune.topLayers();
    MiniLmEncoder pretrained = MiniLmEncoder.pretrained();
    // Activations after layer min(4, 6−k): one cache serves k = 1 and k = 2 (for k = 1, layer 4 runs frozen).
    int split = Math.max(0, pretrained.block().config().layers() - Math.max(k, 2));
    HiddenStateCache cache = HiddenStateCache.open(hiddenCacheDir, Encoders.MINILM, split,
        pretrained.dimension());
    try {
      Set<String> texts = new LinkedHashSet<>();
      for (PreferenceRecord r : all) {
        texts.add(r.prompt());
        texts.add(r.chosen());
        texts.add(r.rejected());
      }
      long t0 = System.currentTimeMillis();
      progress.accept("hidden-state cache after layer " + split + ": " + cache.size() + " texts cached, "
          + texts.size() + " needed");
      long[] last = {t0};
      int computed = cache.fill(pretrained, new ArrayList<>(texts), n -> {
        if (System.currentTimeMillis() - last[0] > 15_000) {
          last[0] = System.currentTimeMillis();
          progress.accept("  " + n + " texts through the frozen layers");
        }
      });
      progress.accept(String.format("frozen layers: %d texts computed in %.1f s", computed,
          (System.currentTimeMillis() - t0) / 1000.0));
      progress.accept("tuning the top " + k + " layer(s) on " + train.size() + " train pairs: " + tune);
      EncoderTuner.Result r = new EncoderTuner(tune, layout).tune(pretrained, cache, train, progress);
      progress.accept(String.format("tuning: %d steps in %.1f s, epoch accuracy %s, user pair weight %.3f",
          r.steps(), r.millis() / 1000.0, r.epochAccuracy(), r.userWeightShare()));
      Path dir = out != null ? out : Files.createTempDirectory("prefstream-tuned-encoder");
      String id = TunedEncoderStore.save(dir, r.top());
      progress.accept("tuned encoder " + id + " saved in " + dir);
      return new TunedMiniLmEncoder(id, pretrained, r.top(), cache);
    } catch (IOException e) {
      cache.close();
      pretrained.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      cache.close();
      pretrained.close();
      throw e;
    }
  }
}
