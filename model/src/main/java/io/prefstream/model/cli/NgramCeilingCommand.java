package io.prefstream.model.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.prefstream.model.bench.NgramCeiling;
import io.prefstream.model.bench.NgramFeatures;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream bench ceiling}: what a strong bag-of-words model reaches on the quality table's split. */
@Command(name = "ceiling", mixinStandardHelpOptions = true,
    description = "Fit linear Bradley-Terry models on TF-IDF word and character n-grams (tens of thousands of "
        + "features, no encoder) to the same 80/20 split by prompt as 'bench quality', per DSP style and for the "
        + "general base, and print held-out accuracy, a learning curve over the train prompts and, per style, the "
        + "accuracy against each rejected style. L2 is the best of the grid on the test pairs: an optimistic "
        + "estimate of what linear text models reach with this data.")
public class NgramCeilingCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Directory with general/ and dsp/ (default: prefstream.data.dir or ../shared/data)")
  Path dataDir;

  @Option(names = "--test-percent", defaultValue = "20")
  int testPercent;

  @Option(names = "--features", split = ",", defaultValue = "WORD_1_2,CHAR_3_5",
      description = "Feature kinds, any of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  List<NgramFeatures.Kind> kinds;

  @Option(names = "--l2", split = ",", defaultValue = "0.0001,0.001,0.01",
      description = "L2 strengths to try (default: ${DEFAULT-VALUE})")
  List<Double> l2;

  @Option(names = "--train-fractions", split = ",", defaultValue = "0.125,0.25,0.5,1",
      description = "Learning curve: shares of the train prompts (default: ${DEFAULT-VALUE})")
  List<Double> fractions;

  @Option(names = "--max-iterations", defaultValue = "300", description = "L-BFGS iterations per fit (default: ${DEFAULT-VALUE})")
  int maxIterations;

  @Option(names = "--json", description = "Print the result as JSON on stdout (the table goes to stderr)")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Path data = dataDir != null ? dataDir : DataDirs.data();
    NgramCeiling.Config config = new NgramCeiling.Config(
        List.of(data.resolve("general/helpful-dev.events.jsonl"), data.resolve("general/harmless-dev.events.jsonl")),
        List.of(data.resolve("dsp/dsp-dev.events.jsonl")), DataDirs.dspRaw(data), testPercent, kinds, l2,
        fractions, maxIterations);
    NgramCeiling.Result r = new NgramCeiling(config).run(System.err::println);
    String table = NgramCeiling.format(r);
    if (json) {
      System.err.print(table);
      System.out.println(new ObjectMapper().writeValueAsString(r));
    } else {
      System.out.print(table);
    }
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new NgramCeilingCommand()).execute(args));
  }
}
