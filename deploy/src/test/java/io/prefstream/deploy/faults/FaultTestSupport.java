package io.prefstream.deploy.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prefstream.learner.BaseBootstrap;
import io.prefstream.learner.LearningConfig;
import io.prefstream.local.LocalTopics;
import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What the fault tests share: data, a quick base, topics, reading topics to their end, waiting. */
/** Broker, data and topic helpers shared by the deploy module's multi-service tests. */
public final class FaultTestSupport {
  public static final Path SHARED_DATA = Path.of(System.getProperty("prefstream.data.dir", "../shared/data"));
  public static final String HASHING = "hashing-ngram-v1-d512";
  static final List<String> STYLES = List.of("academy", "business", "entertainment", "literature");

  private FaultTestSupport() {}

  public static Map<String, List<PreferenceEvent>> dspEvents() throws IOException {
    Map<String, List<PreferenceEvent>> out = new HashMap<>();
    try (Stream<String> lines = Files.lines(SHARED_DATA.resolve("dsp/dsp-dev.events.jsonl"))) {
      lines.forEach(line -> {
        if (EventParser.parse(line.getBytes(StandardCharsets.UTF_8), 0L) instanceof ParseResult.Valid v) {
          out.computeIfAbsent(v.event().domain(), d -> new ArrayList<>()).add(v.event());
        }
      });
    }
    assertThat(out.keySet()).containsAll(STYLES);
    return out;
  }

  static List<Path> generalData() throws IOException {
    try (Stream<Path> files = Files.list(SHARED_DATA.resolve("general"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".events.jsonl")).sorted().toList();
    }
  }

  /** A base trained on the first 300 general pairs (quick), stored where {@code learner.base.dir} points. */
  public static Path smallBase(Path dir) throws IOException {
    Path general = dir.resolve("general-300.events.jsonl");
    try (Stream<String> lines = Files.lines(generalData().get(0))) {
      Files.write(general, lines.limit(300).toList());
    }
    Path baseDir = dir.resolve("base");
    try (TextEncoder enc = Encoders.open(HASHING)) {
      BaseModel base = BaseBootstrap.obtain(null, List.of(general), new PairFeaturizer(enc),
          LearningConfig.defaults().trainer().marginScale(), 1L);
      BaseModelStore.save(base, baseDir);
    }
    return baseDir;
  }

  static List<NewTopic> topics(Topics topics, int partitions) {
    return LocalTopics.all(topics, partitions);
  }

  /** Every committed record of a topic, read to its current end. */
  static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "enable.auto.commit", false), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(topic, Duration.ofSeconds(10))) {
        tps.add(new TopicPartition(topic, p.partition()));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(10));
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        assertThat(System.nanoTime()).as("reading " + topic + " to " + end).isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            out.add(r);
          }
        }
      }
      return out;
    }
  }

  /** The latest value of every key of a compacted topic (tombstones remove). */
  public static Map<String, byte[]> latest(String bootstrap, String topic) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : readAll(bootstrap, topic)) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      if (r.value() == null) {
        out.remove(key);
      } else {
        out.put(key, r.value());
      }
    }
    return out;
  }

  static Map<String, Double> counters(MeterRegistry registry, String name) {
    Map<String, Double> out = new TreeMap<>();
    for (Counter c : registry.find(name).counters()) {
      out.put(c.getId().getTags().toString(), c.count());
    }
    return out;
  }

  public static void awaitTrue(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(250);
    }
  }

  /** Sends batches keyed by user, acknowledged by every replica, and waits for all of them. */
  public static void produceBatches(String bs, String topic, List<TrainingBatch> batches) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bs, "acks", "all",
        "enable.idempotence", false, "max.in.flight.requests.per.connection", 1), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      awaitTrue(Duration.ofSeconds(30), () -> p.partitionsFor(topic).stream().allMatch(i -> i.leader() != null
          && i.leader().id() >= 0), "leaders of " + topic);
      List<Future<?>> sent = new ArrayList<>();
      for (TrainingBatch b : batches) {
        sent.add(p.send(new ProducerRecord<>(topic, b.userId().getBytes(StandardCharsets.UTF_8),
            TrainingBatchCodec.encode(b))));
      }
      p.flush();
      for (Future<?> f : sent) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
  }
}
