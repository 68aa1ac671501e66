package io.prefstream.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.EmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DJL ONNX Runtime encoders against an independent implementation of the same models
 * (langchain4j's own ONNX Runtime + tokenizer pipeline, mean pooling, normalisation).
 */
class OnnxSentenceEncoderTest {
  static final List<String> TEXTS = List.of(
      "Name three methods to reduce greenhouse gas emissions.",
      "Here are three methods: renewable energy, energy efficiency, and carbon capture and storage.",
      "Once upon a time, in a land of silver rivers, the wind whispered of distant storms.",
      "Our Q3 revenue grew 12% year over year, driven by enterprise subscriptions.",
      "Hi");

  static TextEncoder full;
  static TextEncoder quantized;

  @BeforeAll
  static void open() {
    full = Encoders.open("all-minilm-l6-v2");
    quantized = Encoders.open("all-minilm-l6-v2-q");
  }

  @AfterAll
  static void close() {
    full.close();
    quantized.close();
  }

  @Test
  void fullModelMatchesTheReferenceImplementation() {
    check(full, new AllMiniLmL6V2EmbeddingModel(), 1e-4);
  }

  @Test
  void quantizedModelMatchesTheReferenceImplementation() {
    check(quantized, new AllMiniLmL6V2QuantizedEmbeddingModel(), 1e-4);
  }

  private static void check(TextEncoder ours, EmbeddingModel reference, double tol) {
    assertThat(ours.dimension()).isEqualTo(384);
    List<float[]> batch = ours.encodeAll(TEXTS);
    for (int i = 0; i < TEXTS.size(); i++) {
      float[] expected = reference.embed(TEXTS.get(i)).content().vector();
      float[] single = ours.encode(TEXTS.get(i));
      assertThat(EncodersTest.norm(single)).isCloseTo(1.0, within(1e-5));
      for (int j = 0; j < expected.length; j++) {
        assertThat((double) single[j]).as("text %d dim %d", i, j).isCloseTo(expected[j], within(tol));
        // padding in a batch must not change a text's embedding
        assertThat((double) batch.get(i)[j]).as("batched text %d dim %d", i, j).isCloseTo(single[j], within(1e-5));
      }
    }
  }

  @Test
  void similarMeaningsAreCloserThanUnrelatedOnes() {
    float[] q = full.encode("How do I lower my carbon footprint?");
    float[] near = full.encode("Ways to reduce greenhouse gas emissions at home.");
    float[] far = full.encode("The striker scored twice in the second half.");
    assertThat(EncodersTest.dot(q, near)).isGreaterThan(EncodersTest.dot(q, far) + 0.2);
  }

  @Test
  void longTextsAreTruncatedNotRejected() {
    String longText = "word ".repeat(2000);
    assertThat(quantized.encode(longText)).hasSize(384);
  }

  @Test
  void threadSafe() throws Exception {
    float[][] expected = new float[TEXTS.size()][];
    for (int i = 0; i < TEXTS.size(); i++) {
      expected[i] = quantized.encode(TEXTS.get(i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<Boolean>> fs = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      fs.add(pool.submit(() -> {
        for (int r = 0; r < 4; r++) {
          for (int i = 0; i < TEXTS.size(); i++) {
            float[] v = quantized.encode(TEXTS.get(i));
            for (int j = 0; j < v.length; j++) {
              if (Math.abs(v[j] - expected[i][j]) > 1e-5) {
                return false;
              }
            }
          }
        }
        return true;
      }));
    }
    for (Future<Boolean> f : fs) {
      assertThat(f.get()).isTrue();
    }
    pool.shutdown();
  }
}
