package io.prefstream.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.testdata.Events;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventLimits;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing: over 10,000 hostile records (invalid UTF-8, huge fields, deep JSON, wrong types, NaN, control
 * characters, 10 MB values, garbage bytes) mixed with valid events and repeated event ids. The protocol's parser is
 * the oracle: every record it refuses must be in the dead-letter topic with its reason and original bytes, every
 * valid event in exactly one batch, every repeat dropped as a duplicate, and the application must keep running.
 */
class IngestFuzzTest {
  private static final long SEED = 20261123L;
  private static final int HOSTILE = 10_500;
  private static final long T0 = 1_800_000_000_000L;

  @TempDir
  Path dir;

  @Test
  void hostileRecordsAllLandInTheDeadLetterTopicAndValidOnesAreUnaffected() {
    Random random = new Random(SEED);
    List<Function<Random, byte[]>> generators = hostileGenerators();
    IngestConfig config = IngestConfig.defaults("unused:9092", dir);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    IngestMetrics metrics = new IngestMetrics(registry);
    try (TopologyTestDriver driver = new TopologyTestDriver(IngestTopology.build(config, metrics),
        IngestService.streamsProperties(config, metrics), Instant.ofEpochMilli(T0))) {
      Topics topics = config.topics();
      TestInputTopic<byte[], byte[]> in =
          driver.createInputTopic(topics.events(), new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<byte[], byte[]> dlq =
          driver.createOutputTopic(topics.eventsDlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      TestOutputTopic<String, byte[]> out =
          driver.createOutputTopic(topics.batches(), new StringDeserializer(), new ByteArrayDeserializer());

      List<String> expectedReasons = new ArrayList<>(); // in offset order of the rejected records
      List<byte[]> expectedValues = new ArrayList<>();
      Set<String> expectedBatched = new HashSet<>();
      List<byte[]> validSent = new ArrayList<>();
      int hostileValid = 0;
      int duplicates = 0;
      int sent = 0;
      int hostile = 0;
      List<TrainingBatch> batches = new ArrayList<>();
      List<TestRecord<byte[], byte[]>> dead = new ArrayList<>();
      while (hostile < HOSTILE) {
        byte[] value;
        int pick = random.nextInt(10);
        if (pick < 2) { // a valid event, sometimes one sent before (a retrying app)
          if (!validSent.isEmpty() && random.nextInt(5) == 0) {
            value = validSent.get(random.nextInt(validSent.size()));
          } else {
            value = Events.valid("v" + sent, "user-" + random.nextInt(40), random.nextBoolean() ? "support" : "legal");
            validSent.add(value);
          }
        } else {
          value = generators.get(random.nextInt(generators.size())).apply(random);
          hostile++;
        }
        ParseResult verdict = EventParser.parse(value, T0);
        if (verdict instanceof ParseResult.Invalid invalid) {
          expectedReasons.add(invalid.reason().code());
          expectedValues.add(value);
        } else if (BatchFit.problem(((ParseResult.Valid) verdict).event()) != null) {
          expectedReasons.add(DeadLetter.UNBATCHABLE);
          expectedValues.add(value);
        } else {
          PreferenceEvent e = ((ParseResult.Valid) verdict).event();
          if (!expectedBatched.add(e.userId() + "\n" + e.eventId())) {
            duplicates++;
          }
          if (pick >= 2) {
            hostileValid++; // hostile-looking but within the protocol (escaped control characters, deep extensions)
          }
        }
        in.pipeInput(new TestRecord<>(key(random), value, Instant.ofEpochMilli(T0)));
        sent++;
        if (sent % 500 == 0) {
          driver.advanceWallClockTime(Duration.ofMillis(300));
          dead.addAll(dlq.readRecordsToList()); // drain as we go: 10 MB values should not pile up
          out.readRecordsToList().forEach(r -> batches.add(TrainingBatchCodec.decode(r.value())));
        }
      }
      driver.advanceWallClockTime(Duration.ofSeconds(2));
      dead.addAll(dlq.readRecordsToList());
      out.readRecordsToList().forEach(r -> batches.add(TrainingBatchCodec.decode(r.value())));

      assertThat(dead).hasSize(expectedReasons.size());
      Map<String, Integer> byReason = new TreeMap<>();
      for (int i = 0; i < dead.size(); i++) {
        TestRecord<byte[], byte[]> r = dead.get(i);
        String reason = header(r, DeadLetterHeaders.REASON);
        assertThat(reason).as("dead letter " + i).isEqualTo(expectedReasons.get(i));
        assertThat(Arrays.equals(r.value(), expectedValues.get(i))).as("original bytes of dead letter " + i).isTrue();
        assertThat(header(r, DeadLetterHeaders.DETAIL)).isNotBlank();
        byReason.merge(reason, 1, Integer::sum);
      }
      List<String> batched = new ArrayList<>();
      batches.forEach(b -> b.events().forEach(e -> batched.add(e.userId() + "\n" + e.eventId())));
      assertThat(batched).doesNotHaveDuplicates();
      assertThat(new HashSet<>(batched)).isEqualTo(expectedBatched);
      assertThat(registry.find(IngestMetrics.EVENTS_DUPLICATE).counter().count()).isEqualTo(duplicates);
      assertThat(byReason.keySet()).contains("record_too_large", "invalid_utf8", "not_json", "wrong_type",
          "field_too_long", "strength_out_of_range");

      System.out.printf("fuzz (seed %d): %d records, %d hostile, %d dead letters %s, %d hostile-looking but valid,"
              + " %d valid events in %d batches, %d duplicates dropped%n", SEED, sent, hostile, dead.size(), byReason,
          hostileValid, batched.size(), batches.size(), duplicates);
    }
  }

  private static byte[] key(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> null;
      case 1 -> bytes(random, 1 + random.nextInt(40)); // garbage key bytes
      default -> ("user-" + random.nextInt(40)).getBytes(StandardCharsets.UTF_8);
    };
  }

  private static List<Function<Random, byte[]>> hostileGenerators() {
    List<Function<Random, byte[]>> g = new ArrayList<>();
    g.add(r -> bytes(r, 1 + r.nextInt(300))); // random garbage
    g.add(r -> { // invalid UTF-8 inside an otherwise fine event
      byte[] v = Events.valid("u8-" + r.nextInt(), "user-1", "support");
      v[v.length - 3] = (byte) (0x80 + r.nextInt(0x40));
      return v;
    });
    g.add(r -> utf8("{\"eventId\":\"x\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"a\u0001\",\"chosen\":\"b\","
        + "\"rejected\":\"c\"}")); // raw control character in a string: not JSON
    g.add(r -> Events.bytes(Events.node("ctl-" + r.nextInt(), "user-\u0000" + r.nextInt(3), "support")
        .put("prompt", "\u0007\u001b[31m\u0000"))); // escaped control characters: valid
    g.add(r -> Events.bytes(Events.node("dom-" + r.nextInt(), "user-2", "bad\u0000domain")));
    g.add(r -> utf8("[".repeat(2000 + r.nextInt(5000)))); // deep nesting
    g.add(r -> { // deep but legal nesting inside an unknown field
      int depth = 50 + r.nextInt(200);
      String deep = "[".repeat(depth) + "]".repeat(depth);
      return utf8(new String(Events.valid("deep-" + r.nextInt(), "user-3", "support"), StandardCharsets.UTF_8)
          .replaceFirst("^\\{", "{\"x\":" + deep + ","));
    });
    g.add(r -> utf8("{\"eventId\":\"n\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\","
        + "\"rejected\":\"b\",\"strength\":NaN}"));
    g.add(r -> Events.bytes(Events.node("inf-" + r.nextInt(), "user-4", "support").put("strength", 1e308 * 10)));
    g.add(r -> utf8(new String(Events.bytes(Events.node("big-" + r.nextInt(), "user-5", "support")),
        StandardCharsets.UTF_8).replace("\"strength\"", "\"s\"").replaceFirst("\\}$", ",\"strength\":1e400}")));
    g.add(r -> Events.bytes(Events.node("neg-" + r.nextInt(), "user-6", "support").put("strength", -r.nextDouble())));
    g.add(r -> { // wrong types
      var n = Events.node("type-" + r.nextInt(), "user-7", "support");
      String field = List.of("eventId", "userId", "domain", "prompt", "chosen", "rejected").get(r.nextInt(6));
      switch (r.nextInt(4)) {
        case 0 -> n.put(field, r.nextInt());
        case 1 -> n.put(field, r.nextBoolean());
        case 2 -> n.putArray(field).add("a");
        default -> n.putObject(field).put("k", "v");
      }
      return Events.bytes(n);
    });
    g.add(r -> { // a missing field
      var n = Events.node("miss-" + r.nextInt(), "user-8", "support");
      n.remove(List.of("eventId", "userId", "domain", "prompt", "chosen", "rejected").get(r.nextInt(6)));
      return Events.bytes(n);
    });
    g.add(r -> Events.bytes(Events.node("long-" + r.nextInt(), "user-9", "support")
        .put(List.of("prompt", "chosen", "rejected").get(r.nextInt(3)),
            "y".repeat(EventLimits.MAX_TEXT_BYTES + 1 + r.nextInt(1000)))));
    g.add(r -> Events.bytes(Events.node("i".repeat(EventLimits.MAX_EVENT_ID_CHARS + 1), "user-10", "support")));
    g.add(r -> Events.bytes(Events.node("uid-" + r.nextInt(), "u".repeat(EventLimits.MAX_USER_ID_CHARS + 1),
        "support")));
    g.add(r -> { // chosen equals rejected
      var n = Events.node("same-" + r.nextInt(), "user-11", "support");
      n.put("rejected", n.get("chosen").asText());
      return Events.bytes(n);
    });
    g.add(r -> Events.bytes(Events.node("ts-" + r.nextInt(), "user-12", "support").put("timestamp", "not-a-time")));
    g.add(r -> Events.bytes(Events.node("sv-" + r.nextInt(), "user-13", "support").put("schemaVersion", 2 + r.nextInt(9))));
    g.add(r -> utf8(List.of("null", "42", "\"a string\"", "true", "{}", "[]").get(r.nextInt(6))));
    g.add(r -> new byte[0]);
    g.add(r -> r.nextInt(100) == 0 ? tenMegabytes(r) : bytes(r, 5)); // a few 10 MB values
    return g;
  }

  private static byte[] tenMegabytes(Random r) {
    byte[] v = new byte[10 * 1024 * 1024];
    Arrays.fill(v, (byte) ('a' + r.nextInt(26)));
    return v;
  }

  private static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String header(TestRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
