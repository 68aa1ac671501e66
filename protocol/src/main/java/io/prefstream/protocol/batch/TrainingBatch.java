package io.prefstream.protocol.batch;

import io.prefstream.protocol.event.PreferenceEvent;
import java.util.List;
import java.util.Objects;

/**
 * The unit the learner consumes: the events of one (user, domain) that arrived within one window,
 * in arrival order.
 *
 * @param batchId unique and stable: {@code userId/domain/windowStartMs/sequence}; the learner uses it to
 *     recognise a batch it has already applied
 * @param windowStartMs inclusive start of the processing-time window the events arrived in
 * @param windowEndMs exclusive end of that window
 * @param closedEarly true when the batch was emitted because it reached its size limit before the window
 *     closed
 */
public record TrainingBatch(
    String batchId,
    String userId,
    String domain,
    long windowStartMs,
    long windowEndMs,
    boolean closedEarly,
    List<PreferenceEvent> events) {

  public TrainingBatch {
    Objects.requireNonNull(batchId, "batchId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(domain, "domain");
    events = List.copyOf(events);
    if (events.isEmpty()) {
      throw new IllegalArgumentException("a training batch holds at least one event");
    }
  }

  /** The newest event time covered by this batch; checkpoints carry it for freshness measurement. */
  public long newestEventTimeMs() {
    long max = Long.MIN_VALUE;
    for (PreferenceEvent e : events) {
      max = Math.max(max, e.timestampMs());
    }
    return max;
  }
}
