package io.prefstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.prefstream.local.LocalConfig;
import io.prefstream.local.LocalMode;
import io.prefstream.local.LocalSummary;
import io.prefstream.local.StatusBoard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code prefstream local --demo} for real (broker, ingest, learner, scorer, demo traffic in one process) against
 * its own temp folder, then checks that it learned and that every metric the dashboard and the alert rules query is
 * really exported by some service's {@code /metrics}.
 */
class LocalModeDemoTest {
  private static final Path SHARED_DATA = Path.of(System.getProperty("prefstream.data.dir", "../shared/data"));
  private static final Pattern SERIES = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)", Pattern.MULTILINE);

  @Test
  void demoLearnsTheUsersTastesAndEveryDashboardMetricIsExported(@TempDir Path dir) throws Exception {
    LocalConfig config = new LocalConfig(dir.resolve("data"), SHARED_DATA, 0, 0, 0, 0, 0, 2,
        "hashing-ngram-v1-d512", true, 8, 100, 10, Duration.ofSeconds(75), dir.resolve("summary.json"),
        Duration.ofSeconds(20), 7,
        io.prefstream.runtime.config.Settings.of(java.util.Map.of()));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    StatusBoard board = new StatusBoard(new PrintStream(console, true, StandardCharsets.UTF_8), false);
    Set<String> exported = new TreeSet<>();
    LocalSummary summary;
    try (LocalMode local = new LocalMode(config)) {
      local.start(board);
      local.runUntilStopped(board);
      local.writeSummary(config.summaryJson());
      summary = local.summary();
      for (Map.Entry<String, Integer> e : local.metricsPorts().entrySet()) {
        String body = get("http://localhost:" + e.getValue() + "/metrics");
        Matcher m = SERIES.matcher(body);
        while (m.find()) {
          exported.add(MetricReferences.family(m.group(1)));
        }
        assertThat(body).as(e.getKey() + " /metrics").contains("prefstream_" + e.getKey() + "_");
      }
    }

    assertThat(summary.events()).as("events in").isGreaterThan(1_000);
    assertThat(summary.checkpoints()).as("checkpoints").isGreaterThan(0);
    assertThat(summary.hotSwaps()).as("hot swaps").isGreaterThanOrEqualTo(1);
    assertThat(summary.scoredSamples()).isGreaterThan(20);
    double customized = summary.topAccuracyByStyle().values().stream()
        .mapToDouble(Double::doubleValue).filter(Double::isFinite).average().orElse(Double.NaN);
    assertThat(customized).as("customized right-top-answer rate vs generic " + summary.genericTopAccuracy())
        .isGreaterThan(summary.genericTopAccuracy());
    assertThat(summary.freshnessSamples()).isGreaterThan(0);
    assertThat(summary.baseVersion()).as("refit-base ran in the process and the scorer swapped its base in")
        .isGreaterThanOrEqualTo(2);
    JsonNode written = new ObjectMapper().readTree(Files.readString(config.summaryJson()));
    for (String field : new String[] {"events", "checkpoints", "hotSwaps", "genericTopAccuracy", "topAccuracyByStyle",
        "freshnessP50Ms", "freshnessP99Ms", "baseVersion"}) {
      assertThat(written.has(field)).as("summary field " + field).isTrue();
    }

    Set<String> referenced = new TreeSet<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    referenced.addAll(MetricReferences.inDashboard(
        new ObjectMapper().readTree(ClusterManifestsTest.DEPLOY.resolve("grafana/prefstream-dashboard.json").toFile())));
    referenced.addAll(MetricReferences.inAlertRules(
        yaml.readTree(ClusterManifestsTest.DEPLOY.resolve("prometheus/alerts.yml").toFile())));
    Set<String> families = new TreeSet<>();
    referenced.forEach(r -> families.add(MetricReferences.family(r)));
    assertThat(exported).as("metrics exported by the running services").containsAll(families);
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }
}
