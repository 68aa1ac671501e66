package io.prefstream.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EncodersTest {

  @Test
  void hashingEncoderIsDeterministicNormalisedAndDiscriminative() {
    try (TextEncoder a = Encoders.open("hashing-ngram-v1-d256"); TextEncoder b = Encoders.open("hashing-ngram-v1-d256")) {
      assertThat(a.id()).isEqualTo("hashing-ngram-v1-d256");
      assertThat(a.dimension()).isEqualTo(256);
      float[] x = a.encode("The cat sat on the mat.");
      assertThat(b.encode("The cat sat on the mat.")).containsExactly(x);
      assertThat(norm(x)).isCloseTo(1.0, within(1e-5));
      float[] near = a.encode("The cat sat on a mat");
      float[] far = a.encode("Quarterly revenue grew by twelve percent.");
      assertThat(dot(x, near)).isGreaterThan(dot(x, far) + 0.3);
    }
  }

  @Test
  void emptyTextGivesAFiniteVector() {
    try (TextEncoder a = Encoders.open("hashing-ngram-v1-d16")) {
      float[] v = a.encode("");
      assertThat(v).hasSize(16);
      for (float x : v) {
        assertThat(x).isFinite();
      }
    }
  }

  @Test
  void unknownSpecNamesTheValidOnes() {
    assertThatThrownBy(() -> Encoders.open("bert-large")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bert-large").hasMessageContaining("all-minilm-l6-v2-q")
        .hasMessageContaining("hashing-ngram-v1-d");
    assertThatThrownBy(() -> Encoders.open("hashing-ngram-v1-dx")).hasMessageContaining("'x'");
    assertThatThrownBy(() -> Encoders.open("onnx:/nope.onnx")).hasMessageContaining("onnx:<model.onnx>,<tokenizer.json>");
    assertThatThrownBy(() -> Encoders.open("onnx:/nope.onnx,/nope.json")).hasMessageContaining("/nope.onnx");
  }

  static double norm(float[] v) {
    return Math.sqrt(dot(v, v));
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  @Test
  void tunedEncoderIdsPointToTheirModelDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    assertThatThrownBy(() -> Encoders.open("all-minilm-l6-v2~tuned:0123456789ab"))
        .hasMessageContaining("openForModel").hasMessageContaining("tuned:<dir>");
    assertThatThrownBy(() -> Encoders.openForModel(dir, "all-minilm-l6-v2~tuned:0123456789ab"))
        .hasMessageContaining("holds (none)");
    assertThatThrownBy(() -> Encoders.open("tuned:" + dir)).hasMessageContaining("no tuned encoder in");
    try (TextEncoder h = Encoders.openForModel(dir, "hashing-ngram-v1-d8")) {
      assertThat(h.dimension()).isEqualTo(8);
    }
  }
}
