package io.prefstream.model.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prefstream.model.bert.MiniLmEncoder;
import io.prefstream.model.bert.TunedEncoderStore;
import io.prefstream.model.bert.TunedTop;
import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.reward.FeatureLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A tuned encoder travels with the model: train-base --encoder tuned:DIR → customize → eval. */
@ExtendWith(NoDiskCaches.class)
class TunedEncoderCommandsTest {
  @Test
  void aBaseTrainedOnATunedEncoderCarriesIt(@TempDir Path tmp) throws Exception {
    Path enc = tmp.resolve("encoder");
    String id;
    try (MiniLmEncoder pretrained = MiniLmEncoder.pretrained(Device.cpu());
        TunedTop top = TunedTop.copyOf(pretrained.block(), 1, pretrained.manager())) {
      id = TunedEncoderStore.save(enc, top);
    }
    Path dsp = OfflineCommandsTest.slice(OfflineCommandsTest.data.resolve("dsp/dsp-dev.events.jsonl"), tmp,
        "dsp.jsonl", 600, 0);
    Path baseDir = tmp.resolve("base");
    Path customDir = tmp.resolve("custom");
    OfflineCommandsTest.run(new TrainBaseCommand(), "--data", dsp.toString(), "--out", baseDir.toString(),
        "--encoder", "tuned:" + enc, "--steps", "20");
    // the tuned encoder's id plus the feature layout's suffix
    assertThat(BaseModelStore.load(baseDir).encoderId()).isEqualTo(id + FeatureLayout.style().suffix());
    assertThat(TunedEncoderStore.encoderId(baseDir)).isEqualTo(id);
    OfflineCommandsTest.run(new CustomizeCommand(), "--base", baseDir.toString(), "--data", dsp.toString(),
        "--out", customDir.toString(), "--epochs", "1", "--generic-steps", "10");
    assertThat(TunedEncoderStore.encoderId(customDir)).isEqualTo(id);
    String out = OfflineCommandsTest.run(new EvalCommand(), "--model", customDir.toString(), "--data",
        dsp.toString(), "--json");
    JsonNode o = new ObjectMapper().readTree(out.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
    assertThat(o.path("overall").path("pairs").asInt()).isEqualTo(14);
  }

  @Test
  void tuneEncoderTrainsTheTopLayersThatTrainBaseThenUses(@TempDir Path tmp) throws Exception {
    Path dsp = OfflineCommandsTest.slice(OfflineCommandsTest.data.resolve("dsp/dsp-dev.events.jsonl"), tmp,
        "dsp.jsonl", 500, 3);
    Path general = OfflineCommandsTest.slice(OfflineCommandsTest.data.resolve("general/helpful-dev.events.jsonl"), tmp,
        "general.jsonl", 200, 0);
    Path enc = tmp.resolve("encoder");
    String out = OfflineCommandsTest.run(new TuneEncoderCommand(), "--data", dsp.toString(), general.toString(),
        "--out", enc.toString(), "--tune-encoder-layers", "1", "--tune-encoder-lr", "1e-3");
    String id = out.strip().lines().reduce((a, b) -> b).orElseThrow();
    assertThat(id).startsWith(TunedEncoderStore.TUNED_PREFIX).isEqualTo(TunedEncoderStore.encoderId(enc));
    String untouched;
    try (MiniLmEncoder pretrained = MiniLmEncoder.pretrained(Device.cpu());
        TunedTop top = TunedTop.copyOf(pretrained.block(), 1, pretrained.manager())) {
      untouched = TunedEncoderStore.save(tmp.resolve("untouched"), top);
    }
    assertThat(id).as("tuning changed the layer's weights").isNotEqualTo(untouched);

    Path baseDir = tmp.resolve("base");
    OfflineCommandsTest.run(new TrainBaseCommand(), "--data", general.toString(), "--out", baseDir.toString(),
        "--encoder", "tuned:" + enc, "--steps", "5");
    assertThat(BaseModelStore.load(baseDir).encoderId()).isEqualTo(id + FeatureLayout.style().suffix());
    java.io.StringWriter err = new java.io.StringWriter();
    int rc = new picocli.CommandLine(new TuneEncoderCommand()).setErr(new java.io.PrintWriter(err)).execute("--data",
        general.toString(), "--out", tmp.resolve("bad").toString(), "--tune-user-cap", "lots");
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("--tune-user-cap must be median, none or a positive number of pairs, got 'lots'");
  }
}
