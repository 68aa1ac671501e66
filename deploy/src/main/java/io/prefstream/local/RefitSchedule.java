package io.prefstream.local;

import io.prefstream.learner.refit.BaseRefitJob;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs {@code refit-base} in the local process at a fixed period, as the CronJob does in a cluster. */
final class RefitSchedule implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RefitSchedule.class);

  private final BaseRefitJob job;
  private final ScheduledExecutorService executor;
  private final AtomicLong published = new AtomicLong();

  RefitSchedule(BaseRefitJob job, Duration every) {
    this.job = job;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "local-refit-base");
      t.setDaemon(true);
      return t;
    });
    executor.scheduleWithFixedDelay(this::runOnce, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runOnce() {
    try {
      BaseRefitJob.Report r = job.run(true);
      if (r.published()) {
        published.incrementAndGet();
        StringBuilder types = new StringBuilder();
        for (var d : r.refit().domains()) {
          if (!d.typeSizes().isEmpty()) {
            types.append(String.format(java.util.Locale.ROOT, "; %s: user types of %s models, %.0f%% of the spread",
                d.domain(), d.typeSizes(), 100 * d.typeExplained()));
          }
        }
        log.info("refit-base published base v{} ({} customized models{})", r.base().version(), r.models(), types);
      }
    } catch (RuntimeException e) {
      // The next period tries again; the services keep running on the base they have.
      log.warn("refit-base failed: {}", e.toString());
    }
  }

  /** Base versions published so far. */
  long published() {
    return published.get();
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
