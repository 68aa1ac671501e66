package io.prefstream.model.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DspResponsesTest {
  @Test
  void mapsEveryResponseTextToItsStyle(@TempDir Path dir) throws IOException {
    Path raw = dir.resolve("raw.jsonl");
    Files.writeString(raw, """
        {"query": "q1", "responses": {"academy": "A1", "business": "B1"}}

        {"query": "q2", "responses": {"academy": "A2", "normal": "N2"}}
        """);
    assertThat(DspResponses.stylesByText(raw))
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("A1", "academy", "B1", "business", "A2", "academy",
            "N2", "normal"));
  }

  @Test
  void aLineWithoutResponsesNamesItsLineAndTheExpectedShape(@TempDir Path dir) throws IOException {
    Path raw = dir.resolve("raw.jsonl");
    Files.writeString(raw, "{\"query\": \"q1\", \"responses\": {\"academy\": \"A1\"}}\n{\"query\": \"q2\"}\n");
    assertThatThrownBy(() -> DspResponses.stylesByText(raw))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2").hasMessageContaining("\"responses\": {style: text}");
  }
}
