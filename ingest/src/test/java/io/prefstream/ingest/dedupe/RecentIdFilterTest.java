package io.prefstream.ingest.dedupe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecentIdFilterTest {
  private static byte[] id(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void idsAreFoundInTheirOwnBucketOnly() {
    RecentIdFilter filter = new RecentIdFilter();
    filter.add(1_000, id("a"));
    filter.add(2_000, id("b"));
    assertThat(filter.mightContain(1_000, id("a"))).isTrue();
    assertThat(filter.mightContain(2_000, id("b"))).isTrue();
    assertThat(filter.mightContain(3_000, id("a"))).as("a bucket with no filter").isFalse();
    assertThat(filter.keys()).isEqualTo(2);
  }

  @Test
  void expiredBucketsAreDroppedWithTheirMemory() {
    RecentIdFilter filter = new RecentIdFilter();
    filter.add(1_000, id("a"));
    filter.add(2_000, id("b"));
    filter.add(3_000, id("c"));
    long before = filter.sizeBytes();
    long freed = filter.dropUpTo(2_000);
    assertThat(freed).isEqualTo(before * 2 / 3);
    assertThat(filter.sizeBytes()).isEqualTo(before - freed);
    assertThat(filter.mightContain(1_000, id("a"))).isFalse();
    assertThat(filter.mightContain(2_000, id("b"))).isFalse();
    assertThat(filter.mightContain(3_000, id("c"))).isTrue();
    assertThat(filter.dropUpTo(2_999)).isZero();
  }
}
