package io.prefstream.model.checkpoint;

/** An intact checkpoint this code cannot use: unknown format version or kind, or mismatched dimensions/encoder. */
public class IncompatibleCheckpointException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  public IncompatibleCheckpointException(String message) {
    super(message);
  }
}
