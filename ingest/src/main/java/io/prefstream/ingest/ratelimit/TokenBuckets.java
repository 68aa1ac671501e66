package io.prefstream.ingest.ratelimit;

import io.prefstream.ingest.UserRateLimit;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One token bucket per user, driven by record time only (never the wall clock), so that the same records in the same
 * order get the same decisions. Not thread-safe: one instance per stream task.
 *
 * <p>Tokens are counted in millionths so that the arithmetic is exact: a bucket holds at most {@code burst} tokens,
 * refills {@code perSecond} tokens per second of record time, and an event takes one. A user's clock only moves
 * forward (an out-of-order record refills nothing), so a producer cannot earn tokens by sending old timestamps; future
 * timestamps are bounded by the broker ({@code log.message.timestamp.after.max.ms}, one hour by default in Kafka 4),
 * or made unforgeable with {@code message.timestamp.type=LogAppendTime} on the events topic.
 *
 * <p>Memory is bounded by {@code maxTrackedUsers}: at the bound, users whose bucket has refilled completely (they carry
 * no information) are dropped first, least recently seen first; if none is, the least recently seen user is dropped
 * anyway and starts again from a full bucket.
 */
public final class TokenBuckets {
  private static final long MICROS_PER_TOKEN = 1_000_000L;

  private final long capacity;
  /** Millionths of a token per millisecond: perSecond tokens/s = perSecond * 1000 millionths/ms. */
  private final long refillPerMs;
  private final int maxTracked;
  private final LinkedHashMap<String, Bucket> buckets = new LinkedHashMap<>(1024, 0.75f, true);
  /** The newest record time seen, for deciding whether an idle user's bucket is full again. */
  private long newestMs = Long.MIN_VALUE;
  private long evictedNotFull;

  public TokenBuckets(UserRateLimit limit) {
    if (!limit.enabled()) {
      throw new IllegalArgumentException("rate limit is disabled (rate " + limit.perSecond() + "/s, burst "
          + limit.burst() + "); build no limiter instead");
    }
    this.capacity = limit.burst() * MICROS_PER_TOKEN;
    this.refillPerMs = Math.max(1, Math.round(limit.perSecond() * 1000));
    this.maxTracked = limit.maxTrackedUsers();
  }

  /** @return true when the user may send this event now (it takes a token), false when it is over the limit */
  public boolean tryAcquire(String userId, long timestampMs) {
    newestMs = Math.max(newestMs, timestampMs);
    Bucket b = buckets.get(userId);
    if (b == null) {
      evictIdle();
      b = new Bucket(capacity, timestampMs);
      buckets.put(userId, b);
    } else if (timestampMs > b.clockMs) {
      b.tokens = refilled(b, timestampMs);
      b.clockMs = timestampMs;
    }
    if (b.tokens >= MICROS_PER_TOKEN) {
      b.tokens -= MICROS_PER_TOKEN;
      return true;
    }
    return false;
  }

  /** A forgotten user leaves no trace here either. */
  public void forget(String userId) {
    buckets.remove(userId);
  }

  /** Users with a bucket held in memory. */
  public int trackedUsers() {
    return buckets.size();
  }

  /** Users dropped while their bucket was not full (only past {@code maxTrackedUsers}); each got a fresh burst. */
  public long evictedNotFull() {
    return evictedNotFull;
  }

  private long refilled(Bucket b, long atMs) {
    long elapsed = atMs - b.clockMs;
    if (elapsed <= 0) {
      return b.tokens;
    }
    if (elapsed >= (capacity - b.tokens) / refillPerMs + 1) {
      return capacity;
    }
    return Math.min(capacity, b.tokens + elapsed * refillPerMs);
  }

  /**
   * Only at the bound: forgetting a full bucket changes no decision but costs a re-insert when the user comes back
   * (with many users at a few events per second each, that was one map insert and removal per event).
   */
  private void evictIdle() {
    if (buckets.size() < maxTracked) {
      return;
    }
    Iterator<Map.Entry<String, Bucket>> it = buckets.entrySet().iterator();
    // least recently seen first: nearly always full again; a few per call keep the cost constant
    for (int checked = 0; checked < 16 && it.hasNext() && buckets.size() >= maxTracked / 2; checked++) {
      if (refilled(it.next().getValue(), newestMs) >= capacity) {
        it.remove();
      }
    }
    while (buckets.size() >= maxTracked) {
      it = buckets.entrySet().iterator();
      if (refilled(it.next().getValue(), newestMs) < capacity) {
        evictedNotFull++;
      }
      it.remove();
    }
  }

  private static final class Bucket {
    long tokens;
    long clockMs;

    Bucket(long tokens, long clockMs) {
      this.tokens = tokens;
      this.clockMs = clockMs;
    }
  }
}
