package io.prefstream.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecuredBrokerTest {

  @Test
  void scramUsersGetOnlyWhatTheirAclsAllowAndABadPasswordFailsFast(@TempDir Path dir) throws Exception {
    SaslScramSecurity security = new SaslScramSecurity("admin", "admin-secret");
    BrokerConfig config = BrokerConfig.defaults(dir.resolve("kafka")).withSecurity(security);
    int port;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config)) {
      port = Integer.parseInt(broker.bootstrapServers().split(":")[1]);
      broker.createTopics(List.of(new NewTopic("allowed", 1, (short) 1), new NewTopic("forbidden", 1, (short) 1)));
      broker.createScramUser("alice", "alice-secret");
      broker.createAcls(List.of(
          allow("alice", ResourceType.TOPIC, "allowed", AclOperation.WRITE),
          allow("alice", ResourceType.TOPIC, "forbidden", AclOperation.DESCRIBE)));

      try (KafkaProducer<String, String> alice = producer(broker, "alice", "alice-secret")) {
        alice.send(new ProducerRecord<>("allowed", "k", "v")).get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> alice.send(new ProducerRecord<>("forbidden", "k", "v")).get(30, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
      }

      long t0 = System.nanoTime();
      Map<String, Object> wrong = new HashMap<>(SaslScramSecurity.clientConfig("alice", "not-her-password"));
      wrong.put("bootstrap.servers", broker.bootstrapServers());
      try (Admin admin = Admin.create(wrong)) {
        assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("a wrong password fails, it does not hang")
          .isLessThan(Duration.ofSeconds(20));
    }
    // The super user's credential and alice's ACLs live in the metadata log: a restart keeps them.
    try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(config.withPort(port));
        KafkaProducer<String, String> alice = producer(again, "alice", "alice-secret")) {
      alice.send(new ProducerRecord<>("allowed", "k", "v2")).get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void saslSslEncryptsTheClientListenerAndAClientThatDoesNotTrustTheCertificateFailsFast(@TempDir Path dir)
      throws Exception {
    BrokerTls tls = BrokerTls.selfSigned(dir.resolve("tls"), "localhost", "store-secret");
    SaslScramSecurity security = new SaslScramSecurity("admin", "admin-secret").withTls(tls);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
        BrokerConfig.defaults(dir.resolve("kafka")).withSecurity(security))) {
      assertThat(security.adminClientConfig()).containsEntry("security.protocol", "SASL_SSL");
      broker.createTopics(List.of(new NewTopic("secret", 1, (short) 1)));
      broker.createScramUser("alice", "alice-secret");
      broker.createAcls(List.of(allow("alice", ResourceType.TOPIC, "secret", AclOperation.WRITE)));
      Map<String, Object> props = new HashMap<>(security.clientConfigFor("alice", "alice-secret"));
      props.put("bootstrap.servers", broker.bootstrapServers());
      props.put("enable.idempotence", "false");
      props.put("max.block.ms", "20000");
      try (KafkaProducer<String, String> alice = new KafkaProducer<>(props, new StringSerializer(),
          new StringSerializer())) {
        alice.send(new ProducerRecord<>("secret", "k", "v")).get(30, TimeUnit.SECONDS);
      }

      Map<String, Object> untrusting = new HashMap<>(SaslScramSecurity.clientConfig("alice", "alice-secret"));
      untrusting.put("security.protocol", "SASL_SSL"); // the JDK's default trust store: the self-signed cert fails
      untrusting.put("bootstrap.servers", broker.bootstrapServers());
      long t0 = System.nanoTime();
      try (Admin admin = Admin.create(untrusting)) {
        assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SslAuthenticationException.class);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }
  }

  private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker broker, String user, String password) {
    Map<String, Object> props = new HashMap<>(SaslScramSecurity.clientConfig(user, password));
    props.put("bootstrap.servers", broker.bootstrapServers());
    props.put("enable.idempotence", "false");
    props.put("max.block.ms", "20000");
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private static AclBinding allow(String user, ResourceType type, String name, AclOperation op) {
    return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
        new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW));
  }
}
