package io.prefstream.local.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.model.data.PromptSplit;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DspQueriesTest {
  private static final Path RAW = Path.of(System.getProperty("prefstream.data.dir", "../shared/data"))
      .resolve("dsp").resolve("dsp-dev.raw.jsonl");

  @Test
  void theDemoScoresOnlyQueriesTheQualityTableNeverTrainsOn() {
    DspQueries q = DspQueries.load(RAW);
    assertThat(q.heldBack()).allSatisfy(h -> assertThat(PromptSplit.isTest(h.prompt(), 20)).isTrue());
    assertThat(q.training()).allSatisfy(t -> assertThat(PromptSplit.isTest(t.prompt(), 20)).isFalse());
    int all = q.heldBack().size() + q.training().size();
    assertThat(all).isEqualTo(490);
    assertThat(q.heldBack().size()).isBetween(70, 130); // about a fifth
    assertThat(q.heldBack()).allSatisfy(h -> assertThat(h.responses()).hasSize(5));
  }
}
