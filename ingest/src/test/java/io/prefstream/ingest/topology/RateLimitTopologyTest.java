package io.prefstream.ingest.topology;

import static io.prefstream.ingest.testdata.Events.utf8;
import static io.prefstream.ingest.testdata.Events.valid;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.UserRateLimit;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
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

/** The per-user rate limit in the topology: a flooding user is capped, its excess is dead-lettered, others unaffected. */
class RateLimitTopologyTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final Topics TOPICS = Topics.defaults();
  private static final int BURST = 10;
  private static final double RATE = 2.0;
  private static final int NORMAL_USERS = 5;
  /** The scenario lasts 5 s of record time in 10 ms steps; record time and the (mock) wall clock move together. */
  private static final int STEPS = 500;
  private static final long STEP_MS = 10;

  @TempDir
  Path dir;

  /** What one run of the scenario wrote. */
  private record Run(List<TestRecord<String, byte[]>> batches, List<TestRecord<byte[], byte[]>> dlq, double limited,
      String topology) {
    List<TrainingBatch> decoded() {
      return batches.stream().filter(r -> r.value() != null).map(r -> TrainingBatchCodec.decode(r.value())).toList();
    }

    /** Batch id, emission time (the batch record's timestamp, set from the wall clock at emission) and event ids. */
    List<String> normalUsersBatches() {
      List<String> out = new ArrayList<>();
      for (TestRecord<String, byte[]> r : batches) {
        TrainingBatch b = TrainingBatchCodec.decode(r.value());
        if (!b.userId().equals("flood")) {
          out.add(b.batchId() + " @" + r.timestamp() + " " + b.events().stream().map(PreferenceEvent::eventId).toList());
        }
      }
      return out;
    }
  }

  /**
   * Normal users u0..u4 each send one event every 500 ms; with {@code flood}, user "flood" sends one event every 10 ms
   * (100/s against a limit of 2/s with a burst of 10), all on the same partition.
   */
  private Run run(boolean flood, UserRateLimit limit) {
    IngestConfig config = IngestConfig.defaults("unused:9092", dir.resolve(flood + "-" + limit.enabled()))
        .withUserRateLimit(limit);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    IngestMetrics metrics = new IngestMetrics(registry);
    Properties props = IngestService.streamsProperties(config, metrics);
    var topology = IngestTopology.build(config, metrics);
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(T0))) {
      TestInputTopic<byte[], byte[]> events =
          driver.createInputTopic(TOPICS.events(), new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<byte[], byte[]> dlq =
          driver.createOutputTopic(TOPICS.eventsDlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      TestOutputTopic<String, byte[]> batches =
          driver.createOutputTopic(TOPICS.batches(), new StringDeserializer(), new ByteArrayDeserializer());
      for (int step = 0; step < STEPS; step++) {
        long t = T0 + step * STEP_MS;
        if (flood) {
          events.pipeInput(new TestRecord<>(utf8("flood"), valid("f" + step, "flood", "support"), Instant.ofEpochMilli(t)));
        }
        if (step % 50 == 0) {
          for (int u = 0; u < NORMAL_USERS; u++) {
            events.pipeInput(new TestRecord<>(utf8("u" + u), valid("n" + step, "u" + u, "support"),
                Instant.ofEpochMilli(t)));
          }
        }
        driver.advanceWallClockTime(Duration.ofMillis(STEP_MS));
      }
      driver.advanceWallClockTime(Duration.ofSeconds(2)); // close the last windows
      var counter = registry.find(IngestMetrics.EVENTS_REJECTED).tag("reason", DeadLetter.RATE_LIMITED).counter();
      return new Run(batches.readRecordsToList(), dlq.readRecordsToList(), counter == null ? -1 : counter.count(),
          topology.describe().toString());
    }
  }

  @Test
  void floodingUserGetsExactlyBurstPlusRateTimesElapsedAndTheRestIsDeadLettered() {
    Run r = run(true, new UserRateLimit(RATE, BURST, 1000));

    // the flood spans 4.99 s of record time: 10 + floor(2 * 4.99) = 19 events pass
    long accepted = r.decoded().stream().filter(b -> b.userId().equals("flood")).mapToLong(b -> b.events().size()).sum();
    int expectedAccepted = BURST + (int) Math.floor(RATE * (STEPS - 1) * STEP_MS / 1000.0);
    assertThat(expectedAccepted).isEqualTo(19);
    assertThat(accepted).isEqualTo(expectedAccepted);
    assertThat(r.dlq()).hasSize(STEPS - expectedAccepted);
    assertThat(r.limited()).isEqualTo(STEPS - expectedAccepted);

    // the accepted ones are the first 10 (the burst) and then one every 500 ms of record time
    List<String> acceptedIds = r.decoded().stream().filter(b -> b.userId().equals("flood"))
        .flatMap(b -> b.events().stream()).map(PreferenceEvent::eventId).toList();
    List<String> expectedIds = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      expectedIds.add("f" + i);
    }
    // tokens: 10 at t=0, +0.002 per ms; the (k+1)-th token after the burst is complete at t = 500 (k + 1) ms
    for (int k = 1; k <= expectedAccepted - BURST; k++) {
      expectedIds.add("f" + (50 * k));
    }
    assertThat(acceptedIds).containsExactlyElementsOf(expectedIds);

    // dead letters: the original value, keyed by the userId, with the reason and where the event came from
    for (TestRecord<byte[], byte[]> d : r.dlq()) {
      assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("flood");
      String eventId = PreferenceEventIds.of(d.value());
      assertThat(acceptedIds).doesNotContain(eventId);
      assertThat(d.value()).isEqualTo(valid(eventId, "flood", "support"));
      assertThat(header(d, DeadLetterHeaders.REASON)).isEqualTo("rate_limited");
      assertThat(header(d, DeadLetterHeaders.DETAIL)).contains("flood").contains("ingest.user.rate.per.sec");
      assertThat(header(d, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(TOPICS.events());
      assertThat(header(d, DeadLetterHeaders.SOURCE_OFFSET)).matches("\\d+");
    }
  }

  @Test
  void otherUsersOnThePartitionKeepEveryEventAndTheSameBatchesAtTheSameTimes() {
    Run alone = run(false, new UserRateLimit(RATE, BURST, 1000));
    Run flooded = run(true, new UserRateLimit(RATE, BURST, 1000));
    Run unlimited = run(true, UserRateLimit.DISABLED);

    assertThat(alone.normalUsersBatches()).hasSizeGreaterThanOrEqualTo(NORMAL_USERS * 5);
    // every normal event is batched, with the same batch ids, contents and emission times as without the flood
    assertThat(flooded.normalUsersBatches()).containsExactlyElementsOf(alone.normalUsersBatches());
    assertThat(alone.normalUsersBatches().stream().mapToInt(s -> s.split(",").length).sum())
        .isEqualTo(NORMAL_USERS * STEPS / 50);
    assertThat(flooded.dlq()).allSatisfy(d -> assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("flood"));

    // without the limit the flood is batched in full (the limit is what took it out)
    assertThat(unlimited.dlq()).isEmpty();
    assertThat(unlimited.decoded().stream().filter(b -> b.userId().equals("flood")).mapToInt(b -> b.events().size())
        .sum()).isEqualTo(STEPS);
    assertThat(unlimited.topology()).doesNotContain("rate-limited");
    assertThat(flooded.topology()).contains("rate-limited");
  }

  @Test
  void aRateLimitedEventCanBeReplayedAndARetriedTakenEventCostsNoToken() {
    IngestConfig config = IngestConfig.defaults("unused:9092", dir.resolve("replay"))
        .withUserRateLimit(new UserRateLimit(1, 1, 1000));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    IngestMetrics metrics = new IngestMetrics(registry);
    try (TopologyTestDriver driver = new TopologyTestDriver(IngestTopology.build(config, metrics),
        IngestService.streamsProperties(config, metrics), Instant.ofEpochMilli(T0))) {
      TestInputTopic<byte[], byte[]> events =
          driver.createInputTopic(TOPICS.events(), new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<byte[], byte[]> dlq =
          driver.createOutputTopic(TOPICS.eventsDlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      TestOutputTopic<String, byte[]> batches =
          driver.createOutputTopic(TOPICS.batches(), new StringDeserializer(), new ByteArrayDeserializer());
      events.pipeInput(new TestRecord<>(utf8("u"), valid("e1", "u", "support"), Instant.ofEpochMilli(T0)));
      events.pipeInput(new TestRecord<>(utf8("u"), valid("e1", "u", "support"), Instant.ofEpochMilli(T0))); // retry
      events.pipeInput(new TestRecord<>(utf8("u"), valid("e2", "u", "support"), Instant.ofEpochMilli(T0)));
      List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
      // the retry of the taken e1 is a duplicate (dropped, no token spent); e2 is over the limit
      assertThat(dead).hasSize(1);
      assertThat(PreferenceEventIds.of(dead.get(0).value())).isEqualTo("e2");
      assertThat(registry.find(IngestMetrics.EVENTS_DUPLICATE).counter().count()).isEqualTo(1.0);
      // the operator replays the dead letter two seconds later: taken, not dropped as a duplicate
      events.pipeInput(new TestRecord<>(dead.get(0).key(), dead.get(0).value(), Instant.ofEpochMilli(T0 + 2000)));
      driver.advanceWallClockTime(Duration.ofSeconds(2));
      assertThat(dlq.readRecordsToList()).isEmpty();
      List<String> batched = batches.readRecordsToList().stream()
          .flatMap(r -> TrainingBatchCodec.decode(r.value()).events().stream()).map(PreferenceEvent::eventId).toList();
      assertThat(batched).containsExactly("e1", "e2");
    }
  }

  private static String header(TestRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** The eventId of a test event, read with the protocol's own JSON. */
  private static final class PreferenceEventIds {
    static String of(byte[] value) {
      try {
        return io.prefstream.protocol.json.Json.MAPPER.readTree(value).get("eventId").asText();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(Arrays.toString(value), e);
      }
    }
  }
}
