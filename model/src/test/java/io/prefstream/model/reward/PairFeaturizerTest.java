package io.prefstream.model.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import org.junit.jupiter.api.Test;

class PairFeaturizerTest {

  @Test
  void defaultLayoutIsResponseEmbeddingThenStyleCounts() {
    try (TextEncoder enc = Encoders.open("hashing-ngram-v1-d32")) {
      PairFeaturizer fz = new PairFeaturizer(enc);
      StyleVocabulary v = StyleVocabulary.v1();
      assertThat(fz.dimension()).isEqualTo(32 + v.size());
      assertThat(v.size()).isEqualTo(384);
      assertThat(fz.encoderId()).isEqualTo("hashing-ngram-v1-d32+style-v1");
      assertThat(fz.usesPrompt()).isFalse();
      String response = "Sure, I'd be happy to help! Here is what you can do.";
      float[] f = fz.features("any prompt", response);
      float[] r = enc.encode(response);
      for (int i = 0; i < 32; i++) {
        assertThat(f[i]).isEqualTo(r[i]);
      }
      float[] style = new float[v.size()];
      v.vector(response, style, 0);
      double norm = 0;
      for (int i = 0; i < v.size(); i++) {
        assertThat(f[32 + i]).isEqualTo(style[i]);
        norm += style[i] * style[i];
      }
      assertThat(norm).isCloseTo(1.0, within(1e-5));
      // "happy to" is in the shipped vocabulary: the bigram and its words all count
      assertThat(style[v.grams().indexOf("happy to")]).isPositive();
      assertThat(style[v.grams().indexOf("!")]).isPositive();
      // the prompt does not enter this layout, so a null prompt embedding is fine
      assertThat(fz.features("another prompt", response)).containsExactly(f);
      assertThat(fz.combine(null, r, response)).containsExactly(f);
      PairFeaturizer again = PairFeaturizer.forEncoderId(fz.encoderId(), Encoders::open);
      assertThat(again.layout()).isEqualTo(FeatureLayout.style());
      assertThat(again.features("p", response)).containsExactly(f);
    }
  }

  @Test
  void pairwiseLayoutIsResponseThenPromptTimesResponse() {
    try (TextEncoder enc = Encoders.open("hashing-ngram-v1-d32")) {
      PairFeaturizer fz = new PairFeaturizer(enc, FeatureLayout.pairwise(0));
      assertThat(fz.dimension()).isEqualTo(64);
      assertThat(fz.encoderId()).isEqualTo("hashing-ngram-v1-d32");
      assertThat(fz.usesPrompt()).isTrue();
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
      assertThatThrownBy(() -> fz.combine(null, r, "text")).hasMessageContaining("prompt none");
      // checkpoints of this layout (no suffix) reopen with it
      assertThat(PairFeaturizer.forEncoderId("hashing-ngram-v1-d32", Encoders::open).layout())
          .isEqualTo(FeatureLayout.pairwise(0));
    }
  }

  @Test
  void hashedLayoutIsNamedAndReopenedFromItsEncoderId() {
    try (TextEncoder enc = Encoders.open("hashing-ngram-v1-d16")) {
      PairFeaturizer fz = new PairFeaturizer(enc, FeatureLayout.pairwise(8));
      assertThat(fz.dimension()).isEqualTo(40);
      assertThat(fz.encoderId()).isEqualTo("hashing-ngram-v1-d16+h8");
      assertThat(PairFeaturizer.encoderSpecOf(fz.encoderId())).isEqualTo("hashing-ngram-v1-d16");
      PairFeaturizer again = PairFeaturizer.forEncoderId(fz.encoderId(), Encoders::open);
      assertThat(again.dimension()).isEqualTo(40);
      assertThat(again.features("p", "some response!")).containsExactly(fz.features("p", "some response!"));
    }
    assertThat(PairFeaturizer.encoderSpecOf("all-minilm-l6-v2-q")).isEqualTo("all-minilm-l6-v2-q");
    assertThat(PairFeaturizer.encoderSpecOf("all-minilm-l6-v2-q+style-v1")).isEqualTo("all-minilm-l6-v2-q");
    assertThat(PairFeaturizer.encoderSpecOf("all-minilm-l6-v2~tuned:46803b581297+style-v1"))
        .isEqualTo("all-minilm-l6-v2~tuned:46803b581297");
  }

  @Test
  void layoutNamesAreCheckedWithWhatIsValid() {
    assertThat(FeatureLayout.named("style", 0)).isEqualTo(FeatureLayout.style());
    assertThat(FeatureLayout.named("pairwise", 64)).isEqualTo(FeatureLayout.pairwise(64));
    assertThatThrownBy(() -> FeatureLayout.named("bag", 0)).hasMessageContaining("'bag'")
        .hasMessageContaining("style, pairwise");
    assertThatThrownBy(() -> FeatureLayout.named("style", 64)).hasMessageContaining("pairwise layout only");
    assertThatThrownBy(() -> FeatureLayout.pairwise(5000)).hasMessageContaining("[0, 4096]");
  }
}
