package io.prefstream.protocol.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A named HMAC-SHA256 key for checkpoint signatures. The id travels with every signature (header
 * {@value CheckpointSignatures#KEY_ID_HEADER}), so a verifier can hold the new and the previous key while keys rotate.
 *
 * <p>From configuration ({@link #fromConfig}), under a prefix such as {@code checkpoint.signing.}: {@code key} (the
 * key in base64, at least 32 bytes: {@code openssl rand -base64 32}) or {@code key.file} (a file holding that base64
 * text, e.g. a mounted Kubernetes secret), and {@code key.id} (default {@value #DEFAULT_ID}).
 */
public final class SigningKey {
  public static final int MIN_BYTES = 32;
  public static final String DEFAULT_ID = "k1";
  private static final String ID_PATTERN = "[A-Za-z0-9._-]{1,64}";

  private final String id;
  private final byte[] secret;

  public SigningKey(String id, byte[] secret) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(secret, "secret");
    if (!id.matches(ID_PATTERN)) {
      throw new IllegalArgumentException("signing key id '" + id + "' must match " + ID_PATTERN);
    }
    if (secret.length < MIN_BYTES) {
      throw new IllegalArgumentException("signing key '" + id + "' has " + secret.length + " bytes; at least "
          + MIN_BYTES + " are needed (make one with: openssl rand -base64 32)");
    }
    this.id = id;
    this.secret = secret.clone();
  }

  /** Decodes a base64 key (standard or URL-safe alphabet, surrounding whitespace ignored). */
  public static SigningKey fromBase64(String id, String base64) {
    Objects.requireNonNull(base64, "base64");
    String text = base64.strip();
    byte[] bytes;
    try {
      bytes = text.indexOf('-') >= 0 || text.indexOf('_') >= 0
          ? Base64.getUrlDecoder().decode(text) : Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("signing key '" + id + "' is not valid base64 (" + e.getMessage()
          + "); make one with: openssl rand -base64 32", e);
    }
    return new SigningKey(id, bytes);
  }

  /** Reads a file holding the key in base64 (a trailing newline is fine). */
  public static SigningKey fromFile(String id, Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read signing key file " + file + ": " + e, e);
    }
    try {
      return fromBase64(id, text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("signing key file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The key configured under {@code prefix} ({@code <prefix>key}, {@code <prefix>key.file}, {@code <prefix>key.id}),
   * or empty when neither {@code key} nor {@code key.file} is set.
   *
   * @throws IllegalArgumentException naming the offending setting when both are set, or the key is unusable
   */
  public static Optional<SigningKey> fromConfig(Map<String, String> settings, String prefix) {
    String inline = blankToNull(settings.get(prefix + "key"));
    String file = blankToNull(settings.get(prefix + "key.file"));
    String id = Optional.ofNullable(blankToNull(settings.get(prefix + "key.id"))).orElse(DEFAULT_ID);
    if (inline != null && file != null) {
      throw new IllegalArgumentException("set either " + prefix + "key or " + prefix + "key.file, not both");
    }
    try {
      if (inline != null) {
        return Optional.of(fromBase64(id, inline));
      }
      if (file != null) {
        return Optional.of(fromFile(id, Path.of(file)));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException((inline != null ? prefix + "key" : prefix + "key.file") + ": "
          + e.getMessage(), e);
    }
    return Optional.empty();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  public String id() {
    return id;
  }

  byte[] secret() {
    return secret;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SigningKey k && k.id.equals(id) && Arrays.equals(k.secret, secret);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "SigningKey[" + id + "]";
  }
}
