package io.prefstream.model.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The DSP queries with their responses by style ({@code dsp-dev.raw.jsonl}: {@code {"query", "responses":
 * {style: text}}}), read for what the event files do not say: which style a rejected response was written in.
 */
public final class DspResponses {
  private DspResponses() {}

  /** Response text → the style it was written in. */
  public static Map<String, String> stylesByText(Path raw) {
    ObjectMapper json = new ObjectMapper();
    Map<String, String> out = new HashMap<>();
    try (BufferedReader r = Files.newBufferedReader(raw, StandardCharsets.UTF_8)) {
      int n = 0;
      for (String line; (line = r.readLine()) != null; ) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode responses = json.readTree(line).get("responses");
        if (responses == null || !responses.isObject()) {
          throw new IllegalArgumentException(raw + " line " + n
              + ": no 'responses' object (expected {\"query\": ..., \"responses\": {style: text}})");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = responses.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(e.getValue().asText(), e.getKey());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + raw + ": " + e.getMessage(), e);
    }
    return out;
  }
}
