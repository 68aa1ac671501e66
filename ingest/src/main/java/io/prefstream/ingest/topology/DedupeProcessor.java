package io.prefstream.ingest.topology;

import io.prefstream.ingest.UserRateLimit;
import io.prefstream.ingest.dedupe.IdHash;
import io.prefstream.ingest.dedupe.RecentIdFilter;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.ratelimit.TokenBuckets;
import io.prefstream.protocol.event.PreferenceEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops an event whose (userId, eventId) was seen within the retention. The ids live in a segmented window store
 * stamped with the start of their arrival (wall-clock) time bucket, so whole segments expire after the retention
 * without a scan; the store is changelogged, so under exactly-once a restart neither forgets nor double-counts an id.
 *
 * <p>With a per-user rate limit, a new (not duplicate) event over its user's token bucket is forwarded as a
 * {@link Outcome.Rejected} with reason {@link DeadLetter#RATE_LIMITED} instead, and its id is <em>not</em>
 * remembered: the dead letter can be replayed later and is then taken, not dropped as a duplicate. The check comes
 * first, so an app retrying an event that was already taken costs no token.
 *
 * <p>The buckets live in memory per task, not in a store. Exactly-once still holds: the decision for an event, its
 * output (batch slot or dead letter) and the input offset commit in one transaction, so after a crash the uncommitted
 * decisions are made again (maybe differently, from fresh buckets) and each event still ends in exactly one place.
 * What a restart or a task move costs is at most one extra burst per user. Decisions use record time only, so a
 * replay of the same records from the same state decides the same way.
 *
 * <p>A {@link RecentIdFilter} (Bloom filters per bucket, rebuilt from the store in {@link #init}) answers "certainly
 * new" for nearly every new id without a store read. Store misses were the dearest part of ingest: four RocksDB point
 * reads per event, each not-found answer raised and caught as a C++ exception inside RocksJava.
 */
final class DedupeProcessor implements Processor<byte[], Outcome, String, Outcome> {
  private static final Logger log = LoggerFactory.getLogger(DedupeProcessor.class);
  private static final byte[] SEEN = {1};
  /** An id is remembered for at least the retention and at most a quarter longer. */
  static final int BUCKETS_PER_RETENTION = 4;

  private final String storeName;
  private final long retentionMs;
  private final long bucketMs;
  private final UserRateLimit rateLimit;
  private final IngestMetrics metrics;
  private ProcessorContext<String, Outcome> context;
  private WindowStore<Bytes, byte[]> store;
  /** Null without a rate limit. */
  private TokenBuckets buckets;
  private RecentIdFilter recent;
  private long filterBytes;
  private long currentBucket = Long.MIN_VALUE;

  DedupeProcessor(String storeName, long retentionMs, UserRateLimit rateLimit, IngestMetrics metrics) {
    this.storeName = storeName;
    this.retentionMs = retentionMs;
    this.bucketMs = bucketMs(retentionMs);
    this.rateLimit = rateLimit;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Outcome> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    this.buckets = rateLimit.enabled() ? new TokenBuckets(rateLimit) : null;
    this.recent = new RecentIdFilter();
    this.filterBytes = 0;
    this.currentBucket = Long.MIN_VALUE;
    long started = System.nanoTime();
    long ids = 0;
    try (KeyValueIterator<Windowed<Bytes>, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<Windowed<Bytes>, byte[]> kv = it.next();
        filterBytes += recent.add(kv.key.window().start(), kv.key.key().get());
        ids++;
      }
    }
    metrics.dedupeFilterBytes(filterBytes);
    if (ids > 0) {
      log.info("dedupe filter of task {} rebuilt from {} stored ids in {} ms ({} KiB)", context.taskId(), ids,
          (System.nanoTime() - started) / 1_000_000, filterBytes / 1024);
    }
  }

  @Override
  public void close() {
    metrics.dedupeFilterBytes(-filterBytes);
    filterBytes = 0;
    recent = null;
  }

  private void filterGrew(long bytes) {
    if (bytes != 0) {
      filterBytes += bytes;
      metrics.dedupeFilterBytes(bytes);
    }
  }

  @Override
  public void process(Record<byte[], Outcome> record) {
    long now = context.currentSystemTimeMs();
    if (record.value() instanceof Outcome.Forget forget) {
      forgetIds(forget.userId(), now);
      if (buckets != null) {
        buckets.forget(forget.userId());
      }
      context.forward(record.withKey(forget.userId()));
      return;
    }
    if (!(record.value() instanceof Outcome.Accepted accepted)) {
      throw new IllegalStateException("dedupe expects accepted events or forget-user records, got "
          + record.value().getClass().getSimpleName());
    }
    PreferenceEvent event = accepted.event();
    Bytes key = key(event.userId(), event.eventId());
    long bucket = now - Math.floorMod(now, bucketMs);
    long expired = now - retentionMs - bucketMs; // buckets starting at or before this are past the retention
    if (bucket != currentBucket) {
      currentBucket = bucket;
      filterGrew(-recent.dropUpTo(expired));
    }
    IdHash hash = IdHash.of(key.get()); // once per event, for every bucket's filter
    for (long b = bucket; b > expired; b -= bucketMs) {
      if (recent.mightContain(b, hash) && store.fetch(key, b) != null) {
        metrics.duplicate();
        return;
      }
    }
    if (buckets != null && !buckets.tryAcquire(event.userId(), accepted.recordTimestampMs())) {
      rateLimited(record, accepted);
      return;
    }
    store.put(key, SEEN, bucket);
    filterGrew(recent.add(bucket, hash));
    context.forward(record.withKey(event.userId()));
  }

  private void rateLimited(Record<byte[], Outcome> record, Outcome.Accepted accepted) {
    String userId = accepted.event().userId();
    String detail = "user " + truncate(userId) + " is over its rate limit of " + rateLimit.perSecond()
        + " events/s with a burst of " + rateLimit.burst() + " (record time " + accepted.recordTimestampMs()
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

  /**
   * Ids are stamped with the start of a time bucket, not their arrival time, so that "seen within the retention?" is
   * a handful of point lookups (one per bucket) instead of a range scan over every segment.
   */
  static long bucketMs(long retentionMs) {
    return Math.max(1, retentionMs / BUCKETS_PER_RETENTION);
  }

  /** A forgotten user's event ids are personal data too; a replay after forgetting is learned afresh. */
  private void forgetIds(String userId, long now) {
    byte[] prefix = userPrefix(userId);
    byte[] upper = ByteBuffer.allocate(prefix.length + 1).put(prefix).put((byte) 0xFF).array();
    List<KeyValue<Windowed<Bytes>, byte[]>> found = new ArrayList<>();
    try (KeyValueIterator<Windowed<Bytes>, byte[]> it =
        store.fetch(Bytes.wrap(prefix), Bytes.wrap(upper), Math.max(0, now - retentionMs - bucketMs), now)) {
      it.forEachRemaining(found::add);
    }
    for (KeyValue<Windowed<Bytes>, byte[]> kv : found) {
      store.put(kv.key.key(), null, kv.key.window().start());
    }
  }

  /** Length-prefixed userId, then eventId: no separator character can be faked by an id. */
  static Bytes key(String userId, String eventId) {
    byte[] prefix = userPrefix(userId);
    byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(prefix.length + id.length).put(prefix).put(id).array());
  }

  private static byte[] userPrefix(String userId) {
    byte[] user = userId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + user.length).putShort((short) user.length).put(user).array();
  }
}
