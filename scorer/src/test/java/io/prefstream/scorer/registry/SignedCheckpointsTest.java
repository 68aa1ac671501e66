package io.prefstream.scorer.registry;

import static io.prefstream.scorer.Checkpoints.base;
import static io.prefstream.scorer.Checkpoints.bytes;
import static io.prefstream.scorer.Checkpoints.individual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.protocol.checkpoint.CheckpointSigner;
import io.prefstream.protocol.checkpoint.SigningKey;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import io.prefstream.scorer.Checkpoints;
import io.prefstream.scorer.KafkaFixture;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scorer configured with the checkpoint signing key, on a real embedded broker: it serves only records the key
 * signed. Forged checkpoints (valid CRC, no signature, another key, a signature of other bytes) and forged tombstones
 * are refused and counted by reason while the previous version keeps serving.
 */
class SignedCheckpointsTest {
  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final SigningKey KEY = key("k1", 1);
  private static final List<String> CANDIDATES = List.of("Short answer.", "A long, careful answer.");

  @Test
  void onlySignedCheckpointsAndTombstonesAreServedAndForgeriesAreRefusedAndCounted(@TempDir Path dir)
      throws Exception {
    CheckpointSigner signer = new CheckpointSigner(KEY);
    try (KafkaFixture kafka = new KafkaFixture(dir.resolve("kafka"))) {
      Topics topics = kafka.topics("signed.");
      for (int p = 0; p < KafkaFixture.PARTITIONS; p++) {
        kafka.send(signed(signer, topics, p, ModelKey.BASE.bytes(), bytes(base(1, "dsp"))));
      }
      kafka.send(signedFor(signer, topics, "ann", bytes(individual("ann", "dsp", 1, 1))));

      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      ScorerConfig config = ScorerConfig.defaults(kafka.bootstrap()).withTopics(topics)
          .withEncoder(Checkpoints.ENCODER).withHttpPort(-1).withKafkaRequests(false, "g-signed")
          .withDataDir(dir.resolve("scorer")).withCheckpointKeys(List.of(KEY));
      try (ScorerService scorer = new ScorerService(config, meters)) {
        scorer.start();
        assertThat(scorer.awaitCaughtUp(BOUND)).isTrue();
        assertThat(scorer.models().verifiesSignatures()).isTrue();
        assertThat(annVersion(scorer)).as("the signed checkpoint serves").isEqualTo(1L);

        // A forged checkpoint with a valid CRC and no signature.
        kafka.publishRaw(topics, "ann", "dsp", bytes(individual("ann", "dsp", 2, 1)));
        await(() -> scorer.checkpointsRefused(RefusalReason.UNSIGNED), 1, "the unsigned checkpoint is refused");

        // Signed with a key of the trusted id but another secret, with a key id nobody trusts, and a real signature
        // of other bytes (v3's signature on v4's value).
        kafka.send(signedFor(new CheckpointSigner(key("k1", 666)), topics, "ann", bytes(individual("ann", "dsp", 3, 1))));
        kafka.send(signedFor(new CheckpointSigner(key("k9", 1)), topics, "ann", bytes(individual("ann", "dsp", 3, 1))));
        ProducerRecord<byte[], byte[]> swapped = signedFor(signer, topics, "ann", bytes(individual("ann", "dsp", 3, 1)));
        ProducerRecord<byte[], byte[]> replayed = new ProducerRecord<>(swapped.topic(), swapped.partition(),
            swapped.key(), bytes(individual("ann", "dsp", 4, 1)), swapped.headers());
        kafka.send(replayed);
        await(() -> scorer.checkpointsRefused(RefusalReason.BAD_SIGNATURE), 3, "three badly signed checkpoints");

        // An unsigned tombstone must not delete ann's model; an unsigned base must not replace the base.
        kafka.publishRaw(topics, "ann", "dsp", null);
        for (int p = 0; p < KafkaFixture.PARTITIONS; p++) {
          kafka.send(new ProducerRecord<>(topics.models(), p, ModelKey.BASE.bytes(), bytes(base(9, "dsp"))));
        }
        await(() -> scorer.checkpointsRefused(RefusalReason.UNSIGNED), 2 + KafkaFixture.PARTITIONS,
            "the unsigned tombstone and bases are refused");
        assertThat(annVersion(scorer)).as("every forgery refused: v1 keeps serving").isEqualTo(1L);
        assertThat(scorer.baseVersion()).isEqualTo(1);
        assertThat(meters.get("prefstream.scorer.checkpoints.refused").tag("reason", "unsigned").functionCounter()
            .count()).isEqualTo(2 + KafkaFixture.PARTITIONS);
        assertThat(meters.get("prefstream.scorer.checkpoints.refused").tag("reason", "bad_signature")
            .functionCounter().count()).isEqualTo(3);

        // The learner's next signed checkpoint serves, and its signed tombstone deletes.
        kafka.send(signedFor(signer, topics, "ann", bytes(individual("ann", "dsp", 5, 1))));
        await(() -> annVersion(scorer) == null ? -1 : annVersion(scorer), 5, "the signed v5 serves");
        kafka.send(signedFor(signer, topics, "ann", null));
        await(() -> annVersion(scorer) == null ? 0 : -1, 0, "the signed tombstone deletes ann's model");
        assertThat(scorer.checkpointsRefused()).isEqualTo(5 + KafkaFixture.PARTITIONS);
      }
    }
  }

  @Test
  void theKeysComeFromSettingsAndABadKeyIsAConfigErrorNamingTheSetting(@TempDir Path dir) throws Exception {
    String current = Base64.getEncoder().encodeToString(secret(1));
    String previous = Base64.getEncoder().encodeToString(secret(2));
    Path file = dir.resolve("previous.key");
    java.nio.file.Files.writeString(file, previous + "\n");
    ScorerConfig config = ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "localhost:9092",
        "checkpoint.signing.key", current, "checkpoint.signing.key.id", "k2",
        "checkpoint.signing.previous.key.file", file.toString(), "checkpoint.signing.previous.key.id", "k1")));
    assertThat(config.checkpointKeys()).containsExactly(new SigningKey("k2", secret(1)), new SigningKey("k1", secret(2)));
    assertThat(config.checkpointVerifier().keyIds()).containsExactly("k2", "k1");
    assertThat(ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "x:1"))).checkpointVerifier()).isNull();

    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "x:1",
        "checkpoint.signing.key", Base64.getEncoder().encodeToString(new byte[8])))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("checkpoint.signing.key")
        .hasMessageContaining("8 bytes").hasMessageNotContaining(current);
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "x:1",
        "checkpoint.signing.previous.key", previous))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("only together with checkpoint.signing.key");
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "x:1",
        "checkpoint.signing.key", current, "checkpoint.signing.previous.key", previous))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("checkpoint.signing.previous.key.id");
  }

  private static Long annVersion(ScorerService scorer) {
    ScoreReply r = scorer.score(new ScoreRequest("r-" + System.nanoTime(), "ann", "dsp", "Which is better?",
        CANDIDATES));
    return r.model().customVersion();
  }

  private static ProducerRecord<byte[], byte[]> signedFor(CheckpointSigner signer, Topics topics, String user,
      byte[] value) {
    return signed(signer, topics, UserPartitioning.partitionFor(user, KafkaFixture.PARTITIONS),
        ModelKey.of(user, "dsp").bytes(), value);
  }

  private static ProducerRecord<byte[], byte[]> signed(CheckpointSigner signer, Topics topics, int partition,
      byte[] key, byte[] value) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topics.models(), partition, key, value);
    signer.sign(r.headers(), key, value);
    return r;
  }

  private static void await(LongSupplier probe, long expected, String what) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    long last = Long.MIN_VALUE;
    while (System.nanoTime() < deadline) {
      last = probe.getAsLong();
      if (last == expected) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("within " + BOUND + ": " + what + " (expected " + expected + ", last " + last + ")");
  }

  private static SigningKey key(String id, long seed) {
    return new SigningKey(id, secret(seed));
  }

  private static byte[] secret(long seed) {
    byte[] b = new byte[32];
    new Random(seed).nextBytes(b);
    return b;
  }
}
