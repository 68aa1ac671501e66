package io.prefstream.learner;

import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Real data and real-broker helpers shared by the learner's integration tests. */
final class LearnerTestSupport {
  static final String HASHING = "hashing-ngram-v1-d256";
  static final long T0 = 1_700_000_000_000L;

  private LearnerTestSupport() {}

  static Path dataDir() {
    return Path.of(System.getProperty("prefstream.data.dir", "../../shared/data"));
  }

  static List<Path> generalData() {
    return List.of(dataDir().resolve("general/harmless-dev.events.jsonl"),
        dataDir().resolve("general/helpful-dev.events.jsonl"));
  }

  /** The valid DSP dev events in file order (interleaved by query); invalid ones are skipped, as ingest would. */
  static List<PreferenceEvent> dspEvents() {
    List<PreferenceEvent> out = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(dataDir().resolve("dsp/dsp-dev.events.jsonl"), StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        ParseResult r = EventParser.parse(lines.get(i).getBytes(StandardCharsets.UTF_8), T0 + i * 1000L);
        if (r instanceof ParseResult.Valid v) {
          out.add(v.event());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The first {@code perUser} events of each user. */
  static List<PreferenceEvent> firstPerUser(List<PreferenceEvent> events, int perUser) {
    Map<String, Integer> seen = new HashMap<>();
    List<PreferenceEvent> out = new ArrayList<>();
    for (PreferenceEvent e : events) {
      if (seen.merge(e.userId(), 1, Integer::sum) <= perUser) {
        out.add(e);
      }
    }
    return out;
  }

  /** Cuts each (user, domain)'s events, in order, into batches of {@code size}; batches interleave across users. */
  static List<TrainingBatch> batches(List<PreferenceEvent> events, int size) {
    Map<String, List<PreferenceEvent>> byKey = new LinkedHashMap<>();
    for (PreferenceEvent e : events) {
      byKey.computeIfAbsent(e.userId() + "/" + e.domain(), k -> new ArrayList<>()).add(e);
    }
    List<List<TrainingBatch>> perKey = new ArrayList<>();
    for (List<PreferenceEvent> list : byKey.values()) {
      List<TrainingBatch> bs = new ArrayList<>();
      for (int i = 0; i < list.size(); i += size) {
        List<PreferenceEvent> part = list.subList(i, Math.min(list.size(), i + size));
        PreferenceEvent first = part.get(0);
        bs.add(new TrainingBatch(first.userId() + "/" + first.domain() + "/" + i + "/0", first.userId(),
            first.domain(), first.timestampMs(), part.get(part.size() - 1).timestampMs() + 1, true, part));
      }
      perKey.add(bs);
    }
    List<TrainingBatch> out = new ArrayList<>();
    for (int i = 0; ; i++) {
      boolean any = false;
      for (List<TrainingBatch> bs : perKey) {
        if (i < bs.size()) {
          out.add(bs.get(i));
          any = true;
        }
      }
      if (!any) {
        return out;
      }
    }
  }

  static void produce(String bootstrap, String topic, List<TrainingBatch> batches) {
    List<byte[][]> records = new ArrayList<>();
    for (TrainingBatch b : batches) {
      records.add(new byte[][] {b.userId().getBytes(StandardCharsets.UTF_8), TrainingBatchCodec.encode(b)});
    }
    send(bootstrap, topic, records);
  }

  static void produceRaw(String bootstrap, String topic, byte[] key, byte[] value) {
    List<byte[][]> records = new ArrayList<>();
    records.add(new byte[][] {key, value});
    send(bootstrap, topic, records);
  }

  /**
   * Sends in order and checks every send. Waits for the topic's leaders first: producing into a topic created a
   * moment ago can otherwise stall an idempotent producer on sequence errors until its delivery timeout.
   */
  private static void send(String bootstrap, String topic, List<byte[][]> records) {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
        "enable.idempotence", false, "acks", "all", "max.in.flight.requests.per.connection", 1),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      await(Duration.ofSeconds(30), () -> p.partitionsFor(topic).stream().allMatch(i -> i.leader() != null
          && i.leader().id() >= 0), "leaders of " + topic);
      List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>();
      for (byte[][] r : records) {
        sent.add(p.send(new ProducerRecord<>(topic, r[0], r[1])));
      }
      p.flush();
      for (java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> f : sent) {
        f.get(60, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot produce to " + topic + ": " + e, e);
    }
  }

  /** Waits until the group has committed offsets at the end of every partition of {@code topic}. */
  static void awaitConsumed(String bootstrap, String group, String topic, Duration timeout) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      await(timeout, () -> {
        try {
          Map<TopicPartition, OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
          int n = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
              .partitions().size();
          Map<TopicPartition, OffsetSpec> req = new HashMap<>();
          for (int p = 0; p < n; p++) {
            req.put(new TopicPartition(topic, p), OffsetSpec.latest());
          }
          Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end =
              admin.listOffsets(req).all().get(10, TimeUnit.SECONDS);
          for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : end.entrySet()) {
            long want = e.getValue().offset();
            OffsetAndMetadata have = committed.get(e.getKey());
            if (want > 0 && (have == null || have.offset() < want)) {
              return false;
            }
          }
          return true;
        } catch (Exception e) {
          return false;
        }
      }, "group " + group + " to consume all of " + topic);
    }
  }

  static void await(Duration timeout, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** The current value per key of every partition of a compacted topic (null = deleted), read_committed. */
  static Map<Integer, Map<String, byte[]>> latest(String bootstrap, String topic, int partitions) {
    Map<Integer, Map<String, byte[]>> out = new java.util.TreeMap<>();
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(topic, p));
      out.put(p, new java.util.TreeMap<>());
    }
    io.prefstream.learner.kafka.TopicReader.readToEnd(Map.of("bootstrap.servers", bootstrap), tps,
        Duration.ofSeconds(60), r -> out.get(r.partition()).put(new String(r.key(), StandardCharsets.UTF_8),
            r.value()));
    return out;
  }
}
