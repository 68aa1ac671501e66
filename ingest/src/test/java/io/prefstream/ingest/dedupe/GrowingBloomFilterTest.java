package io.prefstream.ingest.dedupe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GrowingBloomFilterTest {
  private static byte[] id(String prefix, int i) {
    return (prefix + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void everyKeyAddedIsFoundWhileTheFilterGrows() {
    GrowingBloomFilter filter = new GrowingBloomFilter(1024);
    int n = 200_000; // 1024 -> 2048 -> ... : eight filters in the chain
    for (int i = 0; i < n; i++) {
      filter.add(id("user-7/event-", i));
    }
    for (int i = 0; i < n; i++) {
      assertThat(filter.mightContain(id("user-7/event-", i))).as("key %d", i).isTrue();
    }
    assertThat(filter.keys()).isEqualTo(n);
    // ten bits a key, plus the unfilled part of the last filter: at most twice that
    assertThat(filter.sizeBytes()).isBetween(n * 10L / 8, 2 * n * 10L / 8 + 1024);
  }

  @Test
  void keysNeverAddedAreRarelyReported() {
    GrowingBloomFilter oneStage = new GrowingBloomFilter(100_000);
    GrowingBloomFilter chain = new GrowingBloomFilter(1024);
    for (int i = 0; i < 100_000; i++) {
      oneStage.add(id("u/e", i));
      chain.add(id("u/e", i));
    }
    int falseOne = 0;
    int falseChain = 0;
    int trials = 200_000;
    for (int i = 0; i < trials; i++) {
      byte[] other = id("u/other", i);
      falseOne += oneStage.mightContain(other) ? 1 : 0;
      falseChain += chain.mightContain(other) ? 1 : 0;
    }
    // 10 bits and 7 probes a key: 0.82 % in theory for a full filter
    assertThat(falseOne / (double) trials).isBetween(0.003, 0.015);
    // seven filters, each at most full: at most seven times that, in practice far less as most are small
    assertThat(falseChain / (double) trials).isLessThan(0.06);
  }

  @Test
  void anEmptyFilterContainsNothingAndSizesAreChecked() {
    assertThat(new GrowingBloomFilter(64).mightContain(new byte[0])).isFalse();
    assertThatThrownBy(() -> new GrowingBloomFilter(10)).hasMessageContaining("got 10");
  }

  @Test
  void theHashSpreadsShortAndSimilarKeys() {
    // keys differing in one byte, at every position of a 20-byte key, land on different hashes
    java.util.Set<Long> hashes = new java.util.HashSet<>();
    byte[] key = new byte[20];
    for (int pos = 0; pos < key.length; pos++) {
      for (int v = 1; v < 256; v++) {
        byte[] k = key.clone();
        k[pos] = (byte) v;
        hashes.add(KeyHash.hash(k, 0));
      }
    }
    assertThat(hashes).hasSize(20 * 255);
    assertThat(KeyHash.hash(new byte[3], 0)).isNotEqualTo(KeyHash.hash(new byte[4], 0));
  }
}
