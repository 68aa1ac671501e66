package io.prefstream.broker;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka broker in KRaft combined mode (broker and controller in one node), running in this
 * process. It is the same server code a cluster runs ({@link KafkaRaftServer}), with its log in a directory of
 * the caller's choosing: the data survives a restart when the directory does, which is what local mode relies
 * on. Tests give it a temporary directory.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String CLIENT_LISTENER = "CLIENT";

  private final BrokerConfig config;
  private final int brokerPort;
  private final KafkaRaftServer server;
  private boolean closed;

  private EmbeddedKafkaBroker(BrokerConfig config, int brokerPort, KafkaRaftServer server) {
    this.config = config;
    this.brokerPort = brokerPort;
    this.server = server;
  }

  /**
   * Formats the log directory when it is new, starts the broker, and waits until it accepts clients.
   *
   * @throws BrokerStartException when the directory is unusable or the broker does not come up
   */
  public static EmbeddedKafkaBroker start(BrokerConfig config) {
    Path dir = config.logDir().toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BrokerStartException("cannot create broker data folder " + dir + ": " + e.getMessage(), e);
    }
    if (!Files.isWritable(dir)) {
      throw new BrokerStartException("broker data folder " + dir + " is not writable");
    }
    int brokerPort = config.port() == 0 ? freePort() : config.port();
    int controllerPort = config.controllerPort() == 0 ? freePort() : config.controllerPort();

    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@" + config.host() + ":" + controllerPort);
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    if (config.secured()) {
      putSecured(props, config.security(), config.host(), brokerPort, controllerPort);
    } else {
      props.put("listeners", "PLAINTEXT://" + config.host() + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://"
          + config.host() + ":" + controllerPort);
      props.put("advertised.listeners", "PLAINTEXT://" + config.host() + ":" + brokerPort);
      props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
      props.put("inter.broker.listener.name", "PLAINTEXT");
    }
    props.put("log.dirs", dir.toString());
    // One node: internal topics cannot be replicated, or consumer groups and transactions never start.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("num.partitions", String.valueOf(config.defaultPartitions()));
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
    props.putAll(config.overrides());

    KafkaConfig kafkaConfig = KafkaConfig.fromProps(props, false);
    formatIfNew(dir, config.security());
    KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
    long t0 = System.nanoTime();
    try {
      server.startup();
    } catch (RuntimeException e) {
      safeShutdown(server);
      throw new BrokerStartException("Kafka broker failed to start in " + dir + ": " + e.getMessage(), e);
    }
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(config, brokerPort, server);
    try {
      broker.awaitReady(config.startTimeout());
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    log.info("Kafka broker up at {} in {} ms, data in {}", broker.bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), dir);
    return broker;
  }

  /**
   * Client listener SASL_PLAINTEXT (or SASL_SSL) with SCRAM-SHA-512 (also the inter-broker listener: the node's own broker-side
   * clients authenticate as the super user), controller listener SASL_PLAINTEXT with PLAIN and a static JAAS user (the
   * same super user), {@code StandardAuthorizer}, and no access without an ACL.
   */
  private static void putSecured(Properties props, SaslScramSecurity sec, String host, int brokerPort,
      int controllerPort) {
    String scramLogin = SaslScramSecurity.jaasConfig(sec.adminUser(), sec.adminPassword());
    props.put("listeners", CLIENT_LISTENER + "://" + host + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://"
        + host + ":" + controllerPort);
    props.put("advertised.listeners", CLIENT_LISTENER + "://" + host + ":" + brokerPort);
    props.put("listener.security.protocol.map",
        CLIENT_LISTENER + ":" + sec.clientProtocol() + "," + CONTROLLER_LISTENER + ":SASL_PLAINTEXT");
    if (sec.tls() != null) {
      // The same listener settings serve clients and the broker's own inter-broker client.
      props.put("listener.name.client.ssl.keystore.type", "PKCS12");
      props.put("listener.name.client.ssl.keystore.location", sec.tls().keystore().toAbsolutePath().toString());
      props.put("listener.name.client.ssl.keystore.password", sec.tls().password());
      props.put("listener.name.client.ssl.key.password", sec.tls().password());
      props.put("listener.name.client.ssl.truststore.type", "PEM");
      props.put("listener.name.client.ssl.truststore.location",
          sec.tls().trustedCertificatePem().toAbsolutePath().toString());
    }
    props.put("inter.broker.listener.name", CLIENT_LISTENER);
    props.put("sasl.enabled.mechanisms", SaslScramSecurity.MECHANISM);
    props.put("sasl.mechanism.inter.broker.protocol", SaslScramSecurity.MECHANISM);
    props.put("listener.name.client.sasl.enabled.mechanisms", SaslScramSecurity.MECHANISM);
    props.put("listener.name.client.scram-sha-512.sasl.jaas.config", scramLogin);
    props.put("sasl.mechanism.controller.protocol", "PLAIN");
    props.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    props.put("listener.name.controller.plain.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + sec.adminUser()
            + "\" password=\"" + sec.adminPassword() + "\" user_" + sec.adminUser() + "=\"" + sec.adminPassword()
            + "\";");
    props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    props.put("super.users", "User:" + sec.adminUser());
    props.put("allow.everyone.if.no.acl.found", "false");
  }

  private static void formatIfNew(Path dir, SaslScramSecurity security) {
    if (Files.exists(dir.resolve("meta.properties"))) {
      return;
    }
    try {
      Formatter formatter = new Formatter();
      if (security != null) {
        // The super user must be able to authenticate before anyone could create it: write it into the bootstrap
        // metadata, as kafka-storage format --add-scram does.
        formatter.setScramArguments(List.of(SaslScramSecurity.MECHANISM + "=[name=" + security.adminUser()
            + ",password=" + security.adminPassword() + "]"));
      }
      formatter
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(dir.toString()))
          .setMetadataLogDirectory(dir.toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setReleaseVersion(MetadataVersion.latestProduction())
          .run();
    } catch (Exception e) {
      throw new BrokerStartException("cannot format Kafka storage in " + dir + ": " + e.getMessage(), e);
    }
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      Map<String, Object> props = adminClientConfig();
      props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
      props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
      try (Admin admin = Admin.create(props)) {
        if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      sleep(100);
    }
    throw new BrokerStartException("Kafka broker did not accept clients within " + timeout
        + (last == null ? "" : ": " + last.getMessage()), last);
  }

  /** The address clients connect to, such as {@code localhost:41234}. */
  public String bootstrapServers() {
    return config.host() + ":" + brokerPort;
  }

  /**
   * Settings for an admin client of this broker: bootstrap servers, plus the super user's SASL settings when the
   * broker is secured. A new mutable map on each call.
   */
  public Map<String, Object> adminClientConfig() {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    if (config.secured()) {
      props.putAll(config.security().adminClientConfig());
    }
    return props;
  }

  /**
   * Creates (or resets the password of) a SCRAM-SHA-512 user and waits until this broker knows it, so a client may
   * authenticate with it as soon as this returns. Secured brokers only.
   */
  public void createScramUser(String user, String password) {
    requireSecured("a SCRAM user");
    try (Admin admin = Admin.create(adminClientConfig())) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password))).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          if (!admin.describeUserScramCredentials(List.of(user)).description(user).get(5, TimeUnit.SECONDS)
              .credentialInfos().isEmpty()) {
            return;
          }
        } catch (ExecutionException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("SCRAM user " + user + " not visible 30 s after creating it");
        }
        sleep(50);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create SCRAM user " + user + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating SCRAM user " + user, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating SCRAM user " + user + " on " + bootstrapServers(), e);
    }
  }

  /**
   * Adds ACLs and waits until this broker's authorizer enforces them (ACLs travel through the metadata log, so a
   * request right after {@code createAcls} returns could otherwise still be judged without them). Secured brokers only.
   */
  public void createAcls(Collection<AclBinding> acls) {
    requireSecured("ACLs");
    try (Admin admin = Admin.create(adminClientConfig())) {
      admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!admin.describeAcls(AclBindingFilter.ANY).values().get(10, TimeUnit.SECONDS).containsAll(acls)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("ACLs not enforced 30 s after creating them: " + acls);
        }
        sleep(50);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create ACLs " + acls + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating ACLs", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating ACLs on " + bootstrapServers(), e);
    }
  }

  private void requireSecured(String what) {
    if (!config.secured()) {
      throw new IllegalStateException(what + " needs a secured broker (BrokerConfig.withSecurity); this one runs "
          + "PLAINTEXT without an authorizer");
    }
  }

  public boolean secured() {
    return config.secured();
  }

  public Path logDir() {
    return config.logDir();
  }

  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin = Admin.create(adminClientConfig())) {
      for (NewTopic topic : topics) {
        try {
          admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating topics on " + bootstrapServers(), e);
    }
  }

  /** Stops the broker and waits for it; the data folder is kept. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    safeShutdown(server);
    log.info("Kafka broker at {} stopped", bootstrapServers());
  }

  private static void safeShutdown(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.warn("error while stopping the Kafka broker", e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new BrokerStartException("no free TCP port: " + e.getMessage(), e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while waiting for the broker", e);
    }
  }
}
