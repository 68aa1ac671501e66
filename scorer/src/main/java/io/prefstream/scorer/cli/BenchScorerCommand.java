package io.prefstream.scorer.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.protocol.json.Json;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.bench.ScorerBenchmark;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream bench scorer}: latency at a fixed rate with cached embeddings, the same during hot-swaps, bytes
 * per loaded model, and the uncached encoder-bound rate. {@code --json} prints one JSON line (and nothing else on
 * stdout) with at least p99Ms, p99DuringSwapsMs, failedRequests and bytesPerLoadedModel.
 */
@Command(name = "scorer", mixinStandardHelpOptions = true,
    description = "Benchmark the scorer on a real broker, service, encoder and HTTP.")
public final class BenchScorerCommand implements Callable<Integer> {
  @Option(names = "--json", description = "print one JSON line of results")
  boolean json;

  @Option(names = "--encoder", defaultValue = ScorerConfig.DEFAULT_ENCODER,
      description = "encoder spec (default ${DEFAULT-VALUE})")
  String encoder;

  @Option(names = "--rate", defaultValue = "500", description = "requests per second (default ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--seconds", defaultValue = "20",
      description = "length of the steady and the hot-swap phase each (default ${DEFAULT-VALUE})")
  int seconds;

  @Option(names = "--candidates", defaultValue = "4", description = "candidates per request (default ${DEFAULT-VALUE})")
  int candidates;

  @Option(names = "--swaps", defaultValue = "20", description = "hot-swaps during the swap phase (default ${DEFAULT-VALUE})")
  int swaps;

  @Option(names = "--loaded-keys", defaultValue = "100000",
      description = "customized models loaded for the memory measurement (default ${DEFAULT-VALUE})")
  int loadedKeys;

  @Option(names = "--users", defaultValue = "1000",
      description = "users with a customized model in the latency phases (default ${DEFAULT-VALUE})")
  int users;

  @Option(names = "--prompts", defaultValue = "100", description = "distinct requests (default ${DEFAULT-VALUE})")
  int prompts;

  @Option(names = "--uncached-seconds", defaultValue = "10",
      description = "length of each uncached measurement (default ${DEFAULT-VALUE})")
  int uncachedSeconds;

  @Option(names = "--threads", defaultValue = "2", description = "threads for the uncached measurement (default ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--bootstrap-servers", description = "use this Kafka cluster instead of an embedded broker")
  String bootstrapServers;

  @Option(names = "--data", description = "the DSP raw file (default: <prefstream.data.dir>/dsp/dsp-dev.raw.jsonl, "
      + "else ./shared/data/...; generated texts when absent)")
  Path data;

  public BenchScorerCommand() {}

  /** Runs the benchmark without the deploy module: {@code java -cp <scorer classpath> ...BenchScorerCommand --json}. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new BenchScorerCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path dsp = data;
    if (dsp == null) {
      String dir = System.getProperty("prefstream.data.dir");
      dsp = dir != null ? Path.of(dir, "dsp", "dsp-dev.raw.jsonl") : Path.of("shared", "data", "dsp", "dsp-dev.raw.jsonl");
      if (!dsp.toFile().isFile()) {
        dsp = Path.of("..", "shared", "data", "dsp", "dsp-dev.raw.jsonl");
      }
    }
    ScorerBenchmark.Config config = new ScorerBenchmark.Config(encoder, rate, Duration.ofSeconds(seconds),
        candidates, swaps, loadedKeys, users, prompts, bootstrapServers, dsp, Duration.ofSeconds(uncachedSeconds),
        threads);
    // With --json, progress goes to stderr so stdout holds exactly one JSON line.
    PrintStream log = json ? System.err : System.out;
    ObjectNode result = new ScorerBenchmark(config, log).run();
    if (json) {
      System.out.println(Json.MAPPER.writeValueAsString(result));
    } else {
      System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }
    return 0;
  }

}
