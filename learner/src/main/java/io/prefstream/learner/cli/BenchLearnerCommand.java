package io.prefstream.learner.cli;

import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearningConfig;
import io.prefstream.learner.bench.LearnerBenchmark;
import io.prefstream.model.train.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream bench learner}: the learner's apply rate with embeddings cached, next to the raw trainer rate. */
@Command(name = "learner", mixinStandardHelpOptions = true,
    description = "Benchmark the learner on the DSP events with embeddings cached (no Kafka I/O).")
public class BenchLearnerCommand implements Callable<Integer> {
  @Option(names = "--json", description = "print one JSON line")
  boolean json;

  @Option(names = "--data-dir", description = "folder holding dsp/ and general/ (default: prefstream.data.dir "
      + "or ../shared/data)")
  Path dataDir;

  @Option(names = "--encoder", defaultValue = "hashing-ngram-v1-d384",
      description = "encoder spec; embeddings are cached before timing, so only the feature size matters "
          + "(d384 gives D=768 like MiniLM)")
  String encoder;

  @Option(names = "--users-per-style", defaultValue = "64", description = "simulated users per DSP style")
  int usersPerStyle;

  @Option(names = "--batch-size", defaultValue = "20", description = "events per training batch")
  int batchSize;

  @Option(names = "--block", defaultValue = "256", description = "batches per block (learner.block.records)")
  int block;

  @Option(names = "--steps", description = "gradient steps per batch (default: the trainer's default)")
  Integer steps;

  public BenchLearnerCommand() {}

  @Override
  public Integer call() {
    Path root = dataDir != null ? dataDir
        : Path.of(System.getProperty("prefstream.data.dir", Path.of("..", "shared", "data").toString()));
    LearningConfig learning = LearningConfig.defaults();
    if (steps != null) {
      TrainerConfig t = learning.trainer();
      learning = learning.withTrainer(new TrainerConfig(t.learningRate(), steps, t.l2Pull(), t.marginScale(),
          t.enrichmentWeight()));
    }
    List<Path> general = LearnerConfig.defaultBaseData();
    if (dataDir != null) {
      general = List.of(root.resolve("general/harmless-dev.events.jsonl"), root.resolve("general/helpful-dev.events.jsonl"));
    }
    LearnerBenchmark.Result r = LearnerBenchmark.run(new LearnerBenchmark.Options(
        root.resolve("dsp/dsp-dev.events.jsonl"), general, encoder, usersPerStyle, batchSize, block, learning));
    if (json) {
      System.out.println(r.toJson());
    } else {
      System.out.printf("learner applied %d events of %d keys in %.2f s: %.0f events/s (embeddings cached); "
              + "raw trainer calls alone: %.0f events/s; %d trainer calls on %s, encoder %s; %d learner-state records "
              + "of %.0f bytes, %.1f us each to encode%n", r.events(), r.keys(), r.seconds(), r.eventsPerSec(),
          r.rawStepEventsPerSec(), r.trainCalls(), r.device(), r.encoder(), r.stateRecords(), r.stateRecordMeanBytes(),
          r.stateRecordEncodeMicros());
    }
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchLearnerCommand()).execute(args));
  }
}
