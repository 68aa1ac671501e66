package io.prefstream.local.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.prefstream.model.data.PromptSplit;
import io.prefstream.protocol.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DSP queries the demo draws from, each with one response per style, split deterministically into queries the
 * simulated users teach with and queries the scoring client tests on (never taught).
 */
public final class DspQueries {
  /** The share of queries held back, as in the quality table's split. */
  static final int HELD_BACK_PERCENT = 20;
  /** The four DSP styles a simulated user can prefer. */
  public static final List<String> STYLES = List.of("academy", "business", "entertainment", "literature");
  /** Present in the data as the unstyled original; never anyone's taste, always a candidate. */
  public static final String NEUTRAL = "normal";

  private final List<Query> training;
  private final List<Query> heldBack;

  /** A prompt with one response per style (the four styles plus {@link #NEUTRAL}). */
  public record Query(String prompt, Map<String, String> responses) {}

  private DspQueries(List<Query> training, List<Query> heldBack) {
    this.training = List.copyOf(training);
    this.heldBack = List.copyOf(heldBack);
  }

  /**
   * Reads {@code dsp-dev.raw.jsonl}; a fifth of the queries is held back for scoring, by the same split by prompt as
   * the offline quality table ({@link PromptSplit}, 20 %), so a base model trained on the table's training part has
   * never seen a query the demo scores.
   */
  public static DspQueries load(Path rawFile) {
    List<Query> training = new ArrayList<>();
    List<Query> heldBack = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(rawFile, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode n = Json.MAPPER.readTree(line);
        Map<String, String> responses = new LinkedHashMap<>();
        for (String style : STYLES) {
          responses.put(style, requiredText(n.path("responses"), style, rawFile, lineNo));
        }
        responses.put(NEUTRAL, requiredText(n.path("responses"), NEUTRAL, rawFile, lineNo));
        Query q = new Query(requiredText(n, "query", rawFile, lineNo), responses);
        if (PromptSplit.isTest(q.prompt(), HELD_BACK_PERCENT)) {
          heldBack.add(q);
        } else {
          training.add(q);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read DSP queries from " + rawFile + ": " + e.getMessage(), e);
    }
    if (training.isEmpty() || heldBack.isEmpty()) {
      throw new IllegalArgumentException(rawFile + " holds too few queries for the demo (" + training.size()
          + " training, " + heldBack.size() + " held back)");
    }
    return new DspQueries(training, heldBack);
  }

  private static String requiredText(JsonNode n, String field, Path file, int line) {
    JsonNode f = n.get(field);
    if (f == null || !f.isTextual()) {
      throw new IllegalArgumentException(file + ":" + line + ": field '" + field + "' is missing or not text");
    }
    return f.textValue();
  }

  public List<Query> training() {
    return training;
  }

  public List<Query> heldBack() {
    return heldBack;
  }
}
