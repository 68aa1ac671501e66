package io.prefstream.model.cli;

import io.prefstream.model.bert.EncoderTuning;
import io.prefstream.model.bert.TunedMiniLmEncoder;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.encoder.Encoders;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code prefstream tune-encoder --data FILE... --out DIR}: fine-tunes MiniLM's top layers on everyone's pairs, the
 * slow-cadence step of a new base version (then {@code train-base --encoder tuned:DIR}).
 */
@Command(name = "tune-encoder", mixinStandardHelpOptions = true,
    description = "Fine-tune MiniLM's top layers on preference events (users' pairs and general pairs, userId null) "
        + "and save them in DIR (encoder-top.params, encoder.json); train-base --encoder tuned:DIR then makes a base "
        + "on the tuned encoder. Activations of the frozen layers are cached in -Dprefstream.hidden.cache "
        + "(default ~/.cache/prefstream/hidden).")
public class TuneEncoderCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, arity = "1..*", description = "Event JSONL files")
  List<Path> data;

  @Option(names = "--out", required = true, description = "Directory for the tuned encoder")
  Path out;

  @Option(names = "--tune-encoder-layers", defaultValue = "2",
      description = "How many of MiniLM's top layers to tune (default: ${DEFAULT-VALUE}, measured best on 2 CPU cores)")
  int layers;

  @Option(names = "--layout", defaultValue = "style",
      description = "Feature layout the tuning heads score, the base's: style or pairwise (default: ${DEFAULT-VALUE})")
  String layout;

  @Option(names = "--margin-scale", defaultValue = "0.5", description = "m = marginScale * strength (default: ${DEFAULT-VALUE})")
  float marginScale;

  @Mixin
  EncoderTuneOptions tuneOptions;

  @Override
  public Integer call() {
    List<PreferenceRecord> records = EventFiles.read(data);
    if (records.isEmpty()) {
      System.err.println("no preference events in " + data);
      return 2;
    }
    EncoderTuning tuning = new EncoderTuning(tuneOptions.config(layers, marginScale, spec.commandLine()), Encoders.MINILM,
        DataDirs.hiddenCache(), out, CommandSupport.layout(spec.commandLine(), layout, 0));
    try (TunedMiniLmEncoder tuned = tuning.tune(records, records, System.err::println)) {
      System.out.println(tuned.id());
    }
    return 0;
  }
}
