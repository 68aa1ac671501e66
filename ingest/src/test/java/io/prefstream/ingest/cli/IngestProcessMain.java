package io.prefstream.ingest.cli;

import picocli.CommandLine;

/** Runs {@link IngestCommand} as a process of its own, the way {@code prefstream ingest} does, for crash tests. */
public final class IngestProcessMain {
  private IngestProcessMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new IngestCommand()).execute(args));
  }
}
