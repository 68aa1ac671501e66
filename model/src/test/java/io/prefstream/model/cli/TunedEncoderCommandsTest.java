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
@ExtendWith(NoEmbeddingDiskCache.class)
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
}
