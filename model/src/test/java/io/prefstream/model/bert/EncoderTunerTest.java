package io.prefstream.model.bert;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.PreferenceRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning the top layer on 64 DSP pairs: it learns, only the top changes, and save + reload is exact. */
class EncoderTunerTest {
  static final Path DATA = Path.of(System.getProperty("prefstream.data.dir", "../../shared/data"));

  @TempDir
  Path dir;

  @Test
  void tuningTheTopLayerLearnsLeavesTheBottomAloneAndRoundTrips() {
    List<PreferenceRecord> all = EventFiles.read(DATA.resolve("dsp/dsp-dev.events.jsonl"));
    Set<String> prompts = new LinkedHashSet<>();
    List<PreferenceRecord> train = new ArrayList<>();
    for (PreferenceRecord r : all) {
      if (prompts.size() < 4 || prompts.contains(r.prompt())) {
        prompts.add(r.prompt());
        if (prompts.contains(r.prompt())) {
          train.add(r);
        }
      }
    }
    assertThat(train).hasSize(64);
    List<String> texts = new ArrayList<>();
    for (PreferenceRecord r : train) {
      texts.add(r.prompt());
      texts.add(r.chosen());
      texts.add(r.rejected());
    }

    MiniLmEncoder pretrained = MiniLmEncoder.pretrained(Device.cpu());
    float[] bottomBefore = pretrained.block().layers().get(4).getParameters().get("output.dense.weight")
        .getArray().toFloatArray();
    float[] layer5Before = pretrained.block().layers().get(5).getParameters().get("attention.self.query.weight")
        .getArray().toFloatArray();
    HiddenStateCache cache = HiddenStateCache.open(null, pretrained.id(), 5, 384);
    cache.fill(pretrained, texts, n -> { });
    EncoderTuneConfig cfg = new EncoderTuneConfig(1, 6, 1, 0, 1e-4f, 1e-2f, 0.5f, 0.1f, UserCap.median(), 3);
    EncoderTuner.Result r = new EncoderTuner(cfg).tune(pretrained, cache, train, System.out::println);

    assertThat(r.steps()).isEqualTo(24);
    assertThat(r.epochAccuracy().get(r.epochAccuracy().size() - 1)).isGreaterThan(r.epochAccuracy().get(0))
        .isGreaterThanOrEqualTo(0.9);
    assertThat(r.epochLoss().get(r.epochLoss().size() - 1)).isLessThan(r.epochLoss().get(0));
    assertThat(r.genericHeads()).containsOnlyKeys("academy", "business", "entertainment", "literature");
    float[] tunedQuery = r.top().parameters().stream().filter(p -> p.getName().equals("attention.self.query.weight"))
        .findFirst().orElseThrow().getArray().toFloatArray();
    assertThat(tunedQuery).as("the tuned layer moved").isNotEqualTo(layer5Before);
    assertThat(pretrained.block().layers().get(5).getParameters().get("attention.self.query.weight").getArray()
        .toFloatArray()).as("the pretrained layer 5 is untouched").isEqualTo(layer5Before);
    assertThat(pretrained.block().layers().get(4).getParameters().get("output.dense.weight").getArray()
        .toFloatArray()).as("the frozen bottom is untouched").isEqualTo(bottomBefore);

    String id = TunedEncoderStore.save(dir, r.top());
    assertThat(id).startsWith("all-minilm-l6-v2~tuned:").hasSize("all-minilm-l6-v2~tuned:".length() + 12);
    List<String> probe = List.of(train.get(0).chosen(), train.get(5).rejected(), "A short text.", "");
    try (TunedMiniLmEncoder inMemory = new TunedMiniLmEncoder(id, pretrained, r.top(), null);
        TunedMiniLmEncoder reloaded = TunedEncoderStore.open(dir, null)) {
      assertThat(reloaded.id()).isEqualTo(id);
      List<float[]> a = inMemory.encodeAll(probe);
      List<float[]> b = reloaded.encodeAll(probe);
      for (int i = 0; i < probe.size(); i++) {
        assertThat(b.get(i)).as("reloaded embedding %d", i).containsExactly(a.get(i));
      }
      // The tuned encoder is no longer the pretrained one.
      float[] pre = pretrained.encode(probe.get(0));
      double diff = 0;
      for (int k = 0; k < pre.length; k++) {
        diff = Math.max(diff, Math.abs(pre[k] - a.get(0)[k]));
      }
      assertThat(diff).isGreaterThan(1e-3);
    }
  }
}
