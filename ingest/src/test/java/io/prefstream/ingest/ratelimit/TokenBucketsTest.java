package io.prefstream.ingest.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.ingest.UserRateLimit;
import io.prefstream.runtime.config.ConfigException;
import org.junit.jupiter.api.Test;

class TokenBucketsTest {

  private static int accepted(TokenBuckets b, String user, long fromMs, int events, long stepMs) {
    int n = 0;
    for (int i = 0; i < events; i++) {
      if (b.tryAcquire(user, fromMs + i * stepMs)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void burstThenRateInRecordTime() {
    TokenBuckets b = new TokenBuckets(new UserRateLimit(50, 500, 100));
    // 2,000 events in the same millisecond: exactly the burst
    assertThat(accepted(b, "u", 1_000, 2000, 0)).isEqualTo(500);
    // 10 s later (record time): 500 more tokens, capped at the burst
    assertThat(accepted(b, "u", 11_000, 2000, 0)).isEqualTo(500);
    // one event per ms for 1 s right after: 50 tokens accrue
    assertThat(accepted(b, "u", 11_001, 1000, 1)).isEqualTo(50);
  }

  @Test
  void fractionalRatesAreExact() {
    TokenBuckets b = new TokenBuckets(new UserRateLimit(0.5, 1, 100));
    assertThat(b.tryAcquire("u", 0)).isTrue();
    assertThat(b.tryAcquire("u", 1_999)).isFalse();
    assertThat(b.tryAcquire("u", 2_000)).isTrue();
    assertThat(b.tryAcquire("u", 2_000)).isFalse();
  }

  @Test
  void oldTimestampsRefillNothing() {
    TokenBuckets b = new TokenBuckets(new UserRateLimit(1, 2, 100));
    assertThat(accepted(b, "u", 100_000, 2, 0)).isEqualTo(2);
    // a record 50 s in the past must not earn tokens, nor may it move the user's clock back
    assertThat(b.tryAcquire("u", 50_000)).isFalse();
    assertThat(b.tryAcquire("u", 100_999)).isFalse();
    assertThat(b.tryAcquire("u", 101_000)).isTrue();
  }

  @Test
  void usersAreIndependentAndForgetResets() {
    TokenBuckets b = new TokenBuckets(new UserRateLimit(1, 3, 100));
    assertThat(accepted(b, "flood", 0, 100, 0)).isEqualTo(3);
    assertThat(accepted(b, "calm", 0, 3, 0)).isEqualTo(3);
    b.forget("flood");
    assertThat(accepted(b, "flood", 0, 100, 0)).isEqualTo(3);
  }

  @Test
  void memoryIsBoundedAndFullBucketsGoFirst() {
    TokenBuckets b = new TokenBuckets(new UserRateLimit(1, 5, 1000));
    // a flooding user, then 5,000 users one second apart: every bucket but the flooder's is full again 5 s after its
    // single event, so only full ones are dropped and the flooder's state survives
    assertThat(accepted(b, "flood", 0, 100, 0)).isEqualTo(5);
    for (int u = 0; u < 5000; u++) {
      assertThat(b.tryAcquire("u" + u, u * 1000L)).isTrue();
      b.tryAcquire("flood", u * 1000L); // keeps the flooder recently seen and empty
    }
    assertThat(b.trackedUsers()).isLessThanOrEqualTo(1000);
    assertThat(b.evictedNotFull()).isZero();
    assertThat(b.tryAcquire("flood", 4_999_000L)).isFalse();
    // 5,000 users in the same millisecond: none is full, the bound holds anyway
    for (int u = 0; u < 5000; u++) {
      b.tryAcquire("v" + u, 10_000_000L);
    }
    assertThat(b.trackedUsers()).isLessThanOrEqualTo(1000);
    assertThat(b.evictedNotFull()).isGreaterThan(0);
  }

  @Test
  void disabledOrInvalidLimitsAreRefused() {
    assertThat(UserRateLimit.DISABLED.enabled()).isFalse();
    assertThat(new UserRateLimit(50, 0, 10).enabled()).isFalse();
    assertThatThrownBy(() -> new TokenBuckets(UserRateLimit.DISABLED)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UserRateLimit(-1, 5, 10)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("ingest.user.rate.per.sec");
    assertThatThrownBy(() -> new UserRateLimit(Double.NaN, 5, 10)).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> new UserRateLimit(1, -5, 10)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("ingest.user.burst");
  }
}
