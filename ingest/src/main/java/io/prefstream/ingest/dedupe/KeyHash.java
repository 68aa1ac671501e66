package io.prefstream.ingest.dedupe;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A seeded 64-bit hash of a byte string for the Bloom filters: MurmurHash3's 64-bit block mixing and finalizer over
 * 8-byte little-endian words. Not cryptographic: ids are chosen by producers, so a producer could only make its own
 * ids cost a store lookup each (a false positive), never be dropped.
 */
final class KeyHash {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private KeyHash() {}

  static long hash(byte[] data, long seed) {
    long h = seed ^ (data.length * C1);
    int i = 0;
    for (; i + 8 <= data.length; i += 8) {
      h ^= mixBlock((long) LONGS.get(data, i));
      h = Long.rotateLeft(h, 27) * 5 + 0x52dce729;
    }
    long tail = 0;
    for (int shift = 0; i < data.length; i++, shift += 8) {
      tail |= (data[i] & 0xFFL) << shift;
    }
    h ^= mixBlock(tail);
    return fmix(h ^ data.length);
  }

  private static long mixBlock(long k) {
    k *= C1;
    k = Long.rotateLeft(k, 31);
    return k * C2;
  }

  private static long fmix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    return k ^ (k >>> 33);
  }
}
