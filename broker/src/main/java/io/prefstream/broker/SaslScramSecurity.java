package io.prefstream.broker;

import java.util.Map;
import java.util.Objects;

/**
 * Runs the embedded broker secured: clients authenticate with SASL/SCRAM-SHA-512 on the client listener and every
 * request is authorized by {@code StandardAuthorizer} against ACLs (no ACL means no access). The one super user
 * ({@code adminUser}) has its SCRAM credential written into the cluster's bootstrap metadata when the log directory is
 * formatted (like {@code kafka-storage format --add-scram}), so it can authenticate from the first second and create
 * the other users and their ACLs. The controller listener uses SASL/PLAIN with the same super user (KRaft controllers
 * cannot use SCRAM: the credentials live in the metadata log they serve), so no listener accepts an anonymous
 * principal.
 *
 * @param adminUser the super user's name
 * @param adminPassword the super user's password; {@code [A-Za-z0-9._~-]{8,128}} because it is written into JAAS and
 *     format arguments unquoted
 * @param tls null: SASL_PLAINTEXT on the client listener; else SASL_SSL with this certificate
 */
public record SaslScramSecurity(String adminUser, String adminPassword, BrokerTls tls) {
  public static final String MECHANISM = "SCRAM-SHA-512";
  private static final String NAME_PATTERN = "[A-Za-z0-9._-]{1,64}";
  private static final String PASSWORD_PATTERN = "[A-Za-z0-9._~-]{8,128}";

  public SaslScramSecurity {
    Objects.requireNonNull(adminUser, "adminUser");
    Objects.requireNonNull(adminPassword, "adminPassword");
    if (!adminUser.matches(NAME_PATTERN)) {
      throw new IllegalArgumentException("admin user '" + adminUser + "' must match " + NAME_PATTERN);
    }
    if (!adminPassword.matches(PASSWORD_PATTERN)) {
      throw new IllegalArgumentException("the admin password must match " + PASSWORD_PATTERN
          + " (it has " + adminPassword.length() + " characters)");
    }
  }

  /** SASL_PLAINTEXT. */
  public SaslScramSecurity(String adminUser, String adminPassword) {
    this(adminUser, adminPassword, null);
  }

  /** SASL_SSL on the client listener with {@code newTls}'s certificate. */
  public SaslScramSecurity withTls(BrokerTls newTls) {
    return new SaslScramSecurity(adminUser, adminPassword, newTls);
  }

  /** {@code SASL_SSL} or {@code SASL_PLAINTEXT}: the client listener's protocol. */
  public String clientProtocol() {
    return tls == null ? "SASL_PLAINTEXT" : "SASL_SSL";
  }

  /**
   * Settings for a client of this broker authenticating as {@code user}: protocol, mechanism, JAAS line and, with
   * TLS, the PEM truststore.
   */
  public Map<String, String> clientConfigFor(String user, String password) {
    Map<String, String> out = new java.util.HashMap<>(clientConfig(user, password));
    out.put("security.protocol", clientProtocol());
    if (tls != null) {
      out.putAll(tls.clientTrustConfig());
    }
    return Map.copyOf(out);
  }

  /**
   * Kafka client settings to authenticate as {@code user} with SCRAM-SHA-512 over SASL_PLAINTEXT: the three keys a
   * service takes as {@code kafka.security.protocol}, {@code kafka.sasl.mechanism}, {@code kafka.sasl.jaas.config}.
   */
  public static Map<String, String> clientConfig(String user, String password) {
    return Map.of(
        "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", MECHANISM,
        "sasl.jaas.config", jaasConfig(user, password));
  }

  /** The super user's client settings (with the truststore when the broker uses TLS). */
  public Map<String, String> adminClientConfig() {
    return clientConfigFor(adminUser, adminPassword);
  }

  /** A {@code ScramLoginModule} JAAS line; quotes and backslashes in the values are escaped. */
  public static String jaasConfig(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + escape(user)
        + "\" password=\"" + escape(password) + "\";";
  }

  static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  @Override
  public String toString() {
    return "SaslScramSecurity[adminUser=" + adminUser + ", adminPassword=***, tls=" + tls + "]";
  }
}
