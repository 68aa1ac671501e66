package io.prefstream.ingest.topology;

import io.prefstream.ingest.UserRateLimit;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.ratelimit.TokenBuckets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Per-user rate limit between dedupe and batching: an accepted event over its user's token bucket becomes a
 * {@link Outcome.Rejected} with reason {@link DeadLetter#RATE_LIMITED} (original value, key = userId, dead-letter
 * headers), so that it lands in the dead-letter topic and can be replayed; everything else passes through.
 *
 * <p>The buckets live in memory per task, not in a store. Exactly-once still holds: the decision for an event, its
 * output (batch slot or dead letter) and the input offset commit in one transaction, so after a crash the uncommitted
 * decisions are made again (maybe differently, from fresh buckets) and each event still ends in exactly one place.
 * What a restart or a task move costs is at most one extra burst per user. Decisions use record time only, so a
 * replay of the same records from the same state decides the same way.
 */
final class RateLimitProcessor implements Processor<String, Outcome, String, Outcome> {
  private final UserRateLimit limit;
  private final IngestMetrics metrics;
  private ProcessorContext<String, Outcome> context;
  private TokenBuckets buckets;

  RateLimitProcessor(UserRateLimit limit, IngestMetrics metrics) {
    this.limit = limit;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Outcome> context) {
    this.context = context;
    this.buckets = new TokenBuckets(limit);
  }

  @Override
  public void process(Record<String, Outcome> record) {
    if (record.value() instanceof Outcome.Forget forget) {
      buckets.forget(forget.userId());
      context.forward(record);
      return;
    }
    Outcome.Accepted accepted = (Outcome.Accepted) record.value();
    String userId = accepted.event().userId();
    if (buckets.tryAcquire(userId, accepted.recordTimestampMs())) {
      context.forward(record);
      return;
    }
    String detail = "user " + truncate(userId) + " is over its rate limit of " + limit.perSecond()
        + " events/s with a burst of " + limit.burst() + " (record time " + accepted.recordTimestampMs()
        + "); replay it later or raise ingest.user.rate.per.sec / ingest.user.burst";
    metrics.rejected(DeadLetter.RATE_LIMITED);
    RecordMetadata source = context.recordMetadata().orElse(null);
    context.forward(new Record<String, Outcome>(userId,
        new Outcome.Rejected(accepted.rawValue(), DeadLetter.RATE_LIMITED, detail), record.timestamp(),
        DeadLetter.headers(record.headers(), DeadLetter.RATE_LIMITED, detail,
            source == null ? "unknown" : source.topic(), source == null ? -1 : source.partition(),
            source == null ? -1L : source.offset())));
  }

  private static String truncate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  /** Users with a bucket in memory in this task; for tests. */
  int trackedUsers() {
    return buckets.trackedUsers();
  }
}
