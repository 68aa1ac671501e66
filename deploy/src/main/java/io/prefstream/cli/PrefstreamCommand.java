package io.prefstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code prefstream} command line: one subcommand per service and offline tool. */
@Command(
    name = "prefstream",
    mixinStandardHelpOptions = true,
    version = "prefstream 0.1.0-SNAPSHOT",
    description = "Online learning of customized reward models from preference events on Kafka.",
    subcommands = {
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
