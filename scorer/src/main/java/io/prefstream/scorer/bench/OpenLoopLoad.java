package io.prefstream.scorer.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * Sends HTTP requests at a fixed rate whatever the replies do (open loop), and measures each from the moment it was
 * due, so a stalled server shows up as latency instead of as a slower sender (no coordinated omission).
 */
final class OpenLoopLoad {
  private final HttpClient client;
  private final URI uri;

  OpenLoopLoad(HttpClient client, URI uri) {
    this.client = client;
    this.uri = uri;
  }

  record Result(Latencies latencies, long sent, long failed, double achievedRate) {}

  /** @param body the JSON body of request i */
  Result run(double ratePerSec, Duration duration, IntFunction<byte[]> body) throws InterruptedException {
    return run(ratePerSec, duration, body, new Latencies());
  }

  /** As {@link #run(double, Duration, IntFunction)}, adding the samples to {@code lat}. */
  Result run(double ratePerSec, Duration duration, IntFunction<byte[]> body, Latencies lat)
      throws InterruptedException {
    AtomicLong failed = new AtomicLong();
    long intervalNanos = (long) (1e9 / ratePerSec);
    long total = (long) (duration.toNanos() / intervalNanos);
    CountDownLatch done = new CountDownLatch((int) total);
    long t0 = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = t0 + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.apply(i))).build();
      client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
        lat.add(System.nanoTime() - due);
        if (err != null || resp.statusCode() != 200) {
          failed.incrementAndGet();
        }
        done.countDown();
      });
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (!done.await(60, TimeUnit.SECONDS)) {
      failed.addAndGet(done.getCount());
    }
    return new Result(lat, total, failed.get(), total / seconds);
  }
}
