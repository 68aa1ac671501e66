package io.prefstream.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to run the embedded broker.
 *
 * @param logDir where the broker keeps its data; reused across restarts
 * @param host the interface to listen on and advertise
 * @param port client port; 0 picks a free one
 * @param controllerPort KRaft controller port; 0 picks a free one
 * @param defaultPartitions partitions of topics created without an explicit count
 * @param overrides extra broker properties, applied last
 * @param security null: one PLAINTEXT client listener, no authorization (tests, local mode); else SASL/SCRAM and ACLs
 */
public record BrokerConfig(
    Path logDir, String host, int port, int controllerPort, int defaultPartitions, Duration startTimeout,
    Map<String, String> overrides, SaslScramSecurity security) {

  public BrokerConfig {
    Objects.requireNonNull(logDir, "logDir");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("broker port " + port + " must be in [0, 65535]");
    }
    if (controllerPort < 0 || controllerPort > 65535) {
      throw new IllegalArgumentException("controller port " + controllerPort + " must be in [0, 65535]");
    }
    if (defaultPartitions < 1) {
      throw new IllegalArgumentException("defaultPartitions " + defaultPartitions + " must be at least 1");
    }
    overrides = Map.copyOf(overrides);
  }

  /** Unsecured (PLAINTEXT, no ACLs). */
  public BrokerConfig(Path logDir, String host, int port, int controllerPort, int defaultPartitions,
      Duration startTimeout, Map<String, String> overrides) {
    this(logDir, host, port, controllerPort, defaultPartitions, startTimeout, overrides, null);
  }

  public boolean secured() {
    return security != null;
  }

  /** Loopback, free ports, 4 partitions per topic, 60 s to start. */
  public static BrokerConfig defaults(Path logDir) {
    return new BrokerConfig(logDir, "localhost", 0, 0, 4, Duration.ofSeconds(60), Map.of());
  }

  public BrokerConfig withPort(int newPort) {
    return new BrokerConfig(logDir, host, newPort, controllerPort, defaultPartitions, startTimeout, overrides,
        security);
  }

  public BrokerConfig withOverrides(Map<String, String> newOverrides) {
    return new BrokerConfig(logDir, host, port, controllerPort, defaultPartitions, startTimeout, newOverrides,
        security);
  }

  /**
   * SASL/SCRAM-SHA-512 on the client listener, {@code StandardAuthorizer} with ACLs (no ACL, no access) and
   * {@code security.adminUser()} as the only super user. The security settings of an existing data folder are fixed
   * when it is first formatted: the admin credential is written then.
   */
  public BrokerConfig withSecurity(SaslScramSecurity newSecurity) {
    return new BrokerConfig(logDir, host, port, controllerPort, defaultPartitions, startTimeout, overrides,
        newSecurity);
  }
}
