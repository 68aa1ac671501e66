package io.prefstream.model.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import org.junit.jupiter.api.Test;

class PairFeaturizerTest {

  @Test
  void layoutIsResponseThenPromptTimesResponse() {
    try (TextEncoder enc = Encoders.open("hashing-ngram-v1-d32")) {
      PairFeaturizer fz = new PairFeaturizer(enc);
      assertThat(fz.dimension()).isEqualTo(64);
      assertThat(fz.encoderId()).isEqualTo("hashing-ngram-v1-d32");
      float[] p = enc.encode("what is the capital of france");
      float[] r = enc.encode("the capital of france is paris");
      float[] f = fz.features("what is the capital of france", "the capital of france is paris");
      for (int i = 0; i < 32; i++) {
        assertThat(f[i]).isEqualTo(r[i]);
        assertThat(f[32 + i]).isCloseTo(p[i] * r[i], within(1e-7f));
      }
      // the second block sums to the prompt/response cosine
      double cos = 0;
      double sum = 0;
      for (int i = 0; i < 32; i++) {
        cos += p[i] * r[i];
        sum += f[32 + i];
      }
      assertThat(sum).isCloseTo(cos, within(1e-5));
    }
  }

  @Test
  void hashedLayoutIsNamedAndReopenedFromItsEncoderId() {
    try (TextEncoder enc = Encoders.open("hashing-ngram-v1-d16")) {
      PairFeaturizer fz = new PairFeaturizer(enc, 8);
      assertThat(fz.dimension()).isEqualTo(40);
      assertThat(fz.encoderId()).isEqualTo("hashing-ngram-v1-d16+h8");
      assertThat(PairFeaturizer.encoderSpecOf(fz.encoderId())).isEqualTo("hashing-ngram-v1-d16");
      PairFeaturizer again = PairFeaturizer.forEncoderId(fz.encoderId(), Encoders::open);
      assertThat(again.dimension()).isEqualTo(40);
      assertThat(again.features("p", "some response!")).containsExactly(fz.features("p", "some response!"));
      assertThatThrownBy(() -> fz.combine(new float[16], new float[16]))
          .hasMessageContaining("hashing-ngram-v1-d16+h8");
    }
    assertThat(PairFeaturizer.encoderSpecOf("all-minilm-l6-v2-q")).isEqualTo("all-minilm-l6-v2-q");
  }
}
