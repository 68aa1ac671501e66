package io.prefstream.model.cli;

import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream bench encoder}: measured encode rate (texts/s) of encoders on real responses, uncached. */
@Command(name = "encoder", mixinStandardHelpOptions = true,
    description = "Encode distinct DSP responses with each encoder (no cache) and print texts/s, then the "
        + "rate of a warm CachingEncoder on the same texts.")
public class EncoderBenchCommand implements Callable<Integer> {
  @Option(names = "--data", description = "Event JSONL file (default: <data dir>/dsp/dsp-dev.events.jsonl)")
  Path data;

  @Option(names = "--encoders", split = ",", defaultValue = "all-minilm-l6-v2-q,all-minilm-l6-v2")
  List<String> encoders;

  @Option(names = "--texts", defaultValue = "200", description = "Distinct texts to encode (default: ${DEFAULT-VALUE})")
  int texts;

  @Override
  public Integer call() {
    Path file = data != null ? data : DataDirs.data().resolve("dsp/dsp-dev.events.jsonl");
    Set<String> distinct = new LinkedHashSet<>();
    for (PreferenceRecord r : EventFiles.read(file)) {
      distinct.add(r.chosen());
      distinct.add(r.rejected());
      if (distinct.size() >= texts) {
        break;
      }
    }
    List<String> sample = new ArrayList<>(distinct).subList(0, Math.min(texts, distinct.size()));
    double chars = sample.stream().mapToInt(String::length).average().orElse(0);
    System.out.printf("%d distinct texts from %s, mean %.0f chars, %d cores%n", sample.size(), file, chars,
        Runtime.getRuntime().availableProcessors());
    for (String spec : encoders) {
      try (CachingEncoder enc = new CachingEncoder(Encoders.open(spec), sample.size() + 1)) {
        enc.encodeAll(sample.subList(0, Math.min(8, sample.size()))); // warm-up: sessions, allocators
        TextEncoder inner = enc;
        long t0 = System.nanoTime();
        for (String t : sample) {
          inner.encode(t + " "); // a distinct text: a cache miss every time
        }
        double cold = sample.size() / ((System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        enc.encodeAll(sample);
        double batched = sample.size() / ((System.nanoTime() - t1) / 1e9);
        long t2 = System.nanoTime();
        enc.encodeAll(sample);
        double warm = sample.size() / ((System.nanoTime() - t2) / 1e9);
        System.out.printf("%-22s one-by-one %7.1f texts/s   encodeAll %7.1f texts/s   cached %10.0f texts/s (hit rate %.2f)%n",
            spec, cold, batched, warm, enc.hitRate());
      }
    }
    return 0;
  }
}
