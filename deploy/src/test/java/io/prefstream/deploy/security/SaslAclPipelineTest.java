package io.prefstream.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.broker.SaslScramSecurity;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.learner.refit.BaseRefitJob;
import io.prefstream.model.train.GenericRefit;
import io.prefstream.local.demo.ScorerHttpClient;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.producer.PreferenceEventProducer;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.runtime.config.Settings;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import io.prefstream.scorer.registry.LoadedIndividual;
import io.prefstream.scorer.registry.RefusalReason;
import io.prefstream.scorer.registry.ServingState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline (ingest, learner, scorer, an app publishing DSP events) on a broker that requires SASL/SCRAM and
 * enforces ACLs, each service authenticated as its own user holding exactly the ACLs of the Strimzi manifests
 * ({@code deploy/k8s/base/kafka-users.yaml}), with checkpoint signing on. Then: an authenticated intruder without
 * WRITE on {@code models} cannot publish a checkpoint there (nor can ingest, the scorer or the app), and cannot read
 * anyone's events; a checkpoint written
 * without the signing key by a principal that can write (the super user) is refused by the scorer; the scorer keeps
 * serving the learner's version throughout; a wrong password fails fast.
 */
class SaslAclPipelineTest {
  private static final Path SHARED_DATA = Path.of(System.getProperty("prefstream.data.dir", "../shared/data"));
  private static final String ENCODER = "hashing-ngram-v1-d512";
  private static final int PARTITIONS = 2;
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static final List<String> USERS = List.of("dsp-academy", "dsp-business");
  private static final String WATCHED_USER = "dsp-academy";
  private static final String WATCHED_DOMAIN = "academy";

  @Test
  void pipelineRunsWithScramAndLeastPrivilegeAclsAndNobodyElseCanServeAModel(@TempDir Path dir) throws Exception {
    SaslScramSecurity security = new SaslScramSecurity("admin", "admin-" + randomToken());
    Topics topics = Topics.defaults();
    Map<String, List<AclBinding>> manifestAcls = StrimziUserAcls.read(StrimziUserAcls.FILE);
    assertThat(manifestAcls).containsKeys("prefstream-ingest", "prefstream-learner", "prefstream-scorer",
        "prefstream-app");
    Map<String, String> passwords = new HashMap<>();
    String signingKey = Base64.getEncoder().encodeToString(randomBytes(32));

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
        BrokerConfig.defaults(dir.resolve("kafka")).withSecurity(security))) {
      // What Strimzi's topic and user operators do on a cluster: topics, SCRAM users, the manifests' ACLs.
      broker.createTopics(topics(topics));
      for (Map.Entry<String, List<AclBinding>> user : manifestAcls.entrySet()) {
        passwords.put(user.getKey(), user.getKey() + "-" + randomToken());
        broker.createScramUser(user.getKey(), passwords.get(user.getKey()));
        broker.createAcls(user.getValue());
      }
      passwords.put("intruder", "intruder-" + randomToken());
      broker.createScramUser("intruder", passwords.get("intruder"));
      // The intruder may see that models exists (DESCRIBE), nothing more.
      broker.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topics.models(),
          PatternType.LITERAL), new AccessControlEntry("User:intruder", "*", AclOperation.DESCRIBE,
          AclPermissionType.ALLOW))));

      Settings common = Settings.of(Map.of(
          "bootstrap.servers", broker.bootstrapServers(),
          "topic.prefix", topics.prefix(),
          "kafka.security.protocol", "SASL_PLAINTEXT",
          "kafka.sasl.mechanism", "SCRAM-SHA-512",
          "checkpoint.signing.key", signingKey,
          "checkpoint.signing.key.id", "test-1"));
      try (IngestService ingest = new IngestService(IngestConfig.from(
              as(common, "prefstream-ingest", passwords).with("data.dir", dir.resolve("ingest").toString()))
              .withPartitions(PARTITIONS), new SimpleMeterRegistry());
          LearnerService learner = new LearnerService(LearnerConfig.from(
              as(common, "prefstream-learner", passwords).with("data.dir", dir.resolve("learner").toString())
                  .with("learner.encoder", ENCODER).with("learner.gate.enabled", "false")),
              new SimpleMeterRegistry());
          ScorerService scorer = new ScorerService(ScorerConfig.from(
              as(common, "prefstream-scorer", passwords).with("data.dir", dir.toString())
                  .with("scorer.encoder", ENCODER).with("scorer.http.port", "0").with("scorer.http.host", "localhost")),
              new SimpleMeterRegistry());
          PreferenceEventProducer app = new PreferenceEventProducer(
              client(broker, "prefstream-app", passwords.get("prefstream-app")), topics)) {
        ingest.start();
        assertThat(ingest.awaitRunning(BOUND)).as("ingest runs as prefstream-ingest: " + ingest.health()).isTrue();
        learner.start();
        scorer.start();
        assertThat(scorer.awaitBase(BOUND)).as("the scorer loads the learner's signed base: " + scorer.health())
            .isTrue();
        assertThat(scorer.models().verifiesSignatures()).isTrue();

        List<PreferenceEvent> events = dspEvents(40);
        for (PreferenceEvent e : events) {
          app.send(e);
        }
        app.flush();
        awaitTrue(() -> served(scorer) != null, "a customized model of " + WATCHED_USER + " is served; learner "
            + learner.health() + ", ingest " + ingest.health() + ", scorer " + scorer.health());

        ScorerHttpClient http = new ScorerHttpClient("http://localhost:" + scorer.httpPort());
        ScoreReply reply = http.score(request("before"));
        assertThat(reply.model().customized()).as("served over HTTP by the customized model").isTrue();
        long learnerVersion = reply.model().customVersion();
        assertThat(scorer.checkpointsRefused()).as("the learner's signed checkpoints are all accepted").isZero();

        // 1. The intruder is authenticated but has no WRITE on models: the broker refuses the record.
        long forgedByIntruder = learnerVersion + 1_000;
        byte[] intruderBytes = forged(scorer, forgedByIntruder);
        int partition = UserPartitioning.partitionFor(WATCHED_USER, PARTITIONS);
        try (KafkaProducer<byte[], byte[]> intruder = producer(broker, "intruder", passwords.get("intruder"))) {
          assertThatThrownBy(() -> intruder.send(new ProducerRecord<>(topics.models(), partition,
              ModelKey.of(WATCHED_USER, WATCHED_DOMAIN).bytes(), intruderBytes)).get(30, TimeUnit.SECONDS))
              .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        // Neither can any service but the learner, nor the app: their users hold no WRITE on models either.
        for (String user : List.of("prefstream-ingest", "prefstream-scorer", "prefstream-app")) {
          try (KafkaProducer<byte[], byte[]> other = producer(broker, user, passwords.get(user))) {
            assertThatThrownBy(() -> other.send(new ProducerRecord<>(topics.models(), partition,
                ModelKey.of(WATCHED_USER, WATCHED_DOMAIN).bytes(), intruderBytes)).get(30, TimeUnit.SECONDS))
                .as(user + " writing models").isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TopicAuthorizationException.class);
          }
        }
        // ... nor read what users taught the system.
        try (KafkaConsumer<byte[], byte[]> snoop = consumer(broker, "intruder", passwords.get("intruder"))) {
          snoop.assign(List.of(new TopicPartition(topics.events(), 0)));
          assertThatThrownBy(() -> snoop.poll(Duration.ofSeconds(10)))
              .isInstanceOf(TopicAuthorizationException.class);
        }

        // 2. A principal that can write to models but does not hold the signing key (here the super user) gets its
        //    record onto the topic, and the scorer refuses it.
        long forgedByAdmin = learnerVersion + 2_000;
        byte[] adminBytes = forged(scorer, forgedByAdmin);
        try (KafkaProducer<byte[], byte[]> admin = producer(broker, security.adminUser(), security.adminPassword())) {
          admin.send(new ProducerRecord<>(topics.models(), partition, ModelKey.of(WATCHED_USER, WATCHED_DOMAIN).bytes(),
              adminBytes)).get(30, TimeUnit.SECONDS);
        }
        awaitTrue(() -> scorer.checkpointsRefused(RefusalReason.UNSIGNED) == 1, "the unsigned checkpoint is refused");

        ScoreReply after = http.score(request("after"));
        assertThat(after.model().customized()).isTrue();
        assertThat(after.model().customVersion()).as("still the learner's model").isGreaterThanOrEqualTo(learnerVersion)
            .isLessThan(forgedByIntruder);
        List<byte[]> onTopic = readAll(broker, security, topics.models());
        assertThat(onTopic).as("the intruder's record never reached the topic")
            .noneMatch(v -> Arrays.equals(v, intruderBytes));
        assertThat(onTopic).as("the super user's unsigned record did, and was refused")
            .anyMatch(v -> Arrays.equals(v, adminBytes));

        // 3. A wrong password is an authentication error, quickly, not a hang.
        long t0 = System.nanoTime();
        try (Admin wrong = Admin.create(client(broker, "prefstream-app", "not-the-password"))) {
          assertThatThrownBy(() -> wrong.describeCluster().nodes().get(30, TimeUnit.SECONDS))
              .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));

        // 4. The refit CronJob runs as the learner's user (its transactional id is in the manifest's ACLs), skips the
        //    unsigned record, signs the new base, and the scorer and the learner both take it.
        BaseRefitJob.Report refit = new BaseRefitJob(LearnerConfig.from(as(common, "prefstream-learner", passwords)
            .with("data.dir", dir.resolve("refit").toString()).with("learner.encoder", ENCODER)),
            new GenericRefit.Config(1, 1, 4), BaseRefitJob.DEFAULT_MAX_RECORD_BYTES, BOUND).run(true);
        assertThat(refit.published()).isTrue();
        assertThat(refit.unreadable()).as("the super user's unsigned record is not counted").isEqualTo(1);
        awaitTrue(() -> scorer.baseVersion() == refit.base().version() && learner.baseVersion() == refit.base().version(),
            "the scorer and the learner take the signed base v" + refit.base().version());
        assertThat(scorer.checkpointsRefused()).as("only the forged record was refused").isEqualTo(1);

        assertThat(ingest.health().up()).as("ingest " + ingest.health()).isTrue();
        assertThat(learner.health().up()).as("learner " + learner.health()).isTrue();
        assertThat(scorer.health().up()).as("scorer " + scorer.health()).isTrue();
      }
    }
  }

  /** Each service's settings: the common ones plus its own SCRAM login, as PREFSTREAM_KAFKA_SASL_JAAS_CONFIG sets. */
  private static Settings as(Settings common, String user, Map<String, String> passwords) {
    return common.with("kafka.sasl.jaas.config", SaslScramSecurity.jaasConfig(user, passwords.get(user)));
  }

  private static Map<String, Object> client(EmbeddedKafkaBroker broker, String user, String password) {
    Map<String, Object> props = new HashMap<>(SaslScramSecurity.clientConfig(user, password));
    props.put("bootstrap.servers", broker.bootstrapServers());
    return props;
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker broker, String user, String password) {
    Map<String, Object> props = client(broker, user, password);
    props.put("enable.idempotence", "false");
    props.put("acks", "all");
    props.put("max.block.ms", "20000");
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafkaBroker broker, String user, String password) {
    Map<String, Object> props = client(broker, user, password);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.put("isolation.level", "read_committed");
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static List<byte[]> readAll(EmbeddedKafkaBroker broker, SaslScramSecurity security, String topic) {
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer(broker, security.adminUser(), security.adminPassword())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      long deadline = System.nanoTime() + BOUND.toNanos();
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }

  /** A well-formed checkpoint (valid CRC) for the watched user with absurd weights: what an attacker would serve. */
  private static byte[] forged(ScorerService scorer, long version) {
    float[] w = new float[scorer.models().featureDim()];
    Arrays.fill(w, 50f);
    long now = System.currentTimeMillis();
    return CheckpointCodec.encode(new IndividualModel(WATCHED_USER, WATCHED_DOMAIN, version, scorer.baseVersion(), w,
        1, 1, now, now));
  }

  private static LoadedIndividual served(ScorerService scorer) {
    ServingState s = scorer.models().current();
    return s == null ? null : s.individual(WATCHED_USER, WATCHED_DOMAIN);
  }

  private static ScoreRequest request(String id) {
    return new ScoreRequest(id, WATCHED_USER, WATCHED_DOMAIN, "Name three methods to reduce greenhouse gas emissions.",
        List.of("Solar, wind and efficiency.", "I would rather not say."));
  }

  private static List<NewTopic> topics(Topics topics) {
    List<NewTopic> list = new ArrayList<>();
    Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    for (String name : topics.all()) {
      NewTopic t = new NewTopic(name, PARTITIONS, (short) 1);
      list.add(name.equals(topics.models()) ? t.configs(compacted) : t);
    }
    list.add(new NewTopic(topics.prefix() + "learner-state", PARTITIONS, (short) 1).configs(compacted));
    return list;
  }

  /** The first {@code perUser} DSP events of each of {@link #USERS}, in file order. */
  private static List<PreferenceEvent> dspEvents(int perUser) throws Exception {
    List<String> lines = Files.readAllLines(SHARED_DATA.resolve("dsp/dsp-dev.events.jsonl"), StandardCharsets.UTF_8);
    Map<String, Integer> taken = new HashMap<>();
    List<PreferenceEvent> out = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (String line : lines) {
      if (EventParser.parse(line.getBytes(StandardCharsets.UTF_8), now) instanceof ParseResult.Valid v
          && USERS.contains(v.event().userId()) && taken.merge(v.event().userId(), 1, Integer::sum) <= perUser) {
        out.add(v.event());
      }
    }
    assertThat(out).hasSize(perUser * USERS.size());
    return out;
  }

  private static void awaitTrue(BooleanSupplier probe, String what) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      if (probe.getAsBoolean()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("within " + BOUND + ": " + what);
  }

  private static String randomToken() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(12));
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }
}
