package io.prefstream.ingest.topology;

import io.prefstream.protocol.topic.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Builds the headers of a dead-letter record; key and value stay the original bytes. */
public final class DeadLetter {
  /**
   * Reason code, local to ingest, for a tombstone (null value) without a key: it cannot name a user to forget.
   * The protocol's {@code RejectReason} codes cover every other rejection.
   */
  public static final String TOMBSTONE_WITHOUT_KEY = "tombstone_without_key";

  /**
   * Reason code, local to ingest, for an event the protocol's parser accepts but that a training batch cannot carry:
   * its unknown fields nest so deep that the batch, which wraps each event two levels further down, passes the JSON
   * reader's nesting limit, so the learner could not read the batch.
   */
  public static final String UNBATCHABLE = "unbatchable";

  /**
   * Reason code, local to ingest, for a valid event over its user's rate limit ({@code ingest.user.rate.per.sec},
   * {@code ingest.user.burst}); the record is the original event, keyed by its userId, so it can be replayed as is.
   */
  public static final String RATE_LIMITED = "rate_limited";

  /** Details stay readable and bounded; a parser message can quote part of the record. */
  static final int MAX_DETAIL_CHARS = 1000;

  private DeadLetter() {}

  /**
   * The original record's headers (kept, so nothing the producer sent is lost) plus the reason, detail and source
   * coordinates.
   */
  public static Headers headers(Headers original, String reasonCode, String detail, String sourceTopic,
      int sourcePartition, long sourceOffset) {
    RecordHeaders h = new RecordHeaders(original == null ? new RecordHeaders().toArray() : original.toArray());
    h.remove(DeadLetterHeaders.REASON);
    h.remove(DeadLetterHeaders.DETAIL);
    h.remove(DeadLetterHeaders.SOURCE_TOPIC);
    h.remove(DeadLetterHeaders.SOURCE_PARTITION);
    h.remove(DeadLetterHeaders.SOURCE_OFFSET);
    h.add(DeadLetterHeaders.REASON, utf8(reasonCode));
    h.add(DeadLetterHeaders.DETAIL, utf8(detail.length() <= MAX_DETAIL_CHARS ? detail
        : detail.substring(0, MAX_DETAIL_CHARS) + "..."));
    h.add(DeadLetterHeaders.SOURCE_TOPIC, utf8(sourceTopic));
    h.add(DeadLetterHeaders.SOURCE_PARTITION, utf8(String.valueOf(sourcePartition)));
    h.add(DeadLetterHeaders.SOURCE_OFFSET, utf8(String.valueOf(sourceOffset)));
    return h;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
