package io.prefstream.broker;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
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
    props.put("listeners", "PLAINTEXT://" + config.host() + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://"
        + config.host() + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + config.host() + ":" + brokerPort);
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
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
    formatIfNew(dir);
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

  private static void formatIfNew(Path dir) {
    if (Files.exists(dir.resolve("meta.properties"))) {
      return;
    }
    try {
      new Formatter()
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
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000))) {
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

  public Path logDir() {
    return config.logDir();
  }

  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
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
