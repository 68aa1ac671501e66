package io.prefstream.ingest.topology;

import static io.prefstream.ingest.testdata.Events.bytes;
import static io.prefstream.ingest.testdata.Events.node;
import static io.prefstream.ingest.testdata.Events.utf8;
import static io.prefstream.ingest.testdata.Events.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventLimits;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.event.RejectReason;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestTopologyTest {
  /** A multiple of the window length, so windows start at T0. */
  private static final long T0 = 1_800_000_000_000L;
  private static final Topics TOPICS = Topics.defaults();

  @TempDir
  Path dir;

  private TopologyTestDriver driver;
  private SimpleMeterRegistry registry;
  private TestInputTopic<byte[], byte[]> events;
  private TestOutputTopic<byte[], byte[]> dlq;
  private TestOutputTopic<String, byte[]> batches;

  private void start(UnaryOperator<IngestConfig> tune) {
    IngestConfig config = tune.apply(IngestConfig.defaults("unused:9092", dir));
    registry = new SimpleMeterRegistry();
    IngestMetrics metrics = new IngestMetrics(registry);
    Properties props = IngestService.streamsProperties(config, metrics);
    driver = new TopologyTestDriver(IngestTopology.build(config, metrics), props, Instant.ofEpochMilli(T0));
    events = driver.createInputTopic(TOPICS.events(), new ByteArraySerializer(), new ByteArraySerializer());
    dlq = driver.createOutputTopic(TOPICS.eventsDlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    batches = driver.createOutputTopic(TOPICS.batches(), new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void send(String key, byte[] value) {
    events.pipeInput(new TestRecord<>(key == null ? null : utf8(key), value, Instant.ofEpochMilli(T0)));
  }

  private void send(String userId, String eventId, String domain) {
    send(userId, valid(eventId, userId, domain));
  }

  private List<TrainingBatch> readBatches() {
    List<TrainingBatch> out = new ArrayList<>();
    for (TestRecord<String, byte[]> r : batches.readRecordsToList()) {
      TrainingBatch b = TrainingBatchCodec.decode(r.value());
      assertThat(r.key()).isEqualTo(b.userId());
      out.add(b);
    }
    return out;
  }

  private static List<String> ids(TrainingBatch b) {
    return b.events().stream().map(PreferenceEvent::eventId).toList();
  }

  private double count(String name, String... tags) {
    var c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void everyRejectReasonGoesToTheDeadLetterTopicWithTheOriginalBytes() {
    start(c -> c);
    Map<String, byte[]> bad = new LinkedHashMap<>();
    byte[] huge = new byte[EventLimits.MAX_RECORD_BYTES + 1];
    Arrays.fill(huge, (byte) 'x');
    bad.put(RejectReason.RECORD_TOO_LARGE.code(), huge);
    bad.put(RejectReason.EMPTY_RECORD.code(), new byte[0]);
    bad.put(RejectReason.INVALID_UTF8.code(), new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
    bad.put(RejectReason.NOT_JSON.code(), utf8("{not json"));
    bad.put(RejectReason.NOT_AN_OBJECT.code(), utf8("[1,2,3]"));
    ObjectNode missing = node("e-missing", "u1", "support");
    missing.remove("prompt");
    bad.put(RejectReason.MISSING_FIELD.code(), bytes(missing));
    bad.put(RejectReason.WRONG_TYPE.code(), bytes(node("e-type", "u1", "support").put("chosen", 42)));
    bad.put(RejectReason.FIELD_TOO_LONG.code(),
        bytes(node("e-long", "u1", "support").put("prompt", "p".repeat(EventLimits.MAX_TEXT_BYTES + 1))));
    bad.put(RejectReason.BAD_DOMAIN.code(), valid("e-domain", "u1", "Not A Domain"));
    ObjectNode same = node("e-same", "u1", "support");
    same.put("rejected", same.get("chosen").asText());
    bad.put(RejectReason.CHOSEN_EQUALS_REJECTED.code(), bytes(same));
    bad.put(RejectReason.STRENGTH_OUT_OF_RANGE.code(), bytes(node("e-strength", "u1", "support").put("strength", 1.5)));
    bad.put(RejectReason.BAD_TIMESTAMP.code(), bytes(node("e-ts", "u1", "support").put("timestamp", "yesterday")));
    bad.put(RejectReason.UNSUPPORTED_SCHEMA_VERSION.code(),
        bytes(node("e-schema", "u1", "support").put("schemaVersion", 2)));
    assertThat(bad.keySet()).as("a case for every protocol reject reason")
        .containsAll(Arrays.stream(RejectReason.values()).map(RejectReason::code).toList());

    for (byte[] value : bad.values()) {
      send("u1", value);
    }
    send(null, null); // a tombstone without a key cannot name a user to forget
    send("u1", "e-good", "support");

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(bad.size() + 1);
    List<String> expectedReasons = new ArrayList<>(bad.keySet());
    expectedReasons.add(DeadLetter.TOMBSTONE_WITHOUT_KEY);
    List<byte[]> expectedValues = new ArrayList<>(bad.values());
    expectedValues.add(null);
    for (int i = 0; i < dead.size(); i++) {
      TestRecord<byte[], byte[]> r = dead.get(i);
      assertThat(header(r, DeadLetterHeaders.REASON)).isEqualTo(expectedReasons.get(i));
      assertThat(r.value()).as("original bytes of " + expectedReasons.get(i)).isEqualTo(expectedValues.get(i));
      assertThat(r.key()).isEqualTo(i < bad.size() ? utf8("u1") : null);
      assertThat(header(r, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(TOPICS.events());
      assertThat(header(r, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
      assertThat(header(r, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo(String.valueOf(i));
      assertThat(header(r, DeadLetterHeaders.DETAIL)).isNotBlank();
      assertThat(count(IngestMetrics.EVENTS_REJECTED, "reason", expectedReasons.get(i))).isEqualTo(1.0);
    }
    assertThat(count(IngestMetrics.EVENTS_IN)).isEqualTo(bad.size() + 2);
    assertThat(count(IngestMetrics.EVENTS_VALID)).isEqualTo(1.0);

    driver.advanceWallClockTime(Duration.ofSeconds(1));
    List<TrainingBatch> out = readBatches();
    assertThat(out).hasSize(1);
    assertThat(ids(out.get(0))).containsExactly("e-good");
  }

  @Test
  void refusesAnEventThatNoBatchCouldCarry() {
    start(c -> c);
    // Inside a batch this nesting would pass the JSON reader's limit, so the learner could not read the batch. The
    // protocol's parser now caps event nesting for that reason (not_json); ingest's own unbatchable check stays as
    // the second line of defence.
    String deep = "[".repeat(62) + "]".repeat(62);
    byte[] value = utf8(new String(valid("e-deep", "u1", "support"), StandardCharsets.UTF_8)
        .replaceFirst("^\\{", "{\"x\":" + deep + ","));
    send("u1", value);
    send("u1", bytes(node("e-shallow", "u1", "support").put("x", "[[1]]")));
    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertThat(header(dead, DeadLetterHeaders.REASON)).isIn(RejectReason.NOT_JSON.code(), DeadLetter.UNBATCHABLE);
    assertThat(dead.value()).isEqualTo(value);
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    assertThat(readBatches()).singleElement().satisfies(b -> assertThat(ids(b)).containsExactly("e-shallow"));
  }

  @Test
  void dropsDuplicateEventIdsPerUserWithinTheRetention() {
    start(c -> c.withDedupeRetention(Duration.ofMinutes(10)));
    send("u1", "e1", "support");
    send("u1", "e1", "support"); // duplicate
    send("u2", "e1", "support"); // same id, other user: not a duplicate
    send("u1", "e2", "support");
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    List<TrainingBatch> out = readBatches();
    assertThat(out).hasSize(2);
    assertThat(out).filteredOn(b -> b.userId().equals("u1")).singleElement().satisfies(b ->
        assertThat(ids(b)).containsExactly("e1", "e2"));
    assertThat(count(IngestMetrics.EVENTS_DUPLICATE)).isEqualTo(1.0);

    driver.advanceWallClockTime(Duration.ofMinutes(5));
    send("u1", "e1", "support"); // still remembered
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    assertThat(readBatches()).isEmpty();
    assertThat(count(IngestMetrics.EVENTS_DUPLICATE)).isEqualTo(2.0);

    driver.advanceWallClockTime(Duration.ofMinutes(30)); // past the retention: the id is forgotten
    send("u1", "e1", "support");
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    assertThat(readBatches()).singleElement().satisfies(b -> assertThat(ids(b)).containsExactly("e1"));
  }

  @Test
  void emitsABatchWhenTheWindowClosesAndNotBefore() {
    start(c -> c.withWindow(Duration.ofSeconds(1)));
    driver.advanceWallClockTime(Duration.ofMillis(100));
    send("u1", "e1", "support");
    send("u1", "e2", "support");
    driver.advanceWallClockTime(Duration.ofMillis(600)); // T0 + 700: window [T0, T0 + 1000) still open
    assertThat(batches.isEmpty()).isTrue();
    assertThat(registry.find(IngestMetrics.PENDING_EVENTS).gauge().value()).isEqualTo(2.0);
    driver.advanceWallClockTime(Duration.ofMillis(400)); // T0 + 1100
    TrainingBatch b = readBatches().get(0);
    assertThat(b.windowStartMs()).isEqualTo(T0);
    assertThat(b.windowEndMs()).isEqualTo(T0 + 1000);
    assertThat(b.closedEarly()).isFalse();
    assertThat(b.batchId()).isEqualTo("u1/support/" + T0 + "/0");
    assertThat(ids(b)).containsExactly("e1", "e2");
    assertThat(count(IngestMetrics.BATCHES_OUT, "trigger", "window")).isEqualTo(1.0);
    assertThat(registry.find(IngestMetrics.LAG).timer().count()).isEqualTo(2);
    assertThat(registry.find(IngestMetrics.PENDING_EVENTS).gauge().value()).isZero();

    // the next window starts afresh, numbered from 0 again
    send("u1", "e3", "support");
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    TrainingBatch next = readBatches().get(0);
    assertThat(next.batchId()).isEqualTo("u1/support/" + (T0 + 1000) + "/0");
  }

  @Test
  void emitsEarlyWhenABatchReachesItsSizeWithUniqueSequencedIds() {
    start(c -> c.withEarlyEmit(4).withWindow(Duration.ofSeconds(10)));
    for (int i = 0; i < 10; i++) {
      send("u1", "e" + i, "support");
    }
    List<TrainingBatch> early = readBatches();
    assertThat(early).hasSize(2);
    assertThat(early).allSatisfy(b -> assertThat(b.closedEarly()).isTrue());
    assertThat(ids(early.get(0))).containsExactly("e0", "e1", "e2", "e3");
    assertThat(ids(early.get(1))).containsExactly("e4", "e5", "e6", "e7");
    driver.advanceWallClockTime(Duration.ofSeconds(10));
    List<TrainingBatch> rest = readBatches();
    assertThat(rest).singleElement().satisfies(b -> {
      assertThat(ids(b)).containsExactly("e8", "e9");
      assertThat(b.closedEarly()).isFalse();
    });
    Set<String> batchIds = new HashSet<>();
    for (TrainingBatch b : List.of(early.get(0), early.get(1), rest.get(0))) {
      batchIds.add(b.batchId());
    }
    assertThat(batchIds).containsExactlyInAnyOrder(
        "u1/support/" + T0 + "/0", "u1/support/" + T0 + "/1", "u1/support/" + T0 + "/2");
    assertThat(count(IngestMetrics.BATCHES_OUT, "trigger", "size")).isEqualTo(2.0);
  }

  @Test
  void emitsEarlyBeforeABatchWouldPassItsByteLimit() {
    start(c -> new IngestConfig(c.bootstrapServers(), c.dataDir(), c.topics(), c.applicationId(), c.window(), 1000,
        8 * 1024, c.dedupeRetention(), c.userRateLimit(), c.partitions(), c.dlqPartitions(), c.replicationFactor(), c.createTopics(),
        c.streamThreads(), c.commitInterval(), c.cacheMaxBytes(), c.instanceId(), c.clientConfig()));
    for (int i = 0; i < 6; i++) {
      send("u1", bytes(node("e" + i, "u1", "support").put("prompt", "p".repeat(2000))));
    }
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    List<TrainingBatch> out = readBatches();
    assertThat(out.stream().mapToInt(b -> b.events().size()).sum()).isEqualTo(6);
    assertThat(out).hasSizeGreaterThan(1);
    for (TrainingBatch b : out) {
      assertThat(TrainingBatchCodec.encode(b).length).isLessThanOrEqualTo(8 * 1024);
    }
  }

  @Test
  void keepsArrivalOrderWithinEachUserAndDomain() {
    start(c -> c);
    List<String> expectedA = new ArrayList<>();
    List<String> expectedB = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = String.format("z%02d", 20 - i); // ids sort opposite to arrival
      if (i % 3 == 0) {
        send("u1", id, "domain-b");
        expectedB.add(id);
      } else {
        send("u1", id, "domain-a");
        expectedA.add(id);
      }
    }
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    List<TrainingBatch> out = readBatches();
    assertThat(out).hasSize(2);
    assertThat(out).filteredOn(b -> b.domain().equals("domain-a")).singleElement()
        .satisfies(b -> assertThat(ids(b)).containsExactlyElementsOf(expectedA));
    assertThat(out).filteredOn(b -> b.domain().equals("domain-b")).singleElement()
        .satisfies(b -> assertThat(ids(b)).containsExactlyElementsOf(expectedB));
  }

  @Test
  void forgettingAUserFlushesItsPendingBatchesThenForwardsTheTombstone() {
    start(c -> c);
    send("u1", "e1", "support");
    send("u1", "e2", "legal");
    send("u2", "e3", "support");
    send("u1", null); // forget u1
    List<TestRecord<String, byte[]>> out = batches.readRecordsToList();
    assertThat(out).hasSize(3);
    assertThat(out.subList(0, 2)).allSatisfy(r -> assertThat(r.key()).isEqualTo("u1"));
    assertThat(out.subList(0, 2).stream().map(r -> TrainingBatchCodec.decode(r.value()).domain()))
        .containsExactlyInAnyOrder("support", "legal");
    assertThat(out.get(2).key()).isEqualTo("u1");
    assertThat(out.get(2).value()).isNull();
    assertThat(count(IngestMetrics.USERS_FORGOTTEN)).isEqualTo(1.0);

    // the forgotten user's event ids are forgotten too; u2 is untouched and closes with its window
    send("u1", "e1", "support");
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    List<TrainingBatch> later = readBatches();
    assertThat(later).extracting(TrainingBatch::userId).containsExactlyInAnyOrder("u1", "u2");
    assertThat(later).filteredOn(b -> b.userId().equals("u1")).singleElement().satisfies(b -> {
      assertThat(ids(b)).containsExactly("e1");
      assertThat(b.batchId()).isEqualTo("u1/support/" + T0 + "/1"); // the flushed one was /0 of the same window
    });
  }

  @Test
  void reKeysEventsWhoseRecordKeyIsNotTheirUser() {
    start(c -> c);
    send(null, valid("e1", "u1", "support"));
    send("someone-else", valid("e2", "u1", "support"));
    send("u1", "e3", "support");
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    List<TrainingBatch> out = readBatches();
    assertThat(out).singleElement().satisfies(b -> assertThat(ids(b)).containsExactlyInAnyOrder("e1", "e2", "e3"));
    assertThat(count(IngestMetrics.EVENTS_REKEYED)).isEqualTo(2.0);
    assertThat(count(IngestMetrics.EVENTS_VALID)).isEqualTo(3.0);
    assertThat(dlq.isEmpty()).isTrue();
  }

  private static String header(TestRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
