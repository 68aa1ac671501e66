package io.prefstream.protocol.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Checks the signature of a {@code models} record against the trusted keys (the current one and, while keys rotate,
 * the previous one), by key id. The comparison is constant-time. Thread-safe.
 */
public final class CheckpointVerifier {
  /** What a record's signature headers amount to. */
  public enum Verdict {
    /** Signed by a trusted key, and the signature matches the key and value. */
    VALID,
    /** No signature header. */
    UNSIGNED,
    /** Signed with a key id this verifier does not trust (or no key id). */
    UNKNOWN_KEY,
    /** The signature does not match: forged, or the key or value was changed after signing. */
    BAD_SIGNATURE
  }

  private final Map<String, SigningKey> trusted = new LinkedHashMap<>();

  public CheckpointVerifier(Collection<SigningKey> trustedKeys) {
    if (trustedKeys.isEmpty()) {
      throw new IllegalArgumentException("a checkpoint verifier needs at least one trusted key");
    }
    for (SigningKey k : trustedKeys) {
      SigningKey before = trusted.putIfAbsent(k.id(), k);
      if (before != null && !before.equals(k)) {
        throw new IllegalArgumentException("two different trusted signing keys share the id '" + k.id()
            + "'; give the new key another checkpoint.signing.key.id");
      }
    }
  }

  /** {@code value} null for a tombstone; {@code headers} null counts as no headers. */
  public Verdict verify(byte[] recordKey, byte[] value, Headers headers) {
    Header signature = headers == null ? null : headers.lastHeader(CheckpointSignatures.SIGNATURE_HEADER);
    if (signature == null || signature.value() == null) {
      return Verdict.UNSIGNED;
    }
    Header keyIdHeader = headers.lastHeader(CheckpointSignatures.KEY_ID_HEADER);
    if (keyIdHeader == null || keyIdHeader.value() == null) {
      return Verdict.UNKNOWN_KEY;
    }
    SigningKey key = trusted.get(new String(keyIdHeader.value(), StandardCharsets.UTF_8));
    if (key == null) {
      return Verdict.UNKNOWN_KEY;
    }
    byte[] expected = CheckpointSignatures.compute(key, recordKey, value);
    return MessageDigest.isEqual(expected, signature.value()) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
  }

  /** The key ids trusted, for logs and errors. */
  public java.util.Set<String> keyIds() {
    return java.util.Collections.unmodifiableSet(trusted.keySet());
  }

  @Override
  public String toString() {
    return "CheckpointVerifier" + trusted.keySet();
  }
}
