package io.prefstream.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * TLS for the embedded broker's client listener: its certificate and key in a PKCS12 keystore, and the certificate
 * clients trust, as PEM (the form a Strimzi cluster CA secret has, {@code ca.crt}).
 *
 * @param keystore PKCS12 file with the broker's private key and certificate
 * @param password the keystore's (and key's) password
 * @param trustedCertificatePem PEM file clients use as {@code ssl.truststore.location} with {@code ssl.truststore.type=PEM}
 */
public record BrokerTls(Path keystore, String password, Path trustedCertificatePem) {

  public BrokerTls {
    Objects.requireNonNull(keystore, "keystore");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(trustedCertificatePem, "trustedCertificatePem");
  }

  /**
   * Makes a self-signed certificate for {@code host} (also valid for localhost and 127.0.0.1) with the JDK's
   * {@code keytool}, valid 30 days, in {@code dir}. For tests and local experiments only: nobody else trusts it.
   */
  public static BrokerTls selfSigned(Path dir, String host, String password) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BrokerStartException("cannot create TLS folder " + dir + ": " + e.getMessage(), e);
    }
    Path keystore = dir.resolve("broker.p12");
    Path pem = dir.resolve("broker-cert.pem");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    String san = "SAN=dns:localhost,ip:127.0.0.1" + (host.equals("localhost") || host.equals("127.0.0.1") ? ""
        : host.matches("[0-9.]+") ? ",ip:" + host : ",dns:" + host);
    run(List.of(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + host, "-ext", san, "-validity", "30", "-keystore", keystore.toString(),
        "-storetype", "PKCS12", "-storepass", password, "-keypass", password));
    run(List.of(keytool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(),
        "-storetype", "PKCS12", "-storepass", password, "-file", pem.toString()));
    return new BrokerTls(keystore, password, pem);
  }

  private static void run(List<String> command) {
    try {
      Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new BrokerStartException("keytool failed (" + command.get(1) + "): "
            + new String(out, StandardCharsets.UTF_8).strip());
      }
    } catch (IOException e) {
      throw new BrokerStartException("cannot run keytool: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while running keytool", e);
    }
  }

  /** Client settings that trust this broker's certificate (PEM truststore). */
  public Map<String, String> clientTrustConfig() {
    return Map.of("ssl.truststore.type", "PEM", "ssl.truststore.location", trustedCertificatePem.toString());
  }

  @Override
  public String toString() {
    return "BrokerTls[" + keystore + ", password=***]";
  }
}
