package io.prefstream.ingest.dedupe;

/**
 * The two 64-bit hashes of an id that every Bloom filter probe is derived from (double hashing), computed once per
 * event and reused for each bucket's filter and each filter of its chain.
 */
public record IdHash(long h1, long h2) {
  public static IdHash of(byte[] key) {
    long h1 = KeyHash.hash(key, 0);
    // odd, so never 0: the probes h1 + i * h2 of one key never collapse onto a single bit
    return new IdHash(h1, KeyHash.hash(key, h1) | 1);
  }
}
