package io.prefstream.scorer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prefstream.protocol.json.Json;
import io.prefstream.scorer.cli.BenchScorerCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The bench contract: a tiny run prints exactly one JSON line with the required fields (no timing asserted). */
class BenchScorerCommandTest {
  @Test
  void printsOneJsonLineWithTheContractFields() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new BenchScorerCommand()).execute("--json", "--encoder", Checkpoints.ENCODER,
          "--rate", "100", "--seconds", "1", "--swaps", "3", "--loaded-keys", "20000", "--users", "20",
          "--prompts", "10", "--uncached-seconds", "1");
    } finally {
      System.setOut(old);
    }
    assertThat(exit).isZero();
    String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode n = Json.MAPPER.readTree(lines[0]);
    for (String field : new String[] {"p99Ms", "p99DuringSwapsMs", "failedRequests", "bytesPerLoadedModel",
        "uncachedRequestsPerSec", "rawEncoderTextsPerSec"}) {
      assertThat(n.has(field)).as(field).isTrue();
    }
    assertThat(n.path("failedRequests").asLong()).isZero();
    assertThat(n.path("swapsApplied").asLong()).isEqualTo(3);
    assertThat(n.path("loadedKeys").asLong()).isEqualTo(20000);
    // 20,000 keys of D=128 make ~10 MiB, well above the heap's noise.
    assertThat(n.path("bytesPerLoadedModel").asLong()).isPositive();
  }
}
