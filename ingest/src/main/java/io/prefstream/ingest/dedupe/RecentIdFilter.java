package io.prefstream.ingest.dedupe;

import java.util.Map;
import java.util.TreeMap;

/**
 * Bloom filters in front of the dedupe store, one per time bucket of the store, so that a new id (nearly every event)
 * is known to be new without a store read: the store is read only for a bucket whose filter reports the id, which a
 * real duplicate always does and a new id does ~1 % of the time. The store stays the truth: the filter is rebuilt
 * from it whenever the task's state is (re)initialized, and an entry the store no longer has (a forgotten user's ids)
 * only costs a lookup. Filters of expired buckets are dropped with their buckets. Not thread-safe: one per task.
 */
public final class RecentIdFilter {
  /** Enough for a bucket of a quiet task without growing; busy buckets grow by doubling. */
  private static final int FIRST_CAPACITY = 1 << 16;

  private final TreeMap<Long, GrowingBloomFilter> byBucket = new TreeMap<>();

  /** @return the bytes the filters grew by (see {@link GrowingBloomFilter#add(IdHash)}) */
  public long add(long bucketStartMs, byte[] key) {
    return add(bucketStartMs, IdHash.of(key));
  }

  public long add(long bucketStartMs, IdHash hash) {
    return byBucket.computeIfAbsent(bucketStartMs, b -> new GrowingBloomFilter(FIRST_CAPACITY)).add(hash);
  }

  /** False means the id is certainly not in that bucket of the store. */
  public boolean mightContain(long bucketStartMs, byte[] key) {
    return mightContain(bucketStartMs, IdHash.of(key));
  }

  public boolean mightContain(long bucketStartMs, IdHash hash) {
    GrowingBloomFilter f = byBucket.get(bucketStartMs);
    return f != null && f.mightContain(hash);
  }

  /** Drops the filters of buckets that start at or before {@code bucketStartMs}; returns the bytes freed. */
  public long dropUpTo(long bucketStartMs) {
    long freed = 0;
    while (!byBucket.isEmpty() && byBucket.firstKey() <= bucketStartMs) {
      freed += byBucket.pollFirstEntry().getValue().sizeBytes();
    }
    return freed;
  }

  public long sizeBytes() {
    long bytes = 0;
    for (GrowingBloomFilter f : byBucket.values()) {
      bytes += f.sizeBytes();
    }
    return bytes;
  }

  public long keys() {
    long keys = 0;
    for (Map.Entry<Long, GrowingBloomFilter> e : byBucket.entrySet()) {
      keys += e.getValue().keys();
    }
    return keys;
  }
}
