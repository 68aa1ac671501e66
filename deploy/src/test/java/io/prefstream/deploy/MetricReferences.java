package io.prefstream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Extracts the metric names that PromQL expressions in the dashboard and alert rules refer to. */
final class MetricReferences {
  private static final Pattern METRIC = Pattern.compile("\\b((?:prefstream|kafka)_[a-zA-Z0-9_]+)");
  private static final Set<String> SUFFIXES = Set.of("_bucket", "_count", "_sum");

  private MetricReferences() {}

  static Set<String> inExpression(String promql) {
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(promql);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  static Set<String> inDashboard(JsonNode dashboard) {
    Set<String> names = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode t : panel.path("targets")) {
        names.addAll(inExpression(t.path("expr").asText()));
      }
    }
    return names;
  }

  static Set<String> inAlertRules(JsonNode rules) {
    Set<String> names = new TreeSet<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        names.addAll(inExpression(rule.path("expr").asText()));
      }
    }
    return names;
  }

  /** The family name a histogram series belongs to: {@code x_seconds_bucket} is exported as {@code x_seconds}. */
  static String family(String series) {
    for (String s : SUFFIXES) {
      if (series.endsWith(s)) {
        return series.substring(0, series.length() - s.length());
      }
    }
    return series;
  }
}
