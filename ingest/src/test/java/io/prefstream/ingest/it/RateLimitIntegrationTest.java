package io.prefstream.ingest.it;

import static io.prefstream.ingest.testdata.Events.utf8;
import static io.prefstream.ingest.testdata.Events.valid;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.UserRateLimit;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.topology.DeadLetter;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.topic.UserPartitioning;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One user floods 20,000 events amid 20 users at a normal pace, on the real broker: the flood is capped at
 * burst + rate x elapsed (record time), its excess is in the dead-letter topic as {@code rate_limited}, every count
 * reconciles, and the normal users' events keep reaching batches within a bound.
 */
class RateLimitIntegrationTest {
  private static final int PARTITIONS = 3;
  private static final int FLOOD_EVENTS = 20_000;
  private static final int NORMAL_USERS = 20;
  private static final UserRateLimit LIMIT = new UserRateLimit(50, 500, 100_000);
  /**
   * Window (the default, 500 ms) + close check (125 ms) + commit (100 ms) is the design latency; the bound leaves
   * room for a loaded 2-core machine shared with other builds (measured: see ingest/README.md; the test prints its
   * values).
   */
  private static final long LATENCY_BOUND_MS = 8_000;

  @TempDir
  Path dir;

  @Test
  void aFloodingUserIsCappedAndOthersKeepTheirLatency() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")));
         IngestService ingest = new IngestService(IngestConfig.defaults(broker.bootstrapServers(), dir.resolve("data"))
             .withPartitions(PARTITIONS).withUserRateLimit(LIMIT), registry);
         IngestHarness io = new IngestHarness(broker.bootstrapServers(), ingest.config().topics());
         KafkaProducer<byte[], byte[]> floodProducer = producer(broker.bootstrapServers());
         KafkaProducer<byte[], byte[]> normalProducer = producer(broker.bootstrapServers())) {
      ingest.start();
      assertThat(ingest.awaitRunning(Duration.ofSeconds(90))).as("ingest running").isTrue();
      String events = ingest.config().topics().events();
      int floodPartition = UserPartitioning.partitionFor("flooder", PARTITIONS);
      long sharing = java.util.stream.IntStream.range(0, NORMAL_USERS)
          .filter(u -> UserPartitioning.partitionFor("calm-" + u, PARTITIONS) == floodPartition).count();
      assertThat(sharing).as("normal users on the flooder's partition (same task)").isPositive();

      // warm up (first fetches, first transaction), then 3 s without the flood: the normal users' baseline latency
      Map<String, Long> warmUp = new HashMap<>();
      final int warmSent = sendNormal(normalProducer, events, warmUp, "warm-", 1, null);
      io.drainUntil(() -> io.batchedEvents() >= NORMAL_USERS, Duration.ofSeconds(60));
      // 3 s without the flood (the normal users' baseline latency), then the flood while they go on; the test
      // thread reads the output meanwhile, so read time - send time is the end-to-end latency
      Map<String, Long> baselineSentAtMs = new ConcurrentHashMap<>();
      Map<String, Long> sentAtMs = new ConcurrentHashMap<>();
      CountDownLatch baselineDone = new CountDownLatch(1);
      List<Future<RecordMetadata>> floodAcks = new ArrayList<>();
      // the flood: 40 bursts of 500 events, 100 ms apart (~5,000 events/s against a limit of 50/s)
      Thread flood = new Thread(() -> {
        await(baselineDone);
        for (int i = 0; i < FLOOD_EVENTS; i++) {
          floodAcks.add(floodProducer.send(new ProducerRecord<>(events, utf8("flooder"),
              valid("flood-" + i, "flooder", "support"))));
          if (i % 500 == 499) {
            sleep(100);
          }
        }
        floodProducer.flush();
      }, "flood");
      AtomicInteger normalDuringRun = new AtomicInteger();
      Thread normal = new Thread(() -> {
        normalDuringRun.addAndGet(sendNormal(normalProducer, events, baselineSentAtMs, "base-", 3_000, null));
        baselineDone.countDown();
        // each normal user keeps sending an event every 100 ms (10/s, a fifth of the limit) while the flood lasts
        normalDuringRun.addAndGet(sendNormal(normalProducer, events, sentAtMs, "n-", 1_000, flood));
      }, "normal-users");
      flood.start();
      normal.start();
      io.drainUntil(() -> !normal.isAlive() && !flood.isAlive()
          && io.batchedEvents() + io.dead.size() >= warmSent + normalDuringRun.get() + FLOOD_EVENTS,
          Duration.ofSeconds(180));
      flood.join();
      normal.join();
      int normalSent = warmSent + normalDuringRun.get();
      long produced = FLOOD_EVENTS + normalSent;
      io.drainFor(Duration.ofSeconds(2)); // and nothing more arrives

      // every event in exactly one place: a batch or the dead-letter topic
      Set<String> placed = new HashSet<>();
      Map<String, Long> readAtMs = new HashMap<>();
      long floodAccepted = 0;
      for (IngestHarness.BatchRecord b : io.batches) {
        for (PreferenceEvent e : b.batch().events()) {
          assertThat(placed.add(e.userId() + "\n" + e.eventId())).as("once: " + e.eventId()).isTrue();
          readAtMs.put(e.userId() + "\n" + e.eventId(), b.readAtMs());
          if (e.userId().equals("flooder")) {
            floodAccepted++;
          }
        }
      }
      long rateLimited = 0;
      long otherDead = 0;
      for (IngestHarness.DeadRecord d : io.dead) {
        var n = Json.MAPPER.readTree(d.value());
        assertThat(placed.add(n.get("userId").asText() + "\n" + n.get("eventId").asText())).isTrue();
        if (DeadLetter.RATE_LIMITED.equals(d.reason())) {
          rateLimited++;
          assertThat(new String(d.key(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("flooder");
        } else {
          otherDead++;
        }
      }
      assertThat(floodAccepted + rateLimited + otherDead + (io.batchedEvents() - floodAccepted)).isEqualTo(produced);
      assertThat(placed).hasSize((int) produced);
      assertThat(otherDead).isZero();

      // the flood got exactly burst + rate x (record-time span of the flood); the span comes from the broker's acks
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (Future<RecordMetadata> f : floodAcks) {
        first = Math.min(first, f.get().timestamp());
        last = Math.max(last, f.get().timestamp());
      }
      long expectedAccepted = LIMIT.burst() + (long) Math.floor(LIMIT.perSecond() * (last - first) / 1000.0);
      assertThat(floodAccepted).as("flood accepted over %d ms of record time", last - first)
          .isEqualTo(expectedAccepted);
      assertThat(rateLimited).isEqualTo(FLOOD_EVENTS - expectedAccepted);
      assertThat(registry.find(IngestMetrics.EVENTS_REJECTED).tag("reason", DeadLetter.RATE_LIMITED).counter().count())
          .isEqualTo(rateLimited);
      // and the service's own counters reconcile: in = valid, valid = batched + duplicates (none) + rate_limited
      assertThat(registry.find(IngestMetrics.EVENTS_IN).counter().count()).isEqualTo(produced);
      assertThat(registry.find(IngestMetrics.EVENTS_VALID).counter().count())
          .isEqualTo(io.batchedEvents() + rateLimited);

      // normal users: every event batched, none limited, and each batch read back within the bound
      List<Long> baseline = latencies(baselineSentAtMs, readAtMs, p -> true);
      List<Long> latencies = latencies(sentAtMs, readAtMs, p -> true);
      List<Long> onFloodPartition = latencies(sentAtMs, readAtMs, p -> p == floodPartition);
      System.out.printf("rate limit: %d produced (%d flood over %d ms of record time, %d normal from %d users); "
              + "flood accepted %d = %d + floor(%.0f/s x %.3f s), rate_limited %d; normal send->batch read latency "
              + "without the flood p50 %d ms, max %d ms; during it p50 %d ms, p99 %d ms, max %d ms (users on the "
              + "flooder's partition: p50 %d ms, max %d ms)%n",
          produced, FLOOD_EVENTS, last - first, normalSent, NORMAL_USERS, floodAccepted, LIMIT.burst(),
          LIMIT.perSecond(), (last - first) / 1000.0, rateLimited, pct(baseline, 0.5), pct(baseline, 1),
          pct(latencies, 0.5), pct(latencies, 0.99), pct(latencies, 1), pct(onFloodPartition, 0.5), pct(onFloodPartition, 1));
      assertThat(baseline).hasSize(baselineSentAtMs.size());
      assertThat(pct(latencies, 1)).as("max normal-user latency during the flood, ms").isLessThan(LATENCY_BOUND_MS);
    }
  }

  /** Send-to-batch-read latencies of the given events whose user is on a partition matching {@code partition}. */
  private static List<Long> latencies(Map<String, Long> sentAtMs, Map<String, Long> readAtMs,
      java.util.function.IntPredicate partition) {
    List<Long> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : sentAtMs.entrySet()) {
      Long read = readAtMs.get(e.getKey());
      assertThat(read).as("normal event batched: " + e.getKey()).isNotNull();
      String user = e.getKey().substring(0, e.getKey().indexOf('\n'));
      if (partition.test(UserPartitioning.partitionFor(user, PARTITIONS))) {
        out.add(read - e.getValue());
      }
    }
    out.sort(null);
    return out;
  }

  /** Each normal user sends one event every 100 ms for {@code forMs} and as long as {@code alsoWhile} runs. */
  private static int sendNormal(KafkaProducer<byte[], byte[]> producer, String topic, Map<String, Long> sentAtMs,
      String idPrefix, long forMs, Thread alsoWhile) {
    int sent = 0;
    long until = System.currentTimeMillis() + forMs;
    for (int round = 0; System.currentTimeMillis() < until || (alsoWhile != null && alsoWhile.isAlive()); round++) {
      for (int u = 0; u < NORMAL_USERS; u++) {
        String user = "calm-" + u;
        String id = idPrefix + round;
        sentAtMs.put(user + "\n" + id, System.currentTimeMillis());
        producer.send(new ProducerRecord<>(topic, utf8(user), valid(id, user, "support")));
        sent++;
      }
      producer.flush();
      sleep(100);
    }
    return sent;
  }

  private static long pct(List<Long> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true,
        "linger.ms", 5), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
