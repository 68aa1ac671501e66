package io.prefstream.scorer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.prefstream.protocol.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Prompts with several responses each: the DSP queries when the data file is there, else generated sentences. */
record BenchTexts(List<String> prompts, List<List<String>> responses, String source) {

  static BenchTexts load(Path dspRaw, int maxPrompts) throws IOException {
    if (dspRaw != null && Files.isRegularFile(dspRaw)) {
      List<String> prompts = new ArrayList<>();
      List<List<String>> responses = new ArrayList<>();
      try (BufferedReader in = Files.newBufferedReader(dspRaw, StandardCharsets.UTF_8)) {
        String line;
        while ((line = in.readLine()) != null && prompts.size() < maxPrompts) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode n = Json.MAPPER.readTree(line);
          List<String> rs = new ArrayList<>();
          n.path("responses").forEach(r -> rs.add(r.asText()));
          if (rs.size() >= 5) {
            prompts.add(n.path("query").asText());
            responses.add(rs);
          }
        }
      }
      return new BenchTexts(prompts, responses, dspRaw.toString());
    }
    List<String> prompts = new ArrayList<>();
    List<List<String>> responses = new ArrayList<>();
    for (int i = 0; i < maxPrompts; i++) {
      prompts.add("Question number " + i + ": how would you explain topic " + (i * 7919 % 1000) + " to a friend?");
      List<String> rs = new ArrayList<>();
      for (int s = 0; s < 5; s++) {
        rs.add("Answer style " + s + " for question " + i + ". " + "It covers the main idea, gives an example, "
            .repeat(1 + s) + "and ends with a summary.");
      }
      responses.add(rs);
    }
    return new BenchTexts(prompts, responses, "generated");
  }
}
