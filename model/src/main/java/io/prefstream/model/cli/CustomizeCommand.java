package io.prefstream.model.cli;

import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.checkpoint.ModelDirectory;
import io.prefstream.model.customize.CustomizeConfig;
import io.prefstream.model.customize.Customizer;
import io.prefstream.model.data.EnrichmentSet;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.train.BaseTrainerConfig;
import io.prefstream.model.train.TrainerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream customize --base DIR --data FILE... --out DIR}: customized models per (user, domain). */
@Command(name = "customize", mixinStandardHelpOptions = true,
    description = "Fine-tune customized reward models for every (userId, domain) in the event files: the generic "
        + "part of each domain (written into DIR/base.psrm) and an individual part per (user, domain) "
        + "(DIR/individual/<domain>/<userId>.psrm).")
public class CustomizeCommand implements Callable<Integer> {
  @Option(names = "--base", required = true, description = "Base model directory (from train-base)")
  Path baseDir;

  @Option(names = "--data", required = true, arity = "1..*", description = "Event JSONL files with userId and domain")
  List<Path> data;

  @Option(names = "--out", required = true, description = "Output model directory")
  Path out;

  @Option(names = "--general", arity = "1..*",
      description = "General event files replayed while customizing (default: the base's enrichment.jsonl)")
  List<Path> general;

  @Option(names = "--no-generic", description = "Do not fit generic domain parts") boolean noGeneric;
  @Option(names = "--generic-steps", defaultValue = "300", description = "Adam steps for the generic parts") int genericSteps;
  @Option(names = "--epochs", defaultValue = "3") int epochs;
  @Option(names = "--batch-size", defaultValue = "16") int batchSize;
  @Option(names = "--lr", defaultValue = "2.0") float lr;
  @Option(names = "--steps", defaultValue = "30") int steps;
  @Option(names = "--l2-pull", defaultValue = "0.01") float l2Pull;
  @Option(names = "--margin-scale", defaultValue = "0.5") float marginScale;
  @Option(names = "--enrichment-weight", defaultValue = "0.25") float enrichmentWeight;
  @Option(names = "--enrichment-per-batch", defaultValue = "4") int enrichmentPerBatch;

  @Override
  public Integer call() throws java.io.IOException {
    BaseModel base = BaseModelStore.load(baseDir);
    List<PreferenceRecord> events = new ArrayList<>();
    for (PreferenceRecord r : EventFiles.read(data)) {
      if (r.userId() != null) {
        events.add(r);
      }
    }
    if (events.isEmpty()) {
      System.err.println("no events with a userId in " + data + "; nothing to customize");
      return 2;
    }
    List<PreferenceRecord> enrichment = general != null ? EventFiles.read(general) : EnrichmentSet.read(baseDir);
    PairFeaturizer fz = CommandSupport.openFeaturizer(base.encoderId(), baseDir);
    try {
      if (fz.dimension() != base.featureDim()) {
        System.err.printf("base %s has featureDim %d but its encoder %s gives %d%n", baseDir, base.featureDim(),
            base.encoderId(), fz.dimension());
        return 2;
      }
      List<FeaturizedPair> ev = CommandSupport.featurize(fz, events);
      List<FeaturizedPair> gen = CommandSupport.featurize(fz, enrichment);
      BaseTrainerConfig d = BaseTrainerConfig.defaults();
      BaseTrainerConfig gc = new BaseTrainerConfig(d.baseSteps(), d.baseLearningRate(), d.baseL2(), genericSteps,
          d.genericLearningRate(), d.genericL2(), marginScale, enrichmentWeight);
      CustomizeConfig cc = new CustomizeConfig(!noGeneric, gc,
          new TrainerConfig(lr, steps, l2Pull, marginScale, enrichmentWeight), epochs, batchSize,
          enrichmentPerBatch, 17);
      long t0 = System.currentTimeMillis();
      Customizer.Result res = new Customizer(cc).customize(base, ev, gen, System.currentTimeMillis(),
          System.err::println);
      ModelDirectory.save(out, res.base(), res.individuals().values());
      if (!out.toAbsolutePath().normalize().equals(baseDir.toAbsolutePath().normalize())) {
        EnrichmentSet.copy(baseDir, out);
        CommandSupport.copyTunedEncoder(baseDir, out);
      }
      System.err.printf("customized %d (user, domain) models in %.1f s; wrote %s%n", res.individuals().size(),
          (System.currentTimeMillis() - t0) / 1000.0, out.toAbsolutePath());
    } finally {
      fz.encoder().close();
    }
    return 0;
  }
}
