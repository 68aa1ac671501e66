package io.prefstream.model.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.model.bench.QualityConfig;
import io.prefstream.model.bert.EncoderTuneConfig;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.bench.QualityTable;
import io.prefstream.model.customize.CustomizeConfig;
import io.prefstream.model.train.BaseTrainerConfig;
import io.prefstream.model.train.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prefstream bench quality}: the paper-style accuracy table on held-out prompts. */
@Command(name = "quality", mixinStandardHelpOptions = true,
    description = "Train the base on general data, customize on DSP data (80/20 split by prompt) and print "
        + "held-out accuracy of the base and each customized model on every DSP domain and on helpful/harmless.")
public class QualityTableCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--data-dir", description = "Directory with general/ and dsp/ (default: prefstream.data.dir or ../shared/data)")
  Path dataDir;

  @Option(names = "--encoder", defaultValue = "all-minilm-l6-v2-q", description = "Encoder spec (default: ${DEFAULT-VALUE})")
  String encoder;

  @Option(names = "--layout", defaultValue = "style",
      description = "Feature layout: style ([e(r) | style vocabulary counts]) or pairwise ([e(r) | e(p)*e(r)]) (default: ${DEFAULT-VALUE})")
  String layout;

  @Option(names = "--hashed-dims", defaultValue = "0", description = "Hashed response n-gram features (pairwise layout only)")
  int hashedDims;

  @Option(names = "--test-percent", defaultValue = "20")
  int testPercent;

  @Option(names = "--new-user-events", defaultValue = "32")
  int newUserEvents;

  @Option(names = "--base-steps", defaultValue = "300") int baseSteps;
  @Option(names = "--base-lr", defaultValue = "0.01") float baseLr;
  @Option(names = "--base-l2", defaultValue = "0.01") float baseL2;
  @Option(names = "--generic-steps", defaultValue = "300") int genericSteps;
  @Option(names = "--generic-lr", defaultValue = "0.01") float genericLr;
  @Option(names = "--generic-l2", defaultValue = "0.001") float genericL2;
  @Option(names = "--no-generic", description = "Skip the generic parts (individual parts only)") boolean noGeneric;
  @Option(names = "--lr", defaultValue = "2.0", description = "Individual learning rate") float lr;
  @Option(names = "--steps", defaultValue = "30", description = "Individual steps per batch") int steps;
  @Option(names = "--l2-pull", defaultValue = "0.01") float l2Pull;
  @Option(names = "--margin-scale", defaultValue = "0.5") float marginScale;
  @Option(names = "--enrichment-weight", defaultValue = "0.25") float enrichmentWeight;
  @Option(names = "--enrichment-per-batch", defaultValue = "4") int enrichmentPerBatch;
  @Option(names = "--epochs", defaultValue = "3") int epochs;
  @Option(names = "--batch-size", defaultValue = "16") int batchSize;

  @Option(names = "--tune-encoder-layers", defaultValue = "0",
      description = "Fine-tune MiniLM's top K layers (with the heads) on the train splits first; 0 = frozen encoder "
          + "(default: ${DEFAULT-VALUE}; 2 measured best). Uses the fp32 all-minilm-l6-v2 weights.")
  int tuneLayers;
  @Mixin
  EncoderTuneOptions tuneOptions;
  @Option(names = "--save-encoder", description = "Directory to save the tuned encoder in (encoder-top.params, encoder.json)")
  Path saveEncoder;

  @Option(names = "--json", description = "Print the result as JSON on stdout (the table goes to stderr)")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Path data = dataDir != null ? dataDir : DataDirs.data();
    BaseTrainerConfig base = new BaseTrainerConfig(baseSteps, baseLr, baseL2, genericSteps, genericLr, genericL2,
        marginScale, enrichmentWeight);
    TrainerConfig individual = new TrainerConfig(lr, steps, l2Pull, marginScale, enrichmentWeight);
    CustomizeConfig cc = new CustomizeConfig(!noGeneric, base, individual, epochs, batchSize, enrichmentPerBatch, 17);
    EncoderTuneConfig tune = null;
    String enc = encoder;
    if (tuneLayers > 0) {
      tune = tuneOptions.config(tuneLayers, marginScale, spec.commandLine());
      // Tuning starts from the fp32 weights (the quantized model's are not trainable).
      enc = Encoders.MINILM;
    }
    QualityConfig qc = new QualityConfig(enc, CommandSupport.layout(spec.commandLine(), layout, hashedDims),
        List.of(data.resolve("general/helpful-dev.events.jsonl"), data.resolve("general/harmless-dev.events.jsonl")),
        List.of(data.resolve("dsp/dsp-dev.events.jsonl")), testPercent, base, cc, newUserEvents,
        DataDirs.embeddingCache(), tune, DataDirs.hiddenCache(), saveEncoder,
        DataDirs.dspRaw(data));
    QualityTable.Result r = new QualityTable(qc).run(System.err::println);
    String table = QualityTable.format(r);
    if (json) {
      System.err.print(table);
      ObjectMapper m = new ObjectMapper();
      ObjectNode o = m.createObjectNode();
      o.put("encoderId", r.encoderId());
      o.put("featureDim", r.featureDim());
      o.putPOJO("columns", r.columns());
      o.putPOJO("testPairs", r.testPairs());
      o.putPOJO("rows", r.rows());
      o.putPOJO("newUser", r.newUser());
      o.putPOJO("ownStyleByRejectedStyle", r.ownStyleByRejectedStyle());
      o.put("millis", r.millis());
      System.out.println(m.writeValueAsString(o));
    } else {
      System.out.print(table);
    }
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new QualityTableCommand()).execute(args));
  }
}
