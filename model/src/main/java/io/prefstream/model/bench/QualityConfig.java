package io.prefstream.model.bench;

import io.prefstream.model.bert.EncoderTuneConfig;
import io.prefstream.model.customize.CustomizeConfig;
import io.prefstream.model.reward.FeatureLayout;
import io.prefstream.model.train.BaseTrainerConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The paper-style quality experiment.
 *
 * @param generalFiles general preference events (helpful, harmless): the base is trained on their
 *     train split, evaluated on their test split (file name up to the first '-' names the column)
 * @param layout the feature layout ({@link FeatureLayout#style()} by default)
 * @param dspFiles per-style events (users dsp-&lt;style&gt;, domain = style)
 * @param testPercent share of prompts held out for testing
 * @param newUserEvents events a new user contributes before its accuracy is measured
 * @param cacheDir on-disk embedding cache (null: memory only)
 * @param tune when not null, fine-tune the encoder's top layers on the train splits first (encoder must be
 *     all-minilm-l6-v2), then run the table on the tuned encoder's features
 * @param hiddenCacheDir on-disk cache of the frozen layers' activations (null: memory only)
 * @param tunedEncoderOut where the tuned encoder is saved (null: a temporary directory)
 * @param dspRaw the DSP queries with their responses by style, to break each customized model's accuracy down by
 *     the rejected response's style (null: no breakdown)
 */
public record QualityConfig(
    String encoderSpec, FeatureLayout layout, List<Path> generalFiles, List<Path> dspFiles, int testPercent,
    BaseTrainerConfig base, CustomizeConfig customize, int newUserEvents, Path cacheDir, EncoderTuneConfig tune,
    Path hiddenCacheDir, Path tunedEncoderOut, Path dspRaw) {

  /** The table on the frozen encoder (no tuning). */
  public QualityConfig(String encoderSpec, FeatureLayout layout, List<Path> generalFiles, List<Path> dspFiles,
      int testPercent, BaseTrainerConfig base, CustomizeConfig customize, int newUserEvents, Path cacheDir) {
    this(encoderSpec, layout, generalFiles, dspFiles, testPercent, base, customize, newUserEvents, cacheDir,
        null, null, null, null);
  }
}
