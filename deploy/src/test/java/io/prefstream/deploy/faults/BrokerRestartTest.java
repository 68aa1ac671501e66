package io.prefstream.deploy.faults;

import static io.prefstream.deploy.faults.FaultTestSupport.awaitTrue;
import static io.prefstream.deploy.faults.FaultTestSupport.counters;
import static io.prefstream.deploy.faults.FaultTestSupport.dspEvents;
import static io.prefstream.deploy.faults.FaultTestSupport.generalData;
import static io.prefstream.deploy.faults.FaultTestSupport.latest;
import static io.prefstream.deploy.faults.FaultTestSupport.readAll;
import static io.prefstream.deploy.faults.FaultTestSupport.smallBase;
import static io.prefstream.deploy.faults.FaultTestSupport.topics;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.learner.state.KeyState;
import io.prefstream.learner.state.KeyStateCodec;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.ModelCheckpoint;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.Settings;
import io.prefstream.runtime.metrics.MetricsEndpoint.Health;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, "broker restarted while all services run": a real broker with ingest, learner and scorer on it, a steady
 * stream of events from a few users, and the broker stopped for {@link #OUTAGE} (longer than every client's request
 * timeout and the learner's transaction timeout) in mid-stream, then started again on the same folder and port.
 * While it is away the scorer answers every request from its loaded models, and the health of all three services says
 * DEGRADED (learner and ingest are idle then: only their broker probes notice); afterwards
 * every service is back by itself and every produced event is accounted for exactly once: in a batch or in the DLQ,
 * in its key's learner state and newest checkpoint, and the scorer serves that newest checkpoint.
 */
class BrokerRestartTest {
  private static final String HASHING = FaultTestSupport.HASHING;
  private static final List<String> STYLES = FaultTestSupport.STYLES;
  private static final int PARTITIONS = 2;
  private static final int USERS = 6;
  private static final int EVENTS_PER_SECOND = 40;
  /** Every this many sends, one record that is not a valid event (it must land in the DLQ). */
  private static final int INVALID_EVERY = 50;
  private static final Duration BEFORE = Duration.ofSeconds(8);
  private static final Duration OUTAGE = Duration.ofSeconds(15);
  private static final Duration AFTER = Duration.ofSeconds(8);
  /** The scorer's probe (2 s interval, 2 s timeout) notices the outage within this. */
  private static final Duration DETECTION = Duration.ofSeconds(8);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyServiceRidesOutABrokerRestartAndEveryEventIsCountedOnce(@TempDir Path dir) throws Exception {
    Path baseDir = smallBase(dir);
    Path kafkaDir = dir.resolve("kafka");
    Topics topics = new Topics("restart.");
    EmbeddedKafkaBroker[] broker = {EmbeddedKafkaBroker.start(BrokerConfig.defaults(kafkaDir))};
    String bs = broker[0].bootstrapServers();
    int port = Integer.parseInt(bs.substring(bs.lastIndexOf(':') + 1));
    java.util.Deque<AutoCloseable> open = new java.util.ArrayDeque<>(); // closed last-opened first
    try {
      broker[0].createTopics(topics(topics, PARTITIONS));
      // Client timeouts well under the outage, so that it hits every failure path (not just a pause): requests,
      // blocking calls, deliveries and the learner's transactions all time out while the broker is away.
      Settings settings = Settings.of(Map.ofEntries(
          Map.entry("bootstrap.servers", bs),
          Map.entry("topic.prefix", topics.prefix()),
          Map.entry("topics.partitions", String.valueOf(PARTITIONS)),
          Map.entry("kafka.request.timeout.ms", "5000"),
          Map.entry("kafka.default.api.timeout.ms", "8000"),
          Map.entry("kafka.max.block.ms", "8000"),
          Map.entry("kafka.delivery.timeout.ms", "10000"),
          Map.entry("kafka.reconnect.backoff.max.ms", "1000"),
          Map.entry("learner.transaction.timeout", "10s"),
          Map.entry("learner.encoder", HASHING),
          Map.entry("learner.gate.enabled", "false"),
          Map.entry("scorer.encoder", HASHING),
          Map.entry("scorer.http.port", "0")));

      MeterRegistry ingestMeters = new SimpleMeterRegistry();
      IngestService ingest = new IngestService(
          IngestConfig.from(settings.with("data.dir", dir.resolve("ingest").toString())), ingestMeters);
      open.push(ingest);
      ingest.start();
      MeterRegistry learnerMeters = new SimpleMeterRegistry();
      LearnerConfig learnerConfig = LearnerConfig.from(settings.with("data.dir", dir.resolve("learner").toString()))
          .withBase(baseDir, generalData());
      LearnerService learner = new LearnerService(learnerConfig, learnerMeters);
      open.push(learner);
      learner.start();
      MeterRegistry scorerMeters = new SimpleMeterRegistry();
      ScorerService scorer = new ScorerService(
          ScorerConfig.from(settings).withDataDir(dir.resolve("scorer")), scorerMeters);
      open.push(scorer);
      scorer.start();
      assertThat(ingest.awaitRunning(Duration.ofSeconds(60))).as("ingest running: " + ingest.health()).isTrue();
      assertThat(scorer.awaitBase(Duration.ofSeconds(60))).as("scorer has a base: " + scorer.health()).isTrue();
      String scorerUrl = "http://localhost:" + scorer.httpPort();

      // Load: a steady event stream, scoring requests and health checks, each on its own thread, all timestamped.
      EventSource source = new EventSource(dspEvents());
      Producing producing = new Producing(bs, topics.events(), source);
      Probing probing = new Probing(scorerUrl);
      open.push(producing);
      open.push(probing);
      producing.start();
      probing.start();

      awaitTrue(Duration.ofSeconds(60), () -> scorer.modelsLoaded() >= 1, "a first customized model served");
      Thread.sleep(BEFORE.toMillis());

      long stopAt = System.currentTimeMillis();
      broker[0].close();
      long stopped = System.currentTimeMillis();
      // Learner and ingest are idle while the broker is away (their clients just wait), so only their probes tell.
      awaitTrue(OUTAGE.minusSeconds(5), () -> learner.health().status() == Health.Status.DEGRADED
          && ingest.health().status() == Health.Status.DEGRADED, "learner and ingest DEGRADED while the broker is away");
      assertThat(learner.health().detail()).contains("Kafka unreachable since");
      assertThat(ingest.health().detail()).contains("Kafka unreachable since");
      assertThat(learnerMeters.get("prefstream.learner.kafka.connected").gauge().value()).isZero();
      assertThat(ingestMeters.get("prefstream.ingest.kafka.connected").gauge().value()).isZero();
      Thread.sleep(Math.max(0, stopped + OUTAGE.toMillis() - System.currentTimeMillis()));
      long restartAt = System.currentTimeMillis();
      broker[0] = EmbeddedKafkaBroker.start(BrokerConfig.defaults(kafkaDir).withPort(port));
      long restarted = System.currentTimeMillis();
      assertThat(broker[0].bootstrapServers()).isEqualTo(bs);
      System.out.printf("broker stopped in %d ms, away %d ms, restarted in %d ms%n", stopped - stopAt,
          restartAt - stopped, restarted - restartAt);

      Thread.sleep(AFTER.toMillis());
      producing.stopAndFlush(Duration.ofSeconds(120));
      System.out.printf("produced: %d valid + %d invalid sent, %d acknowledged, %d failed%n",
          producing.validSent(), producing.invalidSent(), producing.acked.get(), producing.failed.get());
      assertThat(producing.failed.get()).as("sends that failed despite the long delivery timeout").isZero();
      assertThat(producing.acked.get()).isEqualTo(producing.validSent() + producing.invalidSent());

      // Every service comes back by itself.
      awaitTrue(Duration.ofSeconds(30), () -> scorer.health().status() == Health.Status.UP, "scorer health back to UP");
      awaitTrue(Duration.ofSeconds(30), () -> ingest.health().status() == Health.Status.UP, "ingest health back to UP");
      awaitTrue(Duration.ofSeconds(30), () -> learner.health().status() == Health.Status.UP, "learner health back to UP");
      assertThat(learnerMeters.get("prefstream.learner.kafka.connected").gauge().value()).isEqualTo(1);

      // Ingest: every acknowledged event in exactly one batch or in the DLQ.
      Map<String, Integer> batchedPerKey = new TreeMap<>();
      Set<String> batchedIds = new HashSet<>();
      long[] batchedEvents = {0};
      long[] dlq = {0};
      awaitTrue(Duration.ofSeconds(90), () -> {
        batchedPerKey.clear();
        batchedIds.clear();
        batchedEvents[0] = 0;
        for (ConsumerRecord<byte[], byte[]> r : readAll(bs, topics.batches())) {
          if (r.value() == null) {
            continue;
          }
          TrainingBatch b = TrainingBatchCodec.decode(r.value());
          for (PreferenceEvent e : b.events()) {
            batchedIds.add(e.eventId());
            batchedEvents[0]++;
          }
          batchedPerKey.merge(b.userId() + "/" + b.domain(), b.events().size(), Integer::sum);
        }
        dlq[0] = readAll(bs, topics.eventsDlq()).size();
        return batchedIds.size() + dlq[0] >= producing.acked.get();
      }, "every acknowledged event batched or dead-lettered");
      System.out.printf("ingest: %d events in batches (%d distinct), %d in the DLQ, of %d produced%n",
          batchedEvents[0], batchedIds.size(), dlq[0], producing.acked.get());
      assertThat(batchedEvents[0]).as("events batched twice").isEqualTo(batchedIds.size());
      assertThat(batchedIds).as("the valid events produced, each batched once").isEqualTo(producing.validIds());
      assertThat(dlq[0]).as("invalid records dead-lettered").isEqualTo(producing.invalidSent());

      // Learner: each key's committed state and newest checkpoint cover exactly its batched events.
      Map<String, Long> appliedPerKey = new TreeMap<>();
      Map<String, IndividualModel> newest = new TreeMap<>();
      awaitTrue(Duration.ofSeconds(90), () -> {
        appliedPerKey.clear();
        latest(bs, learnerConfig.stateTopic()).forEach((k, v) -> {
          KeyState s = KeyStateCodec.decode(v);
          appliedPerKey.put(s.userId() + "/" + s.domain(), s.eventsApplied());
        });
        return appliedPerKey.keySet().equals(batchedPerKey.keySet()) && batchedPerKey.entrySet().stream()
            .allMatch(e -> appliedPerKey.get(e.getKey()) >= e.getValue());
      }, "the learner to apply every batched event");
      Thread.sleep(2_000); // nothing more may arrive: a repeat would show as a count above the batched one
      appliedPerKey.clear();
      latest(bs, learnerConfig.stateTopic()).forEach((k, v) -> {
        KeyState s = KeyStateCodec.decode(v);
        appliedPerKey.put(s.userId() + "/" + s.domain(), s.eventsApplied());
      });
      latest(bs, topics.models()).forEach((k, v) -> {
        ModelCheckpoint m = CheckpointCodec.decode(v);
        if (m instanceof IndividualModel im) {
          newest.put(im.userId() + "/" + im.domain(), im);
        }
      });
      Map<String, Long> checkpointed = new TreeMap<>();
      newest.forEach((k, m) -> checkpointed.put(k, m.eventsApplied()));
      Map<String, Long> batchedLong = new TreeMap<>();
      batchedPerKey.forEach((k, n) -> batchedLong.put(k, (long) n));
      System.out.printf("per key: batched %s, learner state %s, newest checkpoint %s%n", batchedLong, appliedPerKey,
          checkpointed);
      assertThat(batchedPerKey).hasSize(USERS);
      assertThat(appliedPerKey).as("events applied per key (learner state)").isEqualTo(batchedLong);
      assertThat(checkpointed).as("events applied per key (newest checkpoint)").isEqualTo(batchedLong);

      // Scorer: serves the newest checkpoint of every key.
      awaitTrue(Duration.ofSeconds(30), () -> newest.values().stream().allMatch(m ->
          servedVersion(scorerUrl, m.userId(), m.domain()) == m.version()), "scorer serving every newest checkpoint");

      // The scorer's Kafka path is back too: a request on score-requests gets its reply on scores.
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bs, "acks", "all"),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        p.send(new ProducerRecord<>(topics.scoreRequests(), "user-0".getBytes(StandardCharsets.UTF_8),
            ScoreRequestParser.encode(new ScoreRequest("after-restart", "user-0", STYLES.get(0), "Which is better?",
                List.of("one answer", "another answer"))))).get(30, TimeUnit.SECONDS);
      }
      awaitTrue(Duration.ofSeconds(60), () -> readAll(bs, topics.scores()).stream().anyMatch(r ->
          r.value() != null && ScoreRequestParser.decodeReply(r.value()).requestId().equals("after-restart")
              && ScoreRequestParser.decodeReply(r.value()).rewards() != null
              && ScoreRequestParser.decodeReply(r.value()).rewards().size() == 2), "a Kafka score reply after the restart");

      // While the broker was away: every scoring request answered from the loaded models, health DEGRADED (200).
      probing.stop();
      List<Sample> during = probing.scores.stream().filter(s -> s.atMs >= stopped && s.atMs <= restartAt).toList();
      List<Sample> healthDuring = probing.health.stream()
          .filter(s -> s.atMs >= stopped + DETECTION.toMillis() && s.atMs <= restartAt).toList();
      System.out.printf("scorer: %d scoring requests in all, %d while the broker was away; health samples while "
          + "away %s; statuses over the run %s%n", probing.scores.size(), during.size(),
          healthDuring.stream().map(s -> s.status).distinct().toList(),
          probing.health.stream().map(s -> s.status).distinct().toList());
      assertThat(during.size()).as("scoring requests while the broker was away").isGreaterThan(20);
      assertThat(probing.scores).as("every scoring request answered 200")
          .allSatisfy(s -> assertThat(s.http).as(s.toString()).isEqualTo(200));
      assertThat(healthDuring).isNotEmpty()
          .allSatisfy(s -> assertThat(s.status).as(s.toString()).isEqualTo("DEGRADED"))
          .allSatisfy(s -> assertThat(s.http).as(s.toString()).isEqualTo(200));
      assertThat(healthDuring.get(0).detail).contains("Kafka unreachable since").contains("customized models");
      assertThat(probing.health).as("the scorer's health never DOWN")
          .allSatisfy(s -> assertThat(s.status).as(s.toString()).isNotEqualTo("DOWN"));
      List<Sample> healthAll = List.copyOf(probing.health);
      assertThat(healthAll.get(healthAll.size() - 1).status).as("the last health sample").isEqualTo("UP");

      System.out.printf("recoveries: ingest stream threads replaced %s; learner kafka retries %s, producers "
          + "recreated %s; scorer kafka errors survived %s%n",
          counters(ingestMeters, IngestService.STREAM_THREADS_REPLACED),
          counters(learnerMeters, LearnerService.KAFKA_RETRIES),
          counters(learnerMeters, LearnerService.PRODUCER_RECREATED),
          counters(scorerMeters, "prefstream.scorer.kafka.errors"));
      // Not asserted: whether an ingest stream thread dies depends on where the outage catches it (Kafka Streams
      // retries most timeouts itself: a commit that times out marks the tasks corrupted and re-creates them); in 2 of
      // 5 runs here it died (a changelog send timed out; a punctuator sent during a pending timed-out commit) and
      // was replaced. The outcome checks above hold either way.
      assertThat(learner.health().status()).as(learner.health().toString()).isEqualTo(Health.Status.UP);
      assertThat(scorer.checkpointsRefused()).isZero();
    } finally {
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception e) {
          System.out.println("closing " + c.getClass().getSimpleName() + ": " + e);
        }
      }
      broker[0].close();
    }
  }

  // ---------------------------------------------------------------------------------------------- load threads

  private record Sample(long atMs, int http, String status, String detail) {}

  /** Scores every 100 ms and reads /health every 250 ms over HTTP, recording each answer with its time. */
  private static final class Probing implements AutoCloseable {
    final ConcurrentLinkedQueue<Sample> scores = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Sample> health = new ConcurrentLinkedQueue<>();
    private final String url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    Probing(String url) {
      this.url = url;
    }

    void start() {
      threads.add(loop("probe-score", 100, this::scoreOnce));
      threads.add(loop("probe-health", 250, this::healthOnce));
    }

    private Thread loop(String name, long everyMs, Runnable body) {
      Thread t = new Thread(() -> {
        while (running.get()) {
          body.run();
          try {
            Thread.sleep(everyMs);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, name);
      t.setDaemon(true);
      t.start();
      return t;
    }

    private final AtomicLong n = new AtomicLong();

    private void scoreOnce() {
      long i = n.incrementAndGet();
      String user = "user-" + (i % USERS);
      String body = "{\"requestId\":\"r" + i + "\",\"userId\":\"" + user + "\",\"domain\":\""
          + STYLES.get((int) (i % USERS) % STYLES.size()) + "\",\"prompt\":\"Name three ways to save energy.\","
          + "\"candidates\":[\"Turn off lights.\",\"Well, as a scholar would put it: insulation, heat pumps and "
          + "behaviour.\",\"lol idk\"]}";
      long at = System.currentTimeMillis();
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/score"))
            .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode j = JSON.readTree(r.body());
        scores.add(new Sample(at, r.statusCode(), j.path("rewards").size() == 3 ? "scored" : r.body(), ""));
      } catch (Exception e) {
        scores.add(new Sample(at, -1, e.toString(), ""));
      }
    }

    private void healthOnce() {
      long at = System.currentTimeMillis();
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/health"))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonNode j = JSON.readTree(r.body());
        health.add(new Sample(at, r.statusCode(), j.path("status").asText(), j.path("detail").asText()));
      } catch (Exception e) {
        health.add(new Sample(at, -1, "unanswered", e.toString()));
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }

  /**
   * Sends events at a steady rate with an idempotent producer whose delivery timeout rides out the outage (as an app
   * would), counting acknowledgements; every {@link #INVALID_EVERY}th record is not a valid event.
   */
  private static final class Producing implements AutoCloseable {
    final AtomicLong acked = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final EventSource source;
    private final Set<String> validIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Producing(String bootstrap, String topic, EventSource source) {
      this.producer = new KafkaProducer<>(Map.of(
          "bootstrap.servers", bootstrap,
          "acks", "all",
          "enable.idempotence", true,
          "linger.ms", 5,
          "request.timeout.ms", 5_000,
          "delivery.timeout.ms", 120_000,
          "max.block.ms", 120_000,
          "reconnect.backoff.max.ms", 1_000), new ByteArraySerializer(), new ByteArraySerializer());
      this.topic = topic;
      this.source = source;
      this.thread = new Thread(this::run, "test-producer");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void run() {
      long t0 = System.nanoTime();
      long sent = 0;
      while (running.get()) {
        long due = t0 + sent * 1_000_000_000L / EVENTS_PER_SECOND;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          try {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          } catch (InterruptedException e) {
            return;
          }
        }
        sent++;
        PreferenceEvent e = source.next(System.currentTimeMillis());
        byte[] value;
        if (sent % INVALID_EVERY == 0) {
          // well-formed JSON, but no prompt and no chosen/rejected: a missing-field rejection
          value = ("{\"eventId\":\"bad-" + sent + "\",\"userId\":\"" + e.userId() + "\",\"domain\":\"" + e.domain()
              + "\"}").getBytes(StandardCharsets.UTF_8);
          invalid.incrementAndGet();
        } else {
          value = EventParser.toJson(e);
          validIds.add(e.eventId());
        }
        producer.send(new ProducerRecord<>(topic, null, e.timestampMs(), e.userId().getBytes(StandardCharsets.UTF_8),
            value), (md, error) -> (error == null ? acked : failed).incrementAndGet());
      }
    }

    void stopAndFlush(Duration timeout) throws InterruptedException {
      running.set(false);
      thread.join(timeout.toMillis());
      producer.flush();
    }

    long validSent() {
      return validIds.size();
    }

    long invalidSent() {
      return invalid.get();
    }

    Set<String> validIds() {
      return Set.copyOf(validIds);
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
      producer.close(Duration.ofSeconds(5));
    }
  }

  /** The DSP events of a style, re-labelled for {@link #USERS} users: user i has style i mod 4 as its domain. */
  private static final class EventSource {
    private final Map<String, List<PreferenceEvent>> byStyle;
    private long n;

    EventSource(Map<String, List<PreferenceEvent>> byStyle) {
      this.byStyle = byStyle;
    }

    PreferenceEvent next(long nowMs) {
      long i = n++;
      int user = (int) (i % USERS);
      String style = STYLES.get(user % STYLES.size());
      List<PreferenceEvent> pool = byStyle.get(style);
      PreferenceEvent e = pool.get((int) ((i / USERS * 7 + user * 131) % pool.size()));
      return PreferenceEvent.of("r" + i + "-" + e.eventId(), "user-" + user, style, e.prompt(), e.chosen(),
          e.rejected(), 1.0, nowMs);
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private static long servedVersion(String url, String user, String domain) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/v1/models/"
              + URLEncoder.encode(user, StandardCharsets.UTF_8) + "/" + URLEncoder.encode(domain, StandardCharsets.UTF_8)))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      JsonNode v = JSON.readTree(r.body()).path("customVersion");
      return v.isNumber() ? v.asLong() : -1;
    } catch (Exception e) {
      return -2;
    }
  }

}
