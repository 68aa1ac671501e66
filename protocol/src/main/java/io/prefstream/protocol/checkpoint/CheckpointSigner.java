package io.prefstream.protocol.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/** Signs {@code models} records (checkpoints and tombstones) with one key. Thread-safe. */
public final class CheckpointSigner {
  private final SigningKey key;
  private final byte[] keyIdBytes;

  public CheckpointSigner(SigningKey key) {
    this.key = Objects.requireNonNull(key, "key");
    this.keyIdBytes = key.id().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Puts the signature of (recordKey, value) and the key id into {@code headers}, replacing any signature headers
   * already there. {@code value} null signs a tombstone.
   */
  public void sign(Headers headers, byte[] recordKey, byte[] value) {
    headers.remove(CheckpointSignatures.SIGNATURE_HEADER);
    headers.remove(CheckpointSignatures.KEY_ID_HEADER);
    headers.add(new RecordHeader(CheckpointSignatures.KEY_ID_HEADER, keyIdBytes));
    headers.add(new RecordHeader(CheckpointSignatures.SIGNATURE_HEADER,
        CheckpointSignatures.compute(key, recordKey, value)));
  }

  public String keyId() {
    return key.id();
  }

  @Override
  public String toString() {
    return "CheckpointSigner[" + key.id() + "]";
  }
}
