package io.prefstream.ingest.dedupe;

import java.util.Arrays;

/**
 * A Bloom filter over byte-string keys that grows with what it is given: a chain of fixed filters, each twice the
 * capacity of the one before, so that the number of ids a time bucket will hold need not be known up front.
 * No false negatives: every key added is found. A key never added is reported with probability at most the
 * false-positive rate of a full filter at {@value #BITS_PER_KEY} bits a key (0.8 %) per filter in the chain, summed
 * over the chain (a chain of 10 filters from the default 65,536 holds 67 million keys). Not thread-safe.
 */
public final class GrowingBloomFilter {
  static final int BITS_PER_KEY = 10;
  /** Probes per key: {@code BITS_PER_KEY * ln 2} rounded, the optimum for that size. */
  static final int PROBES = 7;

  private final int firstCapacity;
  private Stage[] stages = new Stage[0];
  private long keys;

  /** @param firstCapacity keys the first filter holds before a second, twice as large, is added */
  public GrowingBloomFilter(int firstCapacity) {
    if (firstCapacity < 64 || firstCapacity > (1 << 26)) {
      throw new IllegalArgumentException("first capacity must be in [64, 2^26], got " + firstCapacity);
    }
    this.firstCapacity = firstCapacity;
  }

  public long add(byte[] key) {
    return add(IdHash.of(key));
  }

  /** @return the bytes this add allocated: a new filter's when the last one was full, else 0 */
  public long add(IdHash hash) {
    long allocated = 0;
    Stage last = stages.length == 0 ? null : stages[stages.length - 1];
    if (last == null || last.keys >= last.capacity) {
      last = new Stage((int) Math.min((long) firstCapacity << stages.length, 1 << 28));
      stages = Arrays.copyOf(stages, stages.length + 1);
      stages[stages.length - 1] = last;
      allocated = (long) last.words.length * Long.BYTES;
    }
    last.add(hash.h1(), hash.h2());
    keys++;
    return allocated;
  }

  public boolean mightContain(byte[] key) {
    return mightContain(IdHash.of(key));
  }

  public boolean mightContain(IdHash hash) {
    for (Stage s : stages) {
      if (s.mightContain(hash.h1(), hash.h2())) {
        return true;
      }
    }
    return false;
  }

  /** Keys added so far (duplicates included). */
  public long keys() {
    return keys;
  }

  /** Bytes of the bit arrays. */
  public long sizeBytes() {
    long bytes = 0;
    for (Stage s : stages) {
      bytes += (long) s.words.length * Long.BYTES;
    }
    return bytes;
  }

  private static final class Stage {
    final long[] words;
    final long bits;
    final int capacity;
    int keys;

    Stage(int capacity) {
      this.capacity = capacity;
      long wanted = (long) capacity * BITS_PER_KEY;
      this.words = new long[(int) ((wanted + 63) / 64)];
      this.bits = (long) words.length * 64;
    }

    void add(long h1, long h2) {
      long h = h1;
      for (int i = 0; i < PROBES; i++, h += h2) {
        long bit = Math.floorMod(h, bits);
        words[(int) (bit >>> 6)] |= 1L << bit;
      }
      keys++;
    }

    boolean mightContain(long h1, long h2) {
      long h = h1;
      for (int i = 0; i < PROBES; i++, h += h2) {
        long bit = Math.floorMod(h, bits);
        if ((words[(int) (bit >>> 6)] & (1L << bit)) == 0) {
          return false;
        }
      }
      return true;
    }
  }
}
