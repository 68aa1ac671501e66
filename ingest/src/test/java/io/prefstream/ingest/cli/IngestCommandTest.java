package io.prefstream.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.ingest.IngestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class IngestCommandTest {

  @Test
  void flagsOverrideEnvironmentWhichOverridesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("prefstream.properties");
    Files.writeString(file, "bootstrap.servers=file:9092\ningest.window.ms=2s\ningest.early.emit.events=10\n");
    IngestCommand cmd = new IngestCommand();
    new CommandLine(cmd).parseArgs("--config", file.toString(), "--bootstrap-servers", "flag:9092",
        "--data-dir", dir.toString());
    IngestConfig c = IngestConfig.from(cmd.settings(Map.of("PREFSTREAM_INGEST_EARLY_EMIT_EVENTS", "5")));
    assertThat(c.bootstrapServers()).isEqualTo("flag:9092");
    assertThat(c.window()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.earlyEmitEvents()).isEqualTo(5);
    assertThat(c.dataDir()).isEqualTo(dir);
    assertThat(cmd.metricsPort).isEqualTo(9401);
  }

  @Test
  void benchPrintsOneJsonLineWithTheContractFields() {
    var json = benchJson("--events", "3000", "--users", "50", "--json");
    assertThat(json.get("events").asInt()).isEqualTo(3000);
    assertThat(json.get("mode").asText()).isEqualTo("ingest");
    assertThat(json.get("ingestEventsPerSec").asDouble()).isPositive();
    assertThat(json.get("rawRecordsPerSec").asDouble()).isPositive();
    assertThat(json.get("ratio").asDouble()).isCloseTo(
        json.get("ingestEventsPerSec").asDouble() / json.get("rawRecordsPerSec").asDouble(),
        org.assertj.core.data.Offset.offset(0.01));
  }

  /** The benchmark itself fails unless every event comes back exactly once, so a result means all were counted. */
  @Test
  void benchRunsTheDurableReferenceAppOnTheBroker() {
    var json = benchJson("--events", "3000", "--users", "50", "--floor=durable", "--json");
    assertThat(json.get("mode").asText()).isEqualTo("floor-durable");
    assertThat(json.get("ingestEventsPerSec").asDouble()).isPositive();
    assertThat(json.get("batches").asLong()).isBetween(3000L / 32, 3000L);
  }

  private static com.fasterxml.jackson.databind.JsonNode benchJson(String... args) {
    java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    java.io.PrintStream original = System.out;
    int rc;
    try {
      System.setOut(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
      rc = new CommandLine(new BenchIngestCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    } finally {
      System.setOut(original);
    }
    assertThat(rc).isZero();
    String[] lines = buffer.toString(java.nio.charset.StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines).hasSize(1);
    try {
      return io.prefstream.protocol.json.Json.MAPPER.readTree(lines[0]);
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + lines[0], e);
    }
  }
}
