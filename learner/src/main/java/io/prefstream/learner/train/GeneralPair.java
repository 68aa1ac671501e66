package io.prefstream.learner.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.prefstream.protocol.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One general-preference pair (no user), read from a {@code general/*.events.jsonl} file. */
public record GeneralPair(String prompt, String chosen, String rejected, double strength) {

  /**
   * Reads up to {@code limit} pairs from the files, in the given file order and line order (deterministic). Lines
   * that lack prompt, chosen or rejected are skipped.
   */
  public static List<GeneralPair> read(List<Path> files, int limit) {
    List<GeneralPair> out = new ArrayList<>();
    for (Path file : files) {
      if (out.size() >= limit) {
        break;
      }
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String line;
        while (out.size() < limit && (line = in.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode n = Json.MAPPER.readTree(line);
          String prompt = n.path("prompt").asText(null);
          String chosen = n.path("chosen").asText(null);
          String rejected = n.path("rejected").asText(null);
          if (prompt == null || chosen == null || rejected == null || chosen.equals(rejected)) {
            continue;
          }
          double strength = n.path("strength").asDouble(1.0);
          if (!(strength > 0 && strength <= 1)) {
            strength = 1.0;
          }
          out.add(new GeneralPair(prompt, chosen, rejected, strength));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read general preference data " + file + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
