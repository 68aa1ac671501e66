package io.prefstream.protocol.batch;

/** A record on the batches topic that cannot be read as a {@link TrainingBatch}. */
public class MalformedBatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MalformedBatchException(String message) {
    super(message);
  }
}
