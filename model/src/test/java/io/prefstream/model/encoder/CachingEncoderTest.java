package io.prefstream.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachingEncoderTest {

  /** Counts calls into the real hashing encoder, to prove which texts reached it. */
  static final class CountingEncoder implements TextEncoder {
    final HashingNgramEncoder inner = new HashingNgramEncoder(32);
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String id() {
      return inner.id();
    }

    @Override
    public int dimension() {
      return 32;
    }

    @Override
    public float[] encode(String text) {
      calls.incrementAndGet();
      return inner.encode(text);
    }

    @Override
    public void close() {}
  }

  @Test
  void repeatedTextsAreServedFromTheCacheWithIdenticalVectors() {
    CountingEncoder counting = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(counting, 100)) {
      float[] first = c.encode("hello world");
      float[] again = c.encode("hello world");
      assertThat(again).containsExactly(first);
      assertThat(first).containsExactly(counting.inner.encode("hello world"));
      assertThat(counting.calls).hasValue(1);
      assertThat(c.hits()).isEqualTo(1);
      assertThat(c.misses()).isEqualTo(1);
      assertThat(c.hitRate()).isEqualTo(0.5);
      assertThat(c.id()).isEqualTo(counting.id());
    }
  }

  @Test
  void callersCannotCorruptTheCache() {
    try (CachingEncoder c = new CachingEncoder(new CountingEncoder(), 10)) {
      float[] v = c.encode("x");
      float keep = v[0];
      v[0] = 42;
      assertThat(c.encode("x")[0]).isEqualTo(keep);
    }
  }

  @Test
  void leastRecentlyUsedEntryIsEvicted() {
    CountingEncoder counting = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(counting, 2)) {
      c.encode("a");
      c.encode("b");
      c.encode("a"); // a is now most recent
      c.encode("c"); // evicts b
      assertThat(c.size()).isEqualTo(2);
      int before = counting.calls.get();
      c.encode("a");
      assertThat(counting.calls.get()).isEqualTo(before);
      c.encode("b");
      assertThat(counting.calls.get()).isEqualTo(before + 1);
    }
  }

  @Test
  void encodeAllOnlySendsMissesToTheInnerEncoderAndKeepsOrder() {
    CountingEncoder counting = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(counting, 100)) {
      c.encode("b");
      List<float[]> out = c.encodeAll(List.of("a", "b", "c", "a"));
      assertThat(out.get(0)).containsExactly(counting.inner.encode("a"));
      assertThat(out.get(1)).containsExactly(counting.inner.encode("b"));
      assertThat(out.get(2)).containsExactly(counting.inner.encode("c"));
      assertThat(out.get(3)).containsExactly(counting.inner.encode("a"));
      // b was cached; a, c, a are misses in one call (the duplicate is not yet cached at lookup time)
      assertThat(counting.calls).hasValue(1 + 3);
      assertThat(c.hits()).isEqualTo(1);
    }
  }

  @Test
  void diskCacheSurvivesARestartAndIgnoresATornTail(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    CountingEncoder first = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(first, 10, dir)) {
      c.encodeAll(List.of("alpha", "beta", "gamma"));
    }
    assertThat(first.calls).hasValue(3);
    // simulate a crash mid-append: a partial record at the end
    try (var files = java.nio.file.Files.list(dir)) {
      java.nio.file.Path f = files.findFirst().orElseThrow();
      java.nio.file.Files.write(f, new byte[17], java.nio.file.StandardOpenOption.APPEND);
    }
    CountingEncoder second = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(second, 10, dir)) {
      assertThat(c.encode("beta")).containsExactly(second.inner.encode("beta"));
      assertThat(c.encode("alpha")).containsExactly(second.inner.encode("alpha"));
      assertThat(second.calls).hasValue(0);
      c.encode("delta");
      assertThat(second.calls).hasValue(1);
    }
    CountingEncoder third = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(third, 10, dir)) {
      assertThat(c.encode("delta")).containsExactly(third.inner.encode("delta"));
      assertThat(c.encode("gamma")).containsExactly(third.inner.encode("gamma"));
      assertThat(third.calls).hasValue(0);
    }
  }

  @Test
  void concurrentUseGivesCorrectVectors() throws Exception {
    CountingEncoder counting = new CountingEncoder();
    try (CachingEncoder c = new CachingEncoder(counting, 50)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          for (int i = 0; i < 2000; i++) {
            String text = "text " + (i % 80);
            if (!java.util.Arrays.equals(c.encode(text), counting.inner.encode(text))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> f : results) {
        assertThat(f.get()).isTrue();
      }
      pool.shutdown();
      assertThat(c.hits() + c.misses()).isEqualTo(8000);
      assertThat(c.size()).isLessThanOrEqualTo(50);
    }
  }

  @Test
  void aFullDiskStopsTheDiskLevelNotTheEncoder(@TempDir Path dir) throws Exception {
    Path full = Path.of("/dev/full");
    assumeTrue(Files.exists(full), "needs Linux's /dev/full (every write fails with ENOSPC)");
    CountingEncoder inner = new CountingEncoder();
    // the cache file is /dev/full: it opens (empty) and every append fails as on a full disk
    Files.createSymbolicLink(dir.resolve(inner.id() + ".d32.vec"), full);
    try (CachingEncoder cache = new CachingEncoder(inner, 100, dir)) {
      float[] a = cache.encode("a text on a full disk");
      assertThat(a).containsExactly(inner.inner.encode("a text on a full disk"));
      assertThat(cache.diskFailures()).isEqualTo(1);
      // later texts are not written any more (one failure, logged once), and still encoded and cached in memory
      assertThat(cache.encodeAll(List.of("b", "c", "a text on a full disk")).get(2)).containsExactly(a);
      assertThat(cache.diskFailures()).isEqualTo(1);
      assertThat(inner.calls.get()).isEqualTo(3);
      assertThat(cache.encode("b")).containsExactly(inner.inner.encode("b"));
      assertThat(inner.calls.get()).isEqualTo(3);
    }
  }
}
