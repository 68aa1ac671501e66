package io.prefstream.learner;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefstream.model.encoder.CachingEncoder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The learner's meters ({@code prefstream.learner.*}). Updated by the processing thread only after a transaction
 * commits, so they count what really happened, never work that was aborted and replayed.
 */
final class LearnerMetrics {
  /** Outcomes per domain for the progressive-accuracy gauge: a sliding window of the last events. */
  static final int DOMAIN_WINDOW = 1000;

  private final MeterRegistry registry;
  private final Map<String, Counter> eventsLearned = new ConcurrentHashMap<>();
  private final Map<String, Window> progressive = new ConcurrentHashMap<>();
  private final Map<String, Counter> rejections = new ConcurrentHashMap<>();
  private final Window overall = new Window(DOMAIN_WINDOW);
  private final Counter checkpoints;
  private final Counter deadLettered;
  private final Counter duplicates;
  private final Counter forgotten;
  private final Counter aborted;
  private final Counter steps;
  private final Counter baseSwitches;
  private final Counter basesRefused;
  private final Counter keysRebased;
  private final Counter keysTypeMoved;
  private final AtomicLong baseVersion = new AtomicLong(-1);
  private final Timer publishLatency;
  private final Timer eventToCheckpoint;
  private final AtomicReference<Double> loss = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> stepsPerSecond = new AtomicReference<>(0.0);
  private final AtomicLong lag = new AtomicLong();
  private final AtomicLong eventsTotal = new AtomicLong();
  private final AtomicLong checkpointsTotal = new AtomicLong();

  LearnerMetrics(MeterRegistry registry) {
    this.registry = registry;
    checkpoints = Counter.builder("prefstream.learner.checkpoints.published")
        .description("customized-model checkpoints committed to the models topic").register(registry);
    deadLettered = Counter.builder("prefstream.learner.batches.dead.lettered")
        .description("unreadable batch records sent to the batches dead-letter topic").register(registry);
    duplicates = Counter.builder("prefstream.learner.batches.duplicate")
        .description("batches skipped because their batchId was already applied").register(registry);
    forgotten = Counter.builder("prefstream.learner.models.forgotten")
        .description("(user, domain) models removed because the user asked to be forgotten").register(registry);
    aborted = Counter.builder("prefstream.learner.transactions.aborted")
        .description("transactions aborted and replayed from the last committed offsets").register(registry);
    steps = Counter.builder("prefstream.learner.steps")
        .description("gradient steps applied, summed over keys (rate = steps/s)").register(registry);
    baseSwitches = Counter.builder("prefstream.learner.base.switches")
        .description("newer base versions adopted while running (refit-base or another learner's bootstrap)")
        .register(registry);
    basesRefused = Counter.builder("prefstream.learner.bases.refused")
        .description("newer base versions not adopted: another encoder or feature layout").register(registry);
    keysRebased = Counter.builder("prefstream.learner.keys.rebased")
        .description("(user, domain) models moved onto the current base version, their scores unchanged")
        .register(registry);
    keysTypeMoved = Counter.builder("prefstream.learner.keys.type.moves")
        .description("young (user, domain) models moved to the base's user type that explains their events best")
        .register(registry);
    Gauge.builder("prefstream.learner.base.version", baseVersion, AtomicLong::get)
        .description("the base version the learner trains on").register(registry);
    publishLatency = Timer.builder("prefstream.learner.checkpoint.publish")
        .description("time from starting a transaction to its commit").publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    eventToCheckpoint = Timer.builder("prefstream.learner.event.to.checkpoint")
        .description("time from the newest event a checkpoint covers to the checkpoint's commit")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
        .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
    Gauge.builder("prefstream.learner.loss", loss, AtomicReference::get)
        .description("mean per-key training loss of the last transaction").register(registry);
    Gauge.builder("prefstream.learner.steps.per.second", stepsPerSecond, AtomicReference::get)
        .description("per-key gradient steps per second of device time in the last transaction").register(registry);
    Gauge.builder("prefstream.learner.consumer.lag", lag, AtomicLong::get)
        .description("batch records not yet consumed on the assigned partitions").register(registry);
    Gauge.builder("prefstream.learner.progressive.accuracy.overall", overall, Window::accuracy)
        .description("progressive accuracy over the last " + DOMAIN_WINDOW + " events of all domains")
        .register(registry);
  }

  void device(String device) {
    Gauge.builder("prefstream.learner.device", () -> 1).tag("device", device)
        .description("the DJL device the learner trains on").register(registry);
  }

  void eventsLearned(String domain, long n) {
    eventsLearned.computeIfAbsent(domain, d -> Counter.builder("prefstream.learner.events.learned").tag("domain", d)
        .description("preference events learned from").register(registry)).increment(n);
    eventsTotal.addAndGet(n);
  }

  void progressive(String domain, long scored, long correct) {
    Window w = progressive.computeIfAbsent(domain, d -> {
      Window nw = new Window(DOMAIN_WINDOW);
      Gauge.builder("prefstream.learner.progressive.accuracy", nw, Window::accuracy).tag("domain", d)
          .description("accuracy of the model on each event before learning from it, last " + DOMAIN_WINDOW
              + " events of the domain").register(registry);
      return nw;
    });
    w.add(scored, correct);
    overall.add(scored, correct);
  }

  void rejected(String reason, long n) {
    rejections.computeIfAbsent(reason, r -> Counter.builder("prefstream.learner.gate.rejections").tag("reason", r)
        .description("new model versions not published by the promotion gate").register(registry)).increment(n);
  }

  void published(long n) {
    checkpoints.increment(n);
    checkpointsTotal.addAndGet(n);
  }

  void eventToCheckpoint(long millis) {
    if (millis >= 0) {
      eventToCheckpoint.record(millis, TimeUnit.MILLISECONDS);
    }
  }

  void publishLatency(long nanos) {
    publishLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  void training(long stepCount, long trainNanos, double meanLoss) {
    steps.increment(stepCount);
    if (trainNanos > 0) {
      stepsPerSecond.set(stepCount * 1e9 / trainNanos);
    }
    if (!Double.isNaN(meanLoss)) {
      loss.set(meanLoss);
    }
  }

  void baseVersion(long version) {
    if (baseVersion.getAndSet(version) >= 0) {
      baseSwitches.increment();
    }
  }

  void baseRefused() {
    basesRefused.increment();
  }

  void rebased(long n) {
    keysRebased.increment(n);
  }

  void typeMoves(long n) {
    keysTypeMoved.increment(n);
  }

  void deadLettered() {
    deadLettered.increment();
  }

  void duplicates(long n) {
    duplicates.increment(n);
  }

  void forgotten(long n) {
    forgotten.increment(n);
  }

  void aborted() {
    aborted.increment();
  }

  void lag(long value) {
    lag.set(value);
  }

  long eventsTotal() {
    return eventsTotal.get();
  }

  long checkpointsTotal() {
    return checkpointsTotal.get();
  }

  double overallAccuracy() {
    return overall.accuracy();
  }

  /** A sliding window of outcomes kept as per-update counts (an update may carry many events). */
  static final class Window {
    private final int size;
    private final java.util.ArrayDeque<long[]> parts = new java.util.ArrayDeque<>();
    private long scored;
    private long correct;

    Window(int size) {
      this.size = size;
    }

    synchronized void add(long s, long c) {
      parts.addLast(new long[] {s, c});
      scored += s;
      correct += c;
      while (parts.size() > 1 && scored - parts.peekFirst()[0] >= size) {
        long[] old = parts.removeFirst();
        scored -= old[0];
        correct -= old[1];
      }
    }

    synchronized double accuracy() {
      return scored == 0 ? Double.NaN : (double) correct / scored;
    }
  }

  void kafkaConnected(java.util.function.BooleanSupplier connected) {
    Gauge.builder("prefstream.learner.kafka.connected", connected, c -> c.getAsBoolean() ? 1 : 0)
        .description("1 when the learner's last probe of Kafka got an answer, else 0")
        .strongReference(true) // the supplier is a lambda nothing else holds: a weak gauge would read NaN
        .register(registry);
  }

  void embeddingCache(CachingEncoder cache) {
    FunctionCounter.builder("prefstream.learner.encoder.cache.disk.failures", cache, CachingEncoder::diskFailures)
        .description("failed reads and writes of the on-disk embedding cache (disk full, I/O errors); after the "
            + "first one it stops writing and texts it misses are encoded again")
        .register(registry);
  }
}
