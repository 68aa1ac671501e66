package io.prefstream.model.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prefstream.model.cli.StyleVocabularyCommand;
import io.prefstream.model.data.EventFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class StyleVocabularyTest {
  static final Path DATA = Path.of(System.getProperty("prefstream.data.dir", "../../shared/data"));

  @Test
  void tokensAreLowerCasedWordsNumbersAndSinglePunctuation() {
    assertThat(StyleVocabulary.tokens("Sure, I'd LOVE to!! 42 times…"))
        .containsExactly("sure", ",", "i'd", "love", "to", "!", "!", "42", "times", "…");
    assertThat(StyleVocabulary.tokens("  \n\t ")).isEmpty();
  }

  @Test
  void vectorCountsUnigramsAndBigramsLogScaledAndNormalised() {
    StyleVocabulary v = StyleVocabulary.of("test", List.of("love", "i'd love", "!", "absent"));
    float[] out = new float[6];
    v.vector("I'd love it! LOVE!", out, 2);
    double love = Math.log1p(2);
    double bigram = Math.log1p(1);
    double bang = Math.log1p(2);
    double norm = Math.sqrt(love * love + bigram * bigram + bang * bang);
    assertThat(out[0]).isZero();
    assertThat(out[1]).isZero();
    assertThat(out[2]).isCloseTo((float) (love / norm), within(1e-6f));
    assertThat(out[3]).isCloseTo((float) (bigram / norm), within(1e-6f));
    assertThat(out[4]).isCloseTo((float) (bang / norm), within(1e-6f));
    assertThat(out[5]).isZero();
    // a bigram counts only where its words are adjacent
    float[] apart = new float[4];
    v.vector("i'd really love", apart, 0);
    assertThat(apart[1]).isZero();
    assertThat(apart[0]).isEqualTo(1f);
    // nothing known: all zeros, not NaN
    float[] none = new float[4];
    v.vector("nothing here", none, 0);
    assertThat(none).containsOnly(0f);
  }

  @Test
  void badVocabulariesFailWithTheOffendingEntry() {
    assertThatThrownBy(() -> StyleVocabulary.of("t", List.of("a", "A")))
        .hasMessageContaining("'A' repeats").hasMessageContaining("'a'");
    assertThatThrownBy(() -> StyleVocabulary.of("t", List.of("one two three")))
        .hasMessageContaining("one or two tokens");
    assertThatThrownBy(() -> StyleVocabulary.of("t", List.of())).hasMessageContaining("at least one");
    assertThatThrownBy(() -> StyleVocabulary.forId("style-v9")).hasMessageContaining("style-v1");
  }

  @Test
  void buildRanksByDocumentFrequencyThenText() {
    List<String> grams = StyleVocabulary.build(List.of("b a a a", "a c", "c b"), 4);
    // a: 2 texts, b: 2, c: 2, then bigrams "a a", "a c", "b a", "c b" (1 text each) by text
    assertThat(grams).containsExactly("a", "b", "c", "a a");
    assertThat(StyleVocabulary.build(List.of("c b", "a c", "b a a a"), 4)).isEqualTo(grams);
  }

  @Test
  void theShippedVocabularyIsTheOneBuiltFromTheGeneralDevData() throws Exception {
    Path helpful = DATA.resolve("general/helpful-dev.events.jsonl");
    Path harmless = DATA.resolve("general/harmless-dev.events.jsonl");
    assumeTrue(Files.exists(helpful) && Files.exists(harmless), "general dev data not found under " + DATA);
    List<String> built = StyleVocabulary.build(
        StyleVocabularyCommand.responses(EventFiles.read(List.of(helpful, harmless))), 384);
    assertThat(StyleVocabulary.v1().grams()).isEqualTo(built);
  }
}
