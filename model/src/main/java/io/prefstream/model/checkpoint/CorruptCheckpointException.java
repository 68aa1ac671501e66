package io.prefstream.model.checkpoint;

/** The bytes are not an intact checkpoint: bad magic, bad checksum, truncated or malformed. */
public class CorruptCheckpointException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  public CorruptCheckpointException(String message) {
    super(message);
  }

  public CorruptCheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
