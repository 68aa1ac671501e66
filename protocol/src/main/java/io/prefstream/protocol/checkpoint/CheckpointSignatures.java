package io.prefstream.protocol.checkpoint;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a {@code models} record: HMAC-SHA256 over a domain-separated, length-prefixed encoding of the key
 * id, the record key and the value. The value may be null (a tombstone that deletes a user's model): it is encoded as
 * length -1, so a signed tombstone cannot pass for a signed empty value or the other way round, and a signature made
 * for one key cannot be moved to another.
 *
 * <pre>
 *   "prefstream.checkpoint.hmac-sha256.v1" 0x00
 *   int32 len(keyId) keyId  int32 len(key) key  int32 len(value)|-1 value
 * </pre>
 */
public final class CheckpointSignatures {
  /** Header carrying the 32 signature bytes. */
  public static final String SIGNATURE_HEADER = "prefstream.signature";
  /** Header carrying the signing key's id (UTF-8). */
  public static final String KEY_ID_HEADER = "prefstream.signature.key-id";
  public static final int SIGNATURE_BYTES = 32;
  private static final byte[] DOMAIN = "prefstream.checkpoint.hmac-sha256.v1\0".getBytes(StandardCharsets.US_ASCII);
  private static final String ALGORITHM = "HmacSHA256";

  private CheckpointSignatures() {}

  /** The signature of (key, value) under {@code signingKey}; {@code value} null for a tombstone. */
  public static byte[] compute(SigningKey signingKey, byte[] key, byte[] value) {
    byte[] keyId = signingKey.id().getBytes(StandardCharsets.UTF_8);
    byte[] recordKey = key == null ? new byte[0] : key;
    Mac mac;
    try {
      // A Mac per call: it is not thread-safe, and its setup costs far less than a checkpoint's encoding.
      mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(signingKey.secret(), ALGORITHM));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no " + ALGORITHM + ": " + e.getMessage(), e);
    }
    mac.update(DOMAIN);
    mac.update(ByteBuffer.allocate(4).putInt(keyId.length).array());
    mac.update(keyId);
    mac.update(ByteBuffer.allocate(4).putInt(recordKey.length).array());
    mac.update(recordKey);
    mac.update(ByteBuffer.allocate(4).putInt(value == null ? -1 : value.length).array());
    if (value != null) {
      mac.update(value);
    }
    return mac.doFinal();
  }
}
