package io.prefstream.ingest.it;

import static io.prefstream.ingest.testdata.Events.bytes;
import static io.prefstream.ingest.testdata.Events.node;
import static io.prefstream.ingest.testdata.Events.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.ingest.cli.IngestProcessMain;
import io.prefstream.protocol.topic.Topics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest command as a real process: killed with SIGKILL mid-stream (no commit, no cleanup, an open transaction),
 * then stopped with SIGTERM mid-stream, and restarted each time. Every event must still land in exactly one
 * committed batch.
 */
class IngestProcessCrashTest {
  @TempDir
  Path dir;

  @Test
  void killAndTermMidStreamLoseAndDuplicateNothing() throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")));
         IngestHarness io = new IngestHarness(broker.bootstrapServers(), Topics.defaults())) {
      Set<String> expected = new HashSet<>();
      int total = 3000;
      int sent = 0;
      Process ingest = startIngest(broker.bootstrapServers());
      List<String> stops = new ArrayList<>();
      while (sent < total) {
        for (int i = 0; i < 50; i++, sent++) {
          String user = "user-" + (sent % 17);
          String eventId = "ev-" + sent;
          io.sendAsync(utf8(user), bytes(node(eventId, user, sent % 2 == 0 ? "support" : "legal")));
          expected.add(user + "\n" + eventId);
        }
        io.flush();
        Thread.sleep(30);
        if (sent == 1000) {
          ingest.destroyForcibly(); // SIGKILL
          assertThat(ingest.waitFor(30, TimeUnit.SECONDS)).isTrue();
          stops.add("kill");
          ingest = startIngest(broker.bootstrapServers());
        } else if (sent == 2000) {
          ingest.destroy(); // SIGTERM: the shutdown hook closes Kafka Streams, which commits
          assertThat(ingest.waitFor(60, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
          assertThat(ingest.exitValue()).isEqualTo(143);
          stops.add("term");
          ingest = startIngest(broker.bootstrapServers());
        }
      }
      try {
        io.drainUntil(() -> io.batchedEvents() >= expected.size(), Duration.ofSeconds(120));
        io.drainFor(Duration.ofSeconds(3));
      } finally {
        ingest.destroy();
        ingest.waitFor(60, TimeUnit.SECONDS);
      }
      assertThat(stops).containsExactly("kill", "term");
      List<String> seen = new ArrayList<>();
      Set<String> batchIds = new HashSet<>();
      for (IngestHarness.BatchRecord b : io.batches) {
        assertThat(batchIds.add(b.batch().batchId())).as("unique batch id " + b.batch().batchId()).isTrue();
        b.batch().events().forEach(e -> seen.add(e.userId() + "\n" + e.eventId()));
      }
      assertThat(seen).hasSize(expected.size()).doesNotHaveDuplicates();
      assertThat(new HashSet<>(seen)).isEqualTo(expected);
      assertThat(io.dead).isEmpty();
    }
  }

  /** Starts {@code prefstream ingest} in a new JVM and waits until its /health says UP. */
  private Process startIngest(String bootstrap) throws Exception {
    int port = freePort();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        IngestProcessMain.class.getName(), "--bootstrap-servers", bootstrap, "--data-dir", dir.resolve("data").toString(),
        "--metrics-port", String.valueOf(port), "--metrics-host", "localhost");
    pb.environment().put("PREFSTREAM_TOPICS_PARTITIONS", "3");
    pb.environment().put("PREFSTREAM_INGEST_WINDOW_MS", "300");
    // a killed member is noticed after this, not after the 45 s default
    pb.environment().put("PREFSTREAM_KAFKA_SESSION_TIMEOUT_MS", "6000");
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("ingest-process.log").toFile()));
    Process p = pb.start();
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      assertThat(p.isAlive()).as("ingest process alive; see " + dir.resolve("ingest-process.log")).isTrue();
      try {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) {
          String metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString()).body();
          assertThat(metrics).contains("prefstream_ingest_events_in_total").contains("kafka_stream_thread");
          return p;
        }
      } catch (IOException notYet) {
        // endpoint not up yet
      }
      Thread.sleep(200);
    }
    p.destroyForcibly();
    throw new AssertionError("ingest process did not become healthy within 90 s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
