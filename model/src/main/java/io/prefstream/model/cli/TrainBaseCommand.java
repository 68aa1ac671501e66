package io.prefstream.model.cli;

import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.data.EnrichmentSet;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.reward.PreferenceLoss;
import io.prefstream.model.train.BaseTrainer;
import io.prefstream.model.train.BaseTrainerConfig;
import io.prefstream.model.train.TrainingPair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prefstream train-base --data FILE... --out DIR}: the general base reward model (GRFT). */
@Command(name = "train-base", mixinStandardHelpOptions = true,
    description = "Train the general base reward model on preference events and write DIR/base.psrm, "
        + "DIR/model.json and DIR/enrichment.jsonl (general pairs replayed while customizing).")
public class TrainBaseCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, arity = "1..*", description = "Event JSONL files (general preferences)")
  List<Path> data;

  @Option(names = "--out", required = true, description = "Output model directory")
  Path out;

  @Option(names = "--encoder", defaultValue = "all-minilm-l6-v2-q", description = "Encoder spec (default: ${DEFAULT-VALUE})")
  String encoder;

  @Option(names = "--layout", defaultValue = "style",
      description = "Feature layout: style ([e(r) | style vocabulary counts]) or pairwise ([e(r) | e(p)*e(r)]) (default: ${DEFAULT-VALUE})")
  String layout;

  @Option(names = "--hashed-dims", defaultValue = "0", description = "Hashed response n-gram features (pairwise layout only)")
  int hashedDims;

  @Option(names = "--steps", defaultValue = "300", description = "Adam steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--lr", defaultValue = "0.01") float lr;
  @Option(names = "--l2", defaultValue = "0.01") float l2;
  @Option(names = "--margin-scale", defaultValue = "0.5", description = "m = marginScale * strength") float marginScale;
  @Option(names = "--version", defaultValue = "1", description = "Base version to write") long version;

  @Override
  public Integer call() throws java.io.IOException {
    List<PreferenceRecord> records = EventFiles.read(data);
    if (records.isEmpty()) {
      System.err.println("no preference events in " + data);
      return 2;
    }
    BaseTrainerConfig cfg = BaseTrainerConfig.defaults();
    cfg = new BaseTrainerConfig(steps, lr, l2, cfg.genericSteps(), cfg.genericLearningRate(), cfg.genericL2(),
        marginScale, cfg.enrichmentWeight());
    String encoderId = encoder + CommandSupport.layout(spec.commandLine(), layout, hashedDims).suffix();
    PairFeaturizer fz = CommandSupport.openFeaturizer(encoderId);
    try {
      List<FeaturizedPair> feats = CommandSupport.featurize(fz, records);
      List<TrainingPair> pairs = new ArrayList<>();
      for (FeaturizedPair p : feats) {
        pairs.add(new TrainingPair(0, p.chosen(), p.rejected(),
            PreferenceLoss.margin(p.record().strength(), marginScale), 1f));
      }
      long t0 = System.currentTimeMillis();
      try (BaseTrainer trainer = new BaseTrainer(cfg)) {
        System.err.printf("training the base on %d pairs, %d Adam steps, device %s%n", pairs.size(), steps,
            trainer.device());
        float[] w = trainer.trainBase(fz.dimension(), pairs);
        BaseModel base = new BaseModel(version, fz.encoderId(), fz.dimension(), w, Map.of(), pairs.size(),
            System.currentTimeMillis());
        BaseModelStore.save(base, out);
        if (encoder.startsWith(Encoders.TUNED_DIR_PREFIX)) {
          // The base version carries its tuned encoder, so Encoders.openForModel(out, base.encoderId()) finds it.
          CommandSupport.copyTunedEncoder(Path.of(encoder.substring(Encoders.TUNED_DIR_PREFIX.length())), out);
        }
        EnrichmentSet.write(out, records, EnrichmentSet.DEFAULT_SIZE);
        int ok = 0;
        for (TrainingPair p : pairs) {
          double d = 0;
          for (int i = 0; i < w.length; i++) {
            d += w[i] * (p.chosen()[i] - p.rejected()[i]);
          }
          ok += d > 0 ? 1 : 0;
        }
        System.err.printf("trained in %.1f s; training accuracy %.3f; wrote %s%n",
            (System.currentTimeMillis() - t0) / 1000.0, (double) ok / pairs.size(), out.toAbsolutePath());
      }
    } finally {
      fz.encoder().close();
    }
    return 0;
  }
}
