package io.prefstream.learner.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.learner.bench.RefitBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream bench refit}: time and heap of one refit-base run over a large models topic. */
@Command(name = "refit", mixinStandardHelpOptions = true,
    description = "Fill an in-process broker's models topic with customized checkpoints, run refit-base on it, and "
        + "print its time and heap (run under a small -Xmx, e.g. PREFSTREAM_JAVA_OPTS=-Xmx512m, to bound the heap).")
public class BenchRefitCommand implements Callable<Integer> {
  @Option(names = "--keys", defaultValue = "100000", description = "(user, domain) keys (default ${DEFAULT-VALUE})")
  int keys;

  @Option(names = "--versions-per-key", defaultValue = "2",
      description = "checkpoints per key on the uncompacted topic (default ${DEFAULT-VALUE})")
  int versionsPerKey;

  @Option(names = "--dim", defaultValue = "768", description = "feature dimension (default ${DEFAULT-VALUE})")
  int dim;

  @Option(names = "--partitions", defaultValue = "3", description = "models partitions (default ${DEFAULT-VALUE})")
  int partitions;

  public BenchRefitCommand() {}

  @Override
  public Integer call() throws Exception {
    ObjectNode r = RefitBenchmark.run(new RefitBenchmark.Options(keys, versionsPerKey, dim, partitions));
    System.out.println(r);
    return 0;
  }
}
