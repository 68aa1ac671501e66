package io.prefstream.model.bert;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DJL PyTorch MiniLM block reproduces the ONNX Runtime fp32 encoder (the required check). */
class MiniLmParityTest {
  static final Path DATA = Path.of(System.getProperty("prefstream.data.dir", "../../shared/data"));

  static TextEncoder onnx;
  static MiniLmEncoder djl;

  @BeforeAll
  static void open() {
    onnx = Encoders.open(Encoders.MINILM);
    djl = MiniLmEncoder.pretrained(Device.cpu());
  }

  @AfterAll
  static void close() {
    onnx.close();
    djl.close();
  }

  /** 16 DSP responses spread over the length range (some truncated at 256 tokens), prompts and short texts. */
  static List<String> texts() {
    List<PreferenceRecord> recs = EventFiles.read(DATA.resolve("dsp/dsp-dev.events.jsonl"));
    Set<String> distinct = new LinkedHashSet<>();
    for (PreferenceRecord r : recs) {
      distinct.add(r.chosen());
    }
    List<String> sorted = new ArrayList<>(distinct);
    sorted.sort((a, b) -> Integer.compare(a.length(), b.length()));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      out.add(sorted.get((int) ((long) i * (sorted.size() - 1) / 15)));
    }
    out.add(recs.get(0).prompt());
    out.add("Hi");
    out.add("");
    out.add("Name three methods to reduce greenhouse gas emissions.");
    return out;
  }

  @Test
  void djlBlockMatchesOnnxRuntimeWithin1e4() {
    List<String> texts = texts();
    assertThat(texts.get(15).length()).as("the longest text exceeds 256 tokens").isGreaterThan(1500);
    List<float[]> expected = new ArrayList<>();
    for (String t : texts) {
      expected.add(onnx.encode(t));
    }
    List<float[]> batched = djl.encodeAll(texts);
    double worst = 0;
    for (int i = 0; i < texts.size(); i++) {
      float[] single = djl.encode(texts.get(i));
      assertThat(single).hasSize(384);
      for (int k = 0; k < 384; k++) {
        worst = Math.max(worst, Math.abs(single[k] - expected.get(i)[k]));
        worst = Math.max(worst, Math.abs(batched.get(i)[k] - expected.get(i)[k]));
      }
    }
    System.out.println("MiniLM DJL vs ONNX Runtime: max abs difference " + worst + " over " + texts.size()
        + " texts");
    assertThat(worst).isLessThan(1e-4);
  }
}
