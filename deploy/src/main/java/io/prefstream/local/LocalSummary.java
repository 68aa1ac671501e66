package io.prefstream.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.prefstream.protocol.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The end-of-run summary that scripted checks read ({@code --summary-json}). Accuracies are over the last part of the
 * run (the demo's reporting window); NaN (no samples) is written as null.
 */
public record LocalSummary(long events, long checkpoints, long hotSwaps, double progressiveAccuracy,
    double genericTopAccuracy, Map<String, Double> topAccuracyByStyle, double freshnessP50Ms, double freshnessP99Ms,
    long freshnessSamples, long scoredSamples, long baseVersion) {

  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("events", events);
    m.put("checkpoints", checkpoints);
    m.put("hotSwaps", hotSwaps);
    m.put("progressiveAccuracy", finite(progressiveAccuracy));
    m.put("genericTopAccuracy", finite(genericTopAccuracy));
    Map<String, Object> byStyle = new LinkedHashMap<>();
    topAccuracyByStyle.forEach((k, v) -> byStyle.put(k, finite(v)));
    m.put("topAccuracyByStyle", byStyle);
    m.put("freshnessP50Ms", finite(freshnessP50Ms));
    m.put("freshnessP99Ms", finite(freshnessP99Ms));
    m.put("freshnessSamples", freshnessSamples);
    m.put("scoredSamples", scoredSamples);
    m.put("baseVersion", baseVersion);
    try {
      return Json.MAPPER.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
