package io.prefstream.protocol.topic;

/**
 * Header names on dead-letter records. The record's key and value are the original bytes, untouched; these
 * headers say why it was refused and where it came from.
 */
public final class DeadLetterHeaders {
  /** A {@code RejectReason} code such as {@code bad_domain}. */
  public static final String REASON = "prefstream.dlq.reason";
  /** Human-readable detail naming the offending value and what would be valid. */
  public static final String DETAIL = "prefstream.dlq.detail";
  public static final String SOURCE_TOPIC = "prefstream.dlq.source.topic";
  public static final String SOURCE_PARTITION = "prefstream.dlq.source.partition";
  public static final String SOURCE_OFFSET = "prefstream.dlq.source.offset";

  private DeadLetterHeaders() {}
}
