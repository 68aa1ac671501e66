package io.prefstream.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.BrokerTls;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.broker.SaslScramSecurity;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.Settings;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS settings reach every Kafka client of every service through {@code kafka.ssl.*}: ingest, learner and scorer run
 * against a SASL_SSL-only listener (self-signed certificate, trusted as PEM, as a Strimzi cluster CA would be), each
 * as its manifest user with its ACLs, configured exactly as the environment would
 * ({@code PREFSTREAM_KAFKA_SSL_TRUSTSTORE_LOCATION} and friends).
 */
class SaslSslServicesTest {
  private static final String ENCODER = "hashing-ngram-v1-d512";
  private static final Duration BOUND = Duration.ofSeconds(60);

  @Test
  void everyServiceConnectsOverSaslSslFromSettingsAlone(@TempDir Path dir) throws Exception {
    BrokerTls tls = BrokerTls.selfSigned(dir.resolve("tls"), "localhost", "store-secret");
    SaslScramSecurity security = new SaslScramSecurity("admin", "admin-secret").withTls(tls);
    Topics topics = Topics.defaults();
    Map<String, List<AclBinding>> acls = StrimziUserAcls.read(StrimziUserAcls.FILE);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
        BrokerConfig.defaults(dir.resolve("kafka")).withSecurity(security))) {
      broker.createTopics(topics(topics));
      for (String user : List.of("prefstream-ingest", "prefstream-learner", "prefstream-scorer")) {
        broker.createScramUser(user, user + "-secret");
        broker.createAcls(acls.get(user));
      }
      Map<String, String> env = new HashMap<>();
      env.put("PREFSTREAM_BOOTSTRAP_SERVERS", broker.bootstrapServers());
      env.put("PREFSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
      env.put("PREFSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
      env.put("PREFSTREAM_KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
      env.put("PREFSTREAM_KAFKA_SSL_TRUSTSTORE_LOCATION", tls.trustedCertificatePem().toString());
      try (IngestService ingest = new IngestService(IngestConfig.from(settings(env, "prefstream-ingest",
              Map.of("data.dir", dir.resolve("ingest").toString()))).withPartitions(2), new SimpleMeterRegistry());
          LearnerService learner = new LearnerService(LearnerConfig.from(settings(env, "prefstream-learner",
              Map.of("data.dir", dir.resolve("learner").toString(), "learner.encoder", ENCODER))),
              new SimpleMeterRegistry());
          ScorerService scorer = new ScorerService(ScorerConfig.from(settings(env, "prefstream-scorer",
              Map.of("data.dir", dir.toString(), "scorer.encoder", ENCODER, "scorer.http.port", "-1"))),
              new SimpleMeterRegistry())) {
        ingest.start();
        learner.start();
        scorer.start();
        assertThat(ingest.awaitRunning(BOUND)).as("ingest over SASL_SSL: " + ingest.health()).isTrue();
        assertThat(scorer.awaitBase(BOUND)).as("the learner's base reaches the scorer over SASL_SSL: "
            + learner.health() + " / " + scorer.health()).isTrue();
        assertThat(learner.health().up()).as(learner.health().detail()).isTrue();
        assertThat(scorer.health().up()).as(scorer.health().detail()).isTrue();
      }
    }
  }

  /** As a service started with these PREFSTREAM_* variables and its own JAAS line from its user's Secret. */
  private static Settings settings(Map<String, String> env, String user, Map<String, String> flags) {
    Map<String, String> withLogin = new HashMap<>(env);
    withLogin.put("PREFSTREAM_KAFKA_SASL_JAAS_CONFIG", SaslScramSecurity.jaasConfig(user, user + "-secret"));
    return Settings.load(null, withLogin, flags);
  }

  private static List<NewTopic> topics(Topics topics) {
    List<NewTopic> list = new ArrayList<>();
    Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    for (String name : topics.all()) {
      NewTopic t = new NewTopic(name, 2, (short) 1);
      list.add(name.equals(topics.models()) ? t.configs(compacted) : t);
    }
    list.add(new NewTopic(topics.prefix() + "learner-state", 2, (short) 1).configs(compacted));
    return list;
  }
}
