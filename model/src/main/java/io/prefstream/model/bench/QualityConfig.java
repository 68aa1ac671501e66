package io.prefstream.model.bench;

import io.prefstream.model.customize.CustomizeConfig;
import io.prefstream.model.train.BaseTrainerConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The paper-style quality experiment.
 *
 * @param generalFiles general preference events (helpful, harmless): the base is trained on their
 *     train split, evaluated on their test split (file name up to the first '-' names the column)
 * @param dspFiles per-style events (users dsp-&lt;style&gt;, domain = style)
 * @param testPercent share of prompts held out for testing
 * @param newUserEvents events a new user contributes before its accuracy is measured
 * @param cacheDir on-disk embedding cache (null: memory only)
 */
public record QualityConfig(
    String encoderSpec, int hashedDims, List<Path> generalFiles, List<Path> dspFiles, int testPercent,
    BaseTrainerConfig base, CustomizeConfig customize, int newUserEvents, Path cacheDir) {}
