package io.prefstream.scorer;

import static io.prefstream.scorer.Checkpoints.base;
import static io.prefstream.scorer.Checkpoints.individual;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.model.reward.ModelCheckpoint;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.metrics.MetricsEndpoint.Health.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scorer with its broker stopped and started again: it keeps answering from the models it holds and says
 * DEGRADED (HTTP 200) within a few seconds, then UP again, and its models follower picks up where it was.
 */
class ScorerBrokerOutageTest {
  private static final List<String> CANDIDATES = List.of("a short answer", "a much longer and more careful answer");

  @Test
  void degradedWhileKafkaIsAwayThenUpAndFollowingAgain(@TempDir Path dir) throws Exception {
    Path kafkaDir = dir.resolve("kafka");
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(kafkaDir));
    String bs = broker.bootstrapServers();
    int port = Integer.parseInt(bs.substring(bs.lastIndexOf(':') + 1));
    Topics topics = new Topics("outage.");
    broker.createTopics(topics.all().stream().map(n -> new NewTopic(n, 1, (short) 1)).toList());
    publish(bs, topics, ModelKey.BASE.bytes(), base(1, "dsp"));
    publish(bs, topics, ModelKey.of("ann", "dsp").bytes(), individual("ann", "dsp", 1, 1));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ScorerConfig config = ScorerConfig.defaults(bs).withTopics(topics).withEncoder(Checkpoints.ENCODER)
        .withHttpPort(0).withKafkaRequests(true, "g-outage").withDataDir(dir.resolve("scorer"));
    try (ScorerService scorer = new ScorerService(config, meters)) {
      scorer.start();
      assertThat(scorer.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
      await(() -> scorer.health().status() == Status.UP, Duration.ofSeconds(10), "UP: " + scorer.health());
      assertThat(meters.get("prefstream.scorer.kafka.connected").gauge().value()).isEqualTo(1.0);

      long stoppedAt = System.currentTimeMillis();
      broker.close();
      await(() -> scorer.health().status() == Status.DEGRADED, Duration.ofSeconds(10),
          "DEGRADED after the broker stopped: " + scorer.health());
      long detectedMs = System.currentTimeMillis() - stoppedAt;
      assertThat(scorer.health().detail()).contains("Kafka unreachable since").contains("1 customized models");
      assertThat(meters.get("prefstream.scorer.kafka.connected").gauge().value()).isEqualTo(0.0);
      ScoreReply reply = scorer.score(new ScoreRequest("r1", "ann", "dsp", "which is better?", CANDIDATES));
      assertThat(reply.model().customized()).isTrue();
      assertThat(reply.model().customVersion()).isEqualTo(1L);
      HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + scorer.httpPort() + "/health")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"DEGRADED\"");
      System.out.println("scorer noticed the outage after " + detectedMs + " ms: " + scorer.health().detail());

      broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(kafkaDir).withPort(port));
      await(() -> scorer.health().status() == Status.UP, Duration.ofSeconds(20), "UP again: " + scorer.health());
      assertThat(meters.get("prefstream.scorer.kafka.connected").gauge().value()).isEqualTo(1.0);
      publish(bs, topics, ModelKey.of("ann", "dsp").bytes(), individual("ann", "dsp", 2, 1));
      await(() -> scorer.score(new ScoreRequest("r2", "ann", "dsp", "which is better?", CANDIDATES)).model()
          .customVersion() == 2L, Duration.ofSeconds(30), "the follower to load version 2 after the restart");
      assertThat(scorer.health().status()).isEqualTo(Status.UP);
    } finally {
      broker.close();
    }
  }

  private static void publish(String bs, Topics topics, byte[] key, ModelCheckpoint m) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bs, "acks", "all",
        "enable.idempotence", "false"), new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(topics.models(), 0, key, Checkpoints.bytes(m))).get(60, TimeUnit.SECONDS);
    }
  }

  private static void await(BooleanSupplier done, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
