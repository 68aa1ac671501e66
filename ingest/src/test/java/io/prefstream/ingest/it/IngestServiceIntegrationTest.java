package io.prefstream.ingest.it;

import static io.prefstream.ingest.testdata.Events.bytes;
import static io.prefstream.ingest.testdata.Events.node;
import static io.prefstream.ingest.testdata.Events.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.testdata.JsonlEvents;
import io.prefstream.protocol.event.EventLimits;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.event.RejectReason;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.topic.UserPartitioning;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest on a real embedded KRaft broker, under exactly-once, with the shared DSP data. */
class IngestServiceIntegrationTest {
  private static final int PARTITIONS = 3;

  @TempDir
  Path dir;

  private IngestConfig config(String bootstrap) {
    return IngestConfig.defaults(bootstrap, dir.resolve("data")).withPartitions(PARTITIONS)
        .withWindow(Duration.ofMillis(500));
  }

  /** What ingest must do with what was sent, worked out independently with the protocol's parser. */
  private static final class Expected {
    final Map<String, String> deadReasonBySource = new HashMap<>(); // "partition/offset" -> reason
    final Set<String> batched = new HashSet<>(); // userId + '\n' + eventId
    final Map<String, Long> orderBySource = new HashMap<>();
    int duplicates;

    void sent(IngestHarness.Sent at, byte[] value, long seq) {
      String source = at.partition() + "/" + at.offset();
      ParseResult r = EventParser.parse(value, 0L);
      if (r instanceof ParseResult.Invalid invalid) {
        deadReasonBySource.put(source, invalid.reason().code());
      } else {
        PreferenceEvent e = ((ParseResult.Valid) r).event();
        if (!batched.add(e.userId() + "\n" + e.eventId())) {
          duplicates++;
        }
      }
      orderBySource.put(source, seq);
    }
  }

  @Test
  void everyValidDspEventLandsInExactlyOneBatchAndEveryMalformedRecordInTheDeadLetterTopic() throws Exception {
    List<byte[]> dsp = JsonlEvents.read("dsp/dsp-dev.events.jsonl");
    assertThat(dsp).hasSize(7840);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")));
         IngestService ingest = new IngestService(config(broker.bootstrapServers()), registry);
         IngestHarness io = new IngestHarness(broker.bootstrapServers(), ingest.config().topics())) {
      ingest.start();
      assertThat(ingest.awaitRunning(Duration.ofSeconds(90))).as("ingest running").isTrue();
      assertThat(ingest.health().up()).isTrue();

      List<byte[][]> records = new ArrayList<>();
      for (byte[] line : dsp) {
        JsonNode n = Json.MAPPER.readTree(line);
        records.add(new byte[][] {n.path("userId").isTextual() ? utf8(n.get("userId").asText()) : null, line});
      }
      for (byte[] value : malformed()) {
        records.add(new byte[][] {utf8("dsp-academy"), value});
      }
      // valid events produced without a key: re-keyed by userId, still batched exactly once
      for (int i = 0; i < 5; i++) {
        records.add(new byte[][] {null, bytes(node("nokey-" + i, "it-no-key", "support"))});
      }
      List<IngestHarness.Sent> sent = io.sendAll(records);
      Expected expected = new Expected();
      Map<String, Long> seqByEvent = new HashMap<>();
      for (int i = 0; i < records.size(); i++) {
        byte[] value = records.get(i)[1];
        expected.sent(sent.get(i), value, i);
        if (EventParser.parse(value, 0L) instanceof ParseResult.Valid v) {
          seqByEvent.putIfAbsent(v.event().userId() + "\n" + v.event().eventId(), (long) i);
        }
      }
      assertThat(expected.deadReasonBySource.values()).contains(RejectReason.CHOSEN_EQUALS_REJECTED.code(),
          RejectReason.RECORD_TOO_LARGE.code(), RejectReason.NOT_JSON.code(), RejectReason.INVALID_UTF8.code());
      assertThat(expected.duplicates).isPositive(); // the DSP data repeats some (user, eventId) pairs

      io.drainUntil(() -> io.batchedEvents() >= expected.batched.size()
          && io.dead.size() >= expected.deadReasonBySource.size(), Duration.ofSeconds(120));
      io.drainFor(Duration.ofSeconds(3)); // and nothing more arrives

      // dead letters: exactly the malformed records, each with its reason and source, original bytes untouched
      Map<String, String> actualDead = new HashMap<>();
      for (IngestHarness.DeadRecord d : io.dead) {
        assertThat(actualDead.put(d.sourcePartition() + "/" + d.sourceOffset(), d.reason())).as("one dead letter per record")
            .isNull();
      }
      assertThat(actualDead).isEqualTo(expected.deadReasonBySource);
      assertThat(io.dead).filteredOn(d -> d.reason().equals(RejectReason.RECORD_TOO_LARGE.code()))
          .singleElement().satisfies(d -> assertThat(d.value()).hasSize(EventLimits.MAX_RECORD_BYTES + 10));

      // batches: every valid event exactly once, on its user's partition, in arrival order, unique batch ids
      List<String> seen = new ArrayList<>();
      Set<String> batchIds = new HashSet<>();
      for (IngestHarness.BatchRecord b : io.batches) {
        assertThat(b.key()).isEqualTo(b.batch().userId());
        assertThat(b.partition()).isEqualTo(UserPartitioning.partitionFor(b.batch().userId(), PARTITIONS));
        assertThat(batchIds.add(b.batch().batchId())).as("unique batch id " + b.batch().batchId()).isTrue();
        long last = -1;
        for (PreferenceEvent e : b.batch().events()) {
          String id = e.userId() + "\n" + e.eventId();
          seen.add(id);
          long s = seqByEvent.get(id);
          assertThat(s).as("arrival order in " + b.batch().batchId()).isGreaterThan(last);
          last = s;
        }
      }
      assertThat(seen).doesNotHaveDuplicates();
      assertThat(new HashSet<>(seen)).isEqualTo(expected.batched);
      assertThat(io.tombstones).isEmpty();

      // the metrics reconcile with the topics: in = valid + rejected, valid = batched + duplicates
      assertThat(metric(registry, IngestMetrics.EVENTS_IN)).isEqualTo(records.size());
      assertThat(metric(registry, IngestMetrics.EVENTS_VALID)).isEqualTo(expected.batched.size() + expected.duplicates);
      assertThat(registry.find(IngestMetrics.EVENTS_REJECTED).counters().stream().mapToDouble(c -> c.count()).sum())
          .isEqualTo(expected.deadReasonBySource.size());
      assertThat(metric(registry, IngestMetrics.EVENTS_DUPLICATE)).isEqualTo(expected.duplicates);
      assertThat(metric(registry, IngestMetrics.EVENTS_REKEYED)).isEqualTo(5);
      assertThat(registry.find(IngestMetrics.PENDING_EVENTS).gauge().value()).as("every window closed").isZero();
      assertThat(registry.find("kafka.stream.thread.process.total").functionCounters()).as("Kafka Streams metrics bound")
          .isNotEmpty();
    }
  }

  @Test
  void restartingMidStreamWithLostLocalStateLosesAndDuplicatesNothing() throws Exception {
    int users = 20;
    int total = 4000;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      IngestConfig config = config(broker.bootstrapServers()).withEarlyEmit(16);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      Set<String> expected = new HashSet<>();
      try (IngestHarness io = new IngestHarness(broker.bootstrapServers(), config.topics())) {
        IngestService first = new IngestService(config, registry);
        first.start();
        assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
        int sent = 0;
        int restarts = 0;
        while (sent < total) {
          for (int i = 0; i < 100; i++, sent++) {
            String user = "user-" + (sent % users);
            String domain = sent % 3 == 0 ? "legal" : "support";
            String eventId = "ev-" + sent;
            io.sendAsync(utf8(user), bytes(node(eventId, user, domain)));
            expected.add(user + "\n" + eventId);
            if (sent % 7 == 0) { // an app retrying a send: the same event again
              io.sendAsync(utf8(user), bytes(node(eventId, user, domain)));
            }
          }
          io.flush();
          Thread.sleep(20);
          if (sent == 1500 || sent == 3000) {
            // stop mid-stream, lose the local state (a new pod), and start again from the changelogs
            first.close();
            deleteTree(config.stateDir());
            first = new IngestService(config, registry);
            first.start();
            assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
            restarts++;
          }
        }
        assertThat(restarts).isEqualTo(2);
        io.drainUntil(() -> io.batchedEvents() >= expected.size(), Duration.ofSeconds(120));
        io.drainFor(Duration.ofSeconds(3));
        first.close();

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
  }

  /** Records no valid producer would send; each is expected in the dead-letter topic. */
  private static List<byte[]> malformed() {
    List<byte[]> out = new ArrayList<>();
    out.add(utf8("this is not json"));
    out.add(utf8("[\"an\", \"array\"]"));
    out.add(new byte[0]);
    out.add(new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'});
    ObjectNode missing = node("m1", "dsp-academy", "academy");
    missing.remove("chosen");
    out.add(bytes(missing));
    out.add(bytes(node("m2", "dsp-academy", "academy").put("prompt", 7)));
    out.add(bytes(node("m3", "dsp-academy", "ACADEMY")));
    out.add(bytes(node("m4", "dsp-academy", "academy").put("strength", 0.0)));
    out.add(bytes(node("m5", "dsp-academy", "academy").put("strength", -3)));
    out.add(bytes(node("m6", "dsp-academy", "academy").put("timestamp", "31/01/2026")));
    out.add(bytes(node("m7", "dsp-academy", "academy").put("schemaVersion", 9)));
    out.add(bytes(node("x".repeat(EventLimits.MAX_EVENT_ID_CHARS + 1), "dsp-academy", "academy")));
    byte[] huge = new byte[EventLimits.MAX_RECORD_BYTES + 10];
    Arrays.fill(huge, (byte) ' ');
    huge[0] = '{';
    huge[huge.length - 1] = '}';
    out.add(huge);
    return out;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static double metric(SimpleMeterRegistry r, String name) {
    var c = r.find(name).counter();
    return c == null ? 0 : c.count();
  }
}
