package io.prefstream.cli;

import io.prefstream.ingest.cli.BenchIngestCommand;
import io.prefstream.learner.cli.BenchLearnerCommand;
import io.prefstream.learner.cli.BenchRefitCommand;
import io.prefstream.model.cli.EncoderBenchCommand;
import io.prefstream.model.cli.NgramCeilingCommand;
import io.prefstream.model.cli.QualityTableCommand;
import io.prefstream.scorer.cli.BenchScorerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code prefstream bench ...}: the benchmarks and the quality table, each on the real code path. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks that print measured figures (and, with --json, one JSON line).",
    subcommands = {
        BenchIngestCommand.class,
        BenchLearnerCommand.class,
        BenchRefitCommand.class,
        BenchScorerCommand.class,
        QualityTableCommand.class,
        NgramCeilingCommand.class,
        EncoderBenchCommand.class,
        BenchSoakCommand.class,
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
