package io.prefstream.ingest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference applications of {@code bench ingest --floor}: each accounts for every event exactly once. */
class FloorTopologyTest {
  private static final int EVENTS = 150;
  private static final int USERS = 4;

  @TempDir
  Path stateDir;

  @Test
  void durableKeepsEachEventInTheStoreAndWritesUserBatchesOfTheOriginalBytes() {
    List<byte[][]> records = IngestBenchmark.generate(options(EVENTS, USERS));
    try (TopologyTestDriver driver = driver(IngestBenchmark.FloorWork.DURABLE)) {
      TestInputTopic<byte[], byte[]> in = driver.createInputTopic("in", new ByteArraySerializer(),
          new ByteArraySerializer());
      TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic("out", new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
      records.forEach(r -> in.pipeInput(r[0], r[1]));
      KeyValueStore<Bytes, byte[]> store = driver.getKeyValueStore("floor-pending");
      // 150 events over 4 users: 37 or 38 each, so one batch of 32 per user so far and the rest still pending
      List<TestRecord<byte[], byte[]>> early = out.readRecordsToList();
      assertThat(early).hasSize(USERS);
      assertThat(early).allSatisfy(r -> assertThat(FloorTopology.items(r.value()))
          .isEqualTo(FloorTopology.DURABLE_BATCH));
      assertThat(store.approximateNumEntries()).isEqualTo(USERS * FloorTopology.DURABLE_BATCH);

      driver.advanceWallClockTime(Duration.ofMillis(FloorTopology.FLUSH_MS));
      List<TestRecord<byte[], byte[]>> all = new ArrayList<>(early);
      all.addAll(out.readRecordsToList());
      assertThat(all.stream().mapToInt(r -> FloorTopology.items(r.value())).sum()).isEqualTo(EVENTS);

      Map<String, ByteArrayOutputStream> sent = new HashMap<>();
      records.forEach(r -> sent.computeIfAbsent(user(r[0]), u -> new ByteArrayOutputStream()).writeBytes(r[1]));
      Map<String, ByteArrayOutputStream> received = new HashMap<>();
      for (TestRecord<byte[], byte[]> r : all) {
        received.computeIfAbsent(user(r.key()), u -> new ByteArrayOutputStream())
            .write(r.value(), 4, r.value().length - 4); // after the count
      }
      assertThat(received.keySet()).isEqualTo(sent.keySet());
      sent.forEach((user, bytes) -> assertThat(Arrays.equals(bytes.toByteArray(), received.get(user).toByteArray()))
          .as("user %s's events in order, bytes untouched", user).isTrue());
    }
  }

  @Test
  void noneAndParseCountEveryEvent() {
    List<byte[][]> records = IngestBenchmark.generate(options(EVENTS, USERS));
    for (IngestBenchmark.FloorWork work : List.of(IngestBenchmark.FloorWork.NONE, IngestBenchmark.FloorWork.PARSE)) {
      try (TopologyTestDriver driver = driver(work)) {
        TestInputTopic<byte[], byte[]> in = driver.createInputTopic("in", new ByteArraySerializer(),
            new ByteArraySerializer());
        TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic("out", new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
        records.forEach(r -> in.pipeInput(r[0], r[1]));
        driver.advanceWallClockTime(Duration.ofMillis(FloorTopology.FLUSH_MS));
        assertThat(out.readValuesToList().stream().mapToInt(FloorTopology::items).sum()).as("%s", work)
            .isEqualTo(EVENTS);
      }
    }
  }

  @Test
  void parseRefusesAnInvalidEventInsteadOfCountingIt() {
    try (TopologyTestDriver driver = driver(IngestBenchmark.FloorWork.PARSE)) {
      TestInputTopic<byte[], byte[]> in = driver.createInputTopic("in", new ByteArraySerializer(),
          new ByteArraySerializer());
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> in.pipeInput(new byte[0], "{}".getBytes(StandardCharsets.UTF_8)))
          .hasRootCauseInstanceOf(IllegalStateException.class)
          .rootCause().hasMessageContaining("valid");
    }
  }

  private TopologyTestDriver driver(IngestBenchmark.FloorWork work) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "floor-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    return new TopologyTestDriver(FloorTopology.build("in", "out", work), props);
  }

  private static IngestBenchmark.Options options(int events, int users) {
    return new IngestBenchmark.Options(events, users, 1, 30, 1, Duration.ofSeconds(1), 32, Duration.ofMillis(100), 7,
        null, Map.of(), 0);
  }

  private static String user(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }
}
