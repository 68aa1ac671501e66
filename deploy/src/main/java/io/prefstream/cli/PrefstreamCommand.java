package io.prefstream.cli;

import io.prefstream.ingest.cli.IngestCommand;
import io.prefstream.learner.cli.LearnerCommand;
import io.prefstream.learner.cli.RefitBaseCommand;
import io.prefstream.model.cli.CustomizeCommand;
import io.prefstream.model.cli.EvalCommand;
import io.prefstream.model.cli.StyleVocabularyCommand;
import io.prefstream.model.cli.TrainBaseCommand;
import io.prefstream.model.cli.TuneEncoderCommand;
import io.prefstream.scorer.cli.ScorerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code prefstream} command line: one subcommand per service and offline tool. */
@Command(
    name = "prefstream",
    mixinStandardHelpOptions = true,
    version = "prefstream 0.1.0-SNAPSHOT",
    description = "Online learning of customized reward models from preference events on Kafka.",
    subcommands = {
        IngestCommand.class,
        LearnerCommand.class,
        RefitBaseCommand.class,
        ScorerCommand.class,
        LocalCommand.class,
        TuneEncoderCommand.class,
        TrainBaseCommand.class,
        CustomizeCommand.class,
        EvalCommand.class,
        StyleVocabularyCommand.class,
        BenchCommand.class,
        BrokerCommand.class,
    })
public final class PrefstreamCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    int exit = new CommandLine(new PrefstreamCommand())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .execute(args);
    System.exit(exit);
  }
}
