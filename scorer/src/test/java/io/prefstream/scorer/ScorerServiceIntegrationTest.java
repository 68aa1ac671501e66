package io.prefstream.scorer;

import static io.prefstream.scorer.Checkpoints.base;
import static io.prefstream.scorer.Checkpoints.individual;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.RewardModel;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.topic.DeadLetterHeaders;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.scorer.registry.RefusalReason;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scorer service on a real embedded KRaft broker: checkpoints in, scores out over HTTP and Kafka. */
class ScorerServiceIntegrationTest {
  private static final Duration BOUND = Duration.ofSeconds(15);
  private static final List<String> CANDIDATES = List.of("Short answer.", "A long, careful, friendly answer.",
      "No.", "Here are three bullet points: a, b, c.");
  private static final String PROMPT = "How should I store fresh herbs?";

  @TempDir
  static Path dir;
  static KafkaFixture kafka;
  static TextEncoder encoder;
  static PairFeaturizer featurizer;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void broker() {
    kafka = new KafkaFixture(dir.resolve("kafka"));
    encoder = Encoders.open(Checkpoints.ENCODER);
    featurizer = new PairFeaturizer(encoder);
  }

  @AfterAll
  static void stop() {
    kafka.close();
    encoder.close();
  }

  private static ScorerService start(Topics topics, String group) {
    ScorerConfig config = ScorerConfig.defaults(kafka.bootstrap()).withTopics(topics).withEncoder(Checkpoints.ENCODER)
        .withHttpPort(0).withKafkaRequests(true, group).withDataDir(dir.resolve(group));
    ScorerService service = new ScorerService(config, new SimpleMeterRegistry());
    service.start();
    return service;
  }

  private ScoreReply httpScore(ScorerService s, String requestId, String user, String domain) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://localhost:" + s.httpPort() + "/v1/score"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ScoreRequestParser.encode(
            new ScoreRequest(requestId, user, domain, PROMPT, CANDIDATES)))).build();
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new AssertionError("HTTP " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
    }
    return ScoreRequestParser.decodeReply(r.body());
  }

  private static List<Double> expected(BaseModel base, String domain, IndividualModel individual) {
    RewardModel m = RewardModel.of(base, domain, individual);
    List<Double> out = new ArrayList<>();
    for (String c : CANDIDATES) {
      out.add((double) m.reward(featurizer.features(PROMPT, c)));
    }
    return out;
  }

  private static <T> T await(Supplier<T> probe, java.util.function.Predicate<T> done, String what) throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      last = probe.get();
      if (last != null && done.test(last)) {
        return last;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("within " + BOUND + ": " + what + "; last seen " + last);
  }

  private Supplier<ScoreReply> scoring(ScorerService s, String user, String domain) {
    AtomicInteger n = new AtomicInteger();
    return () -> {
      try {
        return httpScore(s, "probe-" + n.incrementAndGet(), user, domain);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  @Test
  void aNewerCheckpointIsServedWithinABoundedTimeAndACorruptOneIsRefused() throws Exception {
    Topics topics = kafka.topics("swap.");
    try (ScorerService scorer = start(topics, "g-swap")) {
      assertThat(scorer.health().up()).isFalse();
      kafka.publish(topics, base(1, "dsp"));
      kafka.publish(topics, individual("ann", "dsp", 1, 1));
      assertThat(scorer.awaitBase(BOUND)).isTrue();
      ScoreReply first = await(scoring(scorer, "ann", "dsp"), r -> Long.valueOf(1).equals(r.model().customVersion()),
          "ann's v1 serves");
      assertThat(first.model()).isEqualTo(new ScoreReply.ModelVersion(1, true, 1L));
      assertThat(first.rewards()).isEqualTo(expected(base(1, "dsp"), "dsp", individual("ann", "dsp", 1, 1)));
      assertThat(scorer.health().up()).isTrue();

      long t0 = System.nanoTime();
      kafka.publish(topics, individual("ann", "dsp", 2, 1));
      ScoreReply second = await(scoring(scorer, "ann", "dsp"), r -> Long.valueOf(2).equals(r.model().customVersion()),
          "ann's v2 serves");
      long swapMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(second.rewards()).isNotEqualTo(first.rewards())
          .isEqualTo(expected(base(1, "dsp"), "dsp", individual("ann", "dsp", 2, 1)));
      System.out.println("publish -> first reply on the new version: " + swapMs + " ms");

      // Corrupt v3: refused, counted, and v2 keeps serving.
      byte[] corrupt = Checkpoints.bytes(individual("ann", "dsp", 3, 1));
      corrupt[corrupt.length - 10] ^= 0x33;
      kafka.publishRaw(topics, "ann", "dsp", corrupt);
      await(scorer::checkpointsRefused, n -> n >= 1, "the corrupt checkpoint is refused");
      assertThat(scorer.checkpointsRefused(RefusalReason.CORRUPT)).isEqualTo(1);
      assertThat(httpScore(scorer, "after-corrupt", "ann", "dsp").model().customVersion()).isEqualTo(2L);

      // A base of another encoder is refused too; base 1 keeps serving.
      kafka.publish(topics, base(5, "hashing-ngram-v1-d32", 64));
      await(() -> scorer.checkpointsRefused(RefusalReason.ENCODER_MISMATCH), n -> n >= 1, "wrong encoder refused");
      assertThat(httpScore(scorer, "after-wrong-base", "ann", "dsp").model()).isEqualTo(
          new ScoreReply.ModelVersion(1, true, 2L));

      // Unknown user: the generic model, and the reply says so.
      ScoreReply cold = httpScore(scorer, "cold", "nobody", "dsp");
      assertThat(cold.model()).isEqualTo(new ScoreReply.ModelVersion(1, false, null));
      assertThat(cold.rewards()).isEqualTo(expected(base(1, "dsp"), "dsp", null));
    }
  }

  @Test
  void answersScoreRequestsOnKafkaAndDeadLettersMalformedOnes() throws Exception {
    Topics topics = kafka.topics("kreq.");
    kafka.publish(topics, base(1, "dsp"));
    kafka.publish(topics, individual("bea", "dsp", 4, 1));
    try (ScorerService scorer = start(topics, "g-kreq");
        KafkaConsumer<byte[], byte[]> replies = consumer(topics.scores());
        KafkaConsumer<byte[], byte[]> dlq = consumer(topics.scoreRequestsDlq())) {
      assertThat(scorer.awaitCaughtUp(BOUND)).isTrue();
      kafka.send(new ProducerRecord<>(topics.scoreRequests(), "bea".getBytes(StandardCharsets.UTF_8),
          ScoreRequestParser.encode(new ScoreRequest("k1", "bea", "dsp", PROMPT, CANDIDATES))));
      byte[] malformed = "{\"requestId\":\"k2\",\"userId\":\"bea\"}".getBytes(StandardCharsets.UTF_8);
      kafka.send(new ProducerRecord<>(topics.scoreRequests(), "bea".getBytes(StandardCharsets.UTF_8), malformed));
      kafka.send(new ProducerRecord<>(topics.scoreRequests(), null, "garbage".getBytes(StandardCharsets.UTF_8)));

      Map<String, ScoreReply> got = new HashMap<>();
      List<ScoreReply> anonymous = new ArrayList<>();
      long deadline = System.nanoTime() + BOUND.toNanos() * 2;
      while ((got.size() < 2 || anonymous.isEmpty()) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : replies.poll(Duration.ofMillis(200))) {
          ScoreReply reply = ScoreRequestParser.decodeReply(r.value());
          if (reply.requestId() == null) {
            anonymous.add(reply);
          } else {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(reply.requestId());
            got.put(reply.requestId(), reply);
          }
        }
      }
      assertThat(got.get("k1").model()).isEqualTo(new ScoreReply.ModelVersion(1, true, 4L));
      assertThat(got.get("k1").rewards()).isEqualTo(expected(base(1, "dsp"), "dsp", individual("bea", "dsp", 4, 1)));
      assertThat(got.get("k2").error().code()).isEqualTo("missing_field");
      assertThat(anonymous).singleElement().satisfies(r -> assertThat(r.error().code()).isEqualTo("not_json"));

      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      deadline = System.nanoTime() + BOUND.toNanos();
      while (dead.size() < 2 && System.nanoTime() < deadline) {
        dlq.poll(Duration.ofMillis(200)).forEach(dead::add);
      }
      assertThat(dead).hasSize(2);
      // The two came from different partitions, so their order on the DLQ is not defined.
      ConsumerRecord<byte[], byte[]> missing = dead.stream().filter(r -> java.util.Arrays.equals(r.value(), malformed))
          .findFirst().orElseThrow();
      assertThat(new String(missing.headers().lastHeader(DeadLetterHeaders.REASON).value(),
          StandardCharsets.UTF_8)).isEqualTo("missing_field");
      assertThat(new String(missing.headers().lastHeader(DeadLetterHeaders.SOURCE_TOPIC).value(),
          StandardCharsets.UTF_8)).isEqualTo(topics.scoreRequests());
      assertThat(dead).anySatisfy(r -> assertThat(new String(r.headers().lastHeader(DeadLetterHeaders.REASON).value(),
          StandardCharsets.UTF_8)).isEqualTo("not_json"));
      assertThat(scorer.health().up()).isTrue();
    }
  }

  @Test
  void twentyHotSwapsUnderSteadyLoadNeverFailOrMixVersions() throws Exception {
    Topics topics = kafka.topics("hot.");
    Map<Long, BaseModel> bases = new HashMap<>();
    Map<Long, IndividualModel> anns = new HashMap<>();
    bases.put(1L, base(1, "dsp"));
    anns.put(1L, individual("ann", "dsp", 1, 1));
    kafka.publish(topics, bases.get(1L));
    kafka.publish(topics, anns.get(1L));
    try (ScorerService scorer = start(topics, "g-hot")) {
      assertThat(scorer.awaitCaughtUp(BOUND)).isTrue();
      await(() -> scorer.modelsLoaded(), n -> n == 1, "ann loaded");
      long swapsBefore = scorer.swaps();

      ConcurrentLinkedQueue<ScoreReply> replies = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicBoolean loading = new AtomicBoolean(true);
      ExecutorService clients = Executors.newFixedThreadPool(3);
      for (int c = 0; c < 3; c++) {
        int client = c;
        clients.submit(() -> {
          int i = 0;
          while (loading.get()) {
            try {
              replies.add(httpScore(scorer, "c" + client + "-" + i++, "ann", "dsp"));
            } catch (Throwable e) {
              failures.add(e.toString());
            }
          }
        });
      }
      // 20 swaps: ann's model 16 times, the base 4 times (each new base comes with ann's model built on it).
      long annVersion = 1;
      long baseVersion = 1;
      for (int swap = 0; swap < 20; swap++) {
        // Pace swaps by replies, not by time: at least 10 replies between two swaps however slow the machine is.
        int target = (swap + 1) * 10;
        await(replies::size, n -> n >= target, target + " replies before swap " + swap);
        if (swap % 5 == 4) {
          baseVersion++;
          annVersion++;
          bases.put(baseVersion, base(baseVersion, "dsp"));
          anns.put(annVersion, individual("ann", "dsp", annVersion, baseVersion));
          kafka.publish(topics, anns.get(annVersion)); // arrives first: waits for its base
          kafka.publish(topics, bases.get(baseVersion));
        } else {
          annVersion++;
          anns.put(annVersion, individual("ann", "dsp", annVersion, baseVersion));
          kafka.publish(topics, anns.get(annVersion));
        }
      }
      long finalAnn = annVersion;
      await(scoring(scorer, "ann", "dsp"), r -> Long.valueOf(finalAnn).equals(r.model().customVersion()),
          "the last version serves");
      Thread.sleep(100);
      loading.set(false);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

      assertThat(failures).isEmpty();
      assertThat(scorer.swaps() - swapsBefore).isGreaterThanOrEqualTo(20);
      Set<ScoreReply.ModelVersion> seen = new HashSet<>();
      Map<ScoreReply.ModelVersion, List<Double>> expectedByVersion = new HashMap<>();
      for (ScoreReply r : replies) {
        ScoreReply.ModelVersion v = r.model();
        seen.add(v);
        IndividualModel ind = anns.get(v.customVersion());
        // Each customized model is only ever served on its own base or a newer one, never an older one.
        assertThat(v.baseVersion()).isGreaterThanOrEqualTo(ind.baseVersion());
        List<Double> want = expectedByVersion.computeIfAbsent(v,
            k -> expected(bases.get(k.baseVersion()), "dsp", anns.get(k.customVersion())));
        assertThat(r.rewards()).as("reply %s on %s", r.requestId(), v).isEqualTo(want);
      }
      System.out.println(replies.size() + " replies during 20 swaps, " + seen.size() + " distinct versions");
      assertThat(replies.size()).isGreaterThanOrEqualTo(200);
      assertThat(seen.size()).isGreaterThanOrEqualTo(5);
    }
  }

  @Test
  void aRestartedScorerRebuildsEveryModelFromTheTopicAndAnswersIdentically() throws Exception {
    Topics topics = kafka.topics("restart.");
    kafka.publish(topics, base(1, "dsp", "chat"));
    kafka.publish(topics, base(2, "dsp", "chat"));
    List<String> users = new ArrayList<>();
    for (int u = 0; u < 12; u++) {
      String user = "user-" + u;
      users.add(user);
      for (long v = 1; v <= 3; v++) {
        kafka.publish(topics, individual(user, u % 2 == 0 ? "dsp" : "chat", v, v < 3 ? 1 : 2));
      }
    }
    kafka.publish(topics, individual("user-0", "chat", 1, 2));
    kafka.publishRaw(topics, "user-0", "chat", null); // forgotten
    Map<String, ScoreReply> before = new HashMap<>();
    try (ScorerService first = start(topics, "g-restart-1")) {
      assertThat(first.awaitCaughtUp(BOUND)).isTrue();
      assertThat(first.modelsLoaded()).isEqualTo(12);
      for (String u : users) {
        for (String d : List.of("dsp", "chat")) {
          before.put(u + "/" + d, httpScore(first, "r", u, d));
        }
      }
    }
    ScorerService second = start(topics, "g-restart-2");
    try {
      assertThat(second.awaitCaughtUp(BOUND)).isTrue();
      assertThat(second.modelsLoaded()).isEqualTo(12);
      for (String u : users) {
        for (String d : List.of("dsp", "chat")) {
          assertThat(httpScore(second, "r", u, d)).isEqualTo(before.get(u + "/" + d));
        }
      }
    } finally {
      long t0 = System.nanoTime();
      second.close();
      second.close(); // idempotent
      // Bounded: a loose limit (the configured close timeout), not a performance assertion.
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
      assertThat(second.health().up()).isFalse();
    }
    assertThat(before.get("user-1/chat").model()).isEqualTo(new ScoreReply.ModelVersion(2, true, 3L));
    assertThat(before.get("user-0/chat").model().customized()).isFalse();
  }

  @Test
  void aPartitionedScorerHoldsOnlyItsUsersAndSendsOthersAway() throws Exception {
    Topics topics = kafka.topics("part.");
    kafka.publish(topics, base(1, "dsp"));
    Set<Integer> owned = Set.of(1, 3);
    int mine = 0;
    String foreign = null;
    String local = null;
    for (int u = 0; u < 40; u++) {
      String user = "p-" + u;
      kafka.publish(topics, individual(user, "dsp", 1, 1));
      if (owned.contains(UserPartitioning.partitionFor(user, KafkaFixture.PARTITIONS))) {
        mine++;
        local = user;
      } else {
        foreign = user;
      }
    }
    ScorerConfig config = ScorerConfig.defaults(kafka.bootstrap()).withTopics(topics)
        .withEncoder(Checkpoints.ENCODER).withHttpPort(0).withKafkaRequests(true, "g-part")
        .withPartitionedView(owned);
    try (ScorerService scorer = new ScorerService(config, new SimpleMeterRegistry());
        KafkaConsumer<byte[], byte[]> replies = consumer(topics.scores())) {
      scorer.start();
      assertThat(scorer.awaitCaughtUp(BOUND)).isTrue();
      assertThat(scorer.modelsLoaded()).isEqualTo(mine);
      assertThat(httpScore(scorer, "l", local, "dsp").model().customized()).isTrue();

      // Kafka: requests on its partitions are answered; those on other partitions are another instance's.
      kafka.send(new ProducerRecord<>(topics.scoreRequests(), UserPartitioning.partitionFor(local, KafkaFixture.PARTITIONS),
          local.getBytes(StandardCharsets.UTF_8),
          ScoreRequestParser.encode(new ScoreRequest("mine", local, "dsp", PROMPT, CANDIDATES))));
      kafka.send(new ProducerRecord<>(topics.scoreRequests(),
          UserPartitioning.partitionFor(foreign, KafkaFixture.PARTITIONS), foreign.getBytes(StandardCharsets.UTF_8),
          ScoreRequestParser.encode(new ScoreRequest("theirs", foreign, "dsp", PROMPT, CANDIDATES))));
      List<ScoreReply> got = new ArrayList<>();
      long deadline = System.nanoTime() + BOUND.toNanos();
      while (got.isEmpty() && System.nanoTime() < deadline) {
        replies.poll(Duration.ofMillis(200)).forEach(r -> got.add(ScoreRequestParser.decodeReply(r.value())));
      }
      replies.poll(Duration.ofMillis(1000)).forEach(r -> got.add(ScoreRequestParser.decodeReply(r.value())));
      assertThat(got).singleElement().satisfies(r -> {
        assertThat(r.requestId()).isEqualTo("mine");
        assertThat(r.model().customized()).isTrue();
      });
      HttpResponse<String> away = http.send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + scorer.httpPort() + "/v1/models/" + foreign + "/dsp")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(away.statusCode()).isEqualTo(421);
      assertThat(away.body()).contains("not_owned");
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String topic) {
    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrap(),
        "group.id", "reader-" + topic, "auto.offset.reset", "earliest"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }
}
