package io.prefstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.prefstream.ingest.topology.DeadLetter;
import io.prefstream.protocol.event.RejectReason;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ingest service's own meters. Names are what the Grafana dashboard and the alerts in {@code deploy/} query
 * ({@code prefstream_ingest_events_in_total} and so on). Thread-safe: every stream thread shares one instance.
 *
 * <p>Under exactly-once, a transaction that aborts is processed again, so these counters can run slightly ahead of
 * what the output topics hold after a crash; the topics, not the counters, are exact.
 */
public final class IngestMetrics {
  public static final String EVENTS_IN = "prefstream.ingest.events.in";
  public static final String EVENTS_VALID = "prefstream.ingest.events.valid";
  public static final String EVENTS_REJECTED = "prefstream.ingest.events.rejected";
  public static final String EVENTS_DUPLICATE = "prefstream.ingest.events.duplicate";
  public static final String EVENTS_REKEYED = "prefstream.ingest.events.rekeyed";
  public static final String USERS_FORGOTTEN = "prefstream.ingest.users.forgotten";
  public static final String BATCHES_OUT = "prefstream.ingest.batches.out";
  public static final String BATCH_SIZE = "prefstream.ingest.batch.size";
  public static final String LAG = "prefstream.ingest.event.to.batch.lag";
  public static final String RECORDS_TOO_LARGE = "prefstream.ingest.records.too.large";
  public static final String PENDING_EVENTS = "prefstream.ingest.pending.events";
  public static final String DEDUPE_FILTER_BYTES = "prefstream.ingest.dedupe.filter.bytes";

  private final MeterRegistry registry;
  private final Counter eventsIn;
  private final Counter eventsValid;
  private final Counter duplicates;
  private final Counter rekeyed;
  private final Counter forgotten;
  private final DistributionSummary batchSize;
  private final Timer lag;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong dedupeFilterBytes = new AtomicLong();
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
  private final Map<String, Counter> batchesOut = new ConcurrentHashMap<>();
  private final Map<String, Counter> tooLarge = new ConcurrentHashMap<>();

  public IngestMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    eventsIn = Counter.builder(EVENTS_IN).description("records read from the events topic").register(registry);
    eventsValid = Counter.builder(EVENTS_VALID).description("valid preference events").register(registry);
    duplicates = Counter.builder(EVENTS_DUPLICATE)
        .description("valid events dropped because their (userId, eventId) was seen within the dedupe retention")
        .register(registry);
    rekeyed = Counter.builder(EVENTS_REKEYED)
        .description("valid events whose record key was not their userId, re-partitioned by userId")
        .register(registry);
    forgotten = Counter.builder(USERS_FORGOTTEN).description("forget-user tombstones forwarded to batches")
        .register(registry);
    batchSize = DistributionSummary.builder(BATCH_SIZE).description("events per emitted training batch")
        .baseUnit("events").publishPercentileHistogram().maximumExpectedValue(1024.0).register(registry);
    lag = Timer.builder(LAG)
        .description("from an event's record timestamp to the emission of the batch holding it")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
    Gauge.builder(PENDING_EVENTS, pending, AtomicLong::get)
        .description("valid events waiting in open batches of this instance's tasks").register(registry);
    Gauge.builder(DEDUPE_FILTER_BYTES, dedupeFilterBytes, AtomicLong::get).baseUnit("bytes")
        .description("memory of the Bloom filters in front of this instance's dedupe stores").register(registry);
    // every reason's series exists from the start (at 0), so rate() in the DLQ alert sees it before the first reject
    for (RejectReason reason : RejectReason.values()) {
      rejectedCounter(reason.code());
    }
    rejectedCounter(DeadLetter.TOMBSTONE_WITHOUT_KEY);
    rejectedCounter(DeadLetter.UNBATCHABLE);
    rejectedCounter(DeadLetter.RATE_LIMITED);
  }

  private Counter rejectedCounter(String reasonCode) {
    return rejected.computeIfAbsent(reasonCode, r -> Counter.builder(EVENTS_REJECTED)
        .description("records sent to the dead-letter topic, by reason").tag("reason", r).register(registry));
  }

  /** @param delta events added to (positive) or emitted from or handed off by (negative) open batches */
  public void pending(long delta) {
    pending.addAndGet(delta);
  }

  /** @param delta bytes the dedupe filters of a task grew (positive) or freed (negative) */
  public void dedupeFilterBytes(long delta) {
    dedupeFilterBytes.addAndGet(delta);
  }

  public void eventIn() {
    eventsIn.increment();
  }

  public void valid() {
    eventsValid.increment();
  }

  public void rejected(String reasonCode) {
    rejectedCounter(reasonCode).increment();
  }

  public void duplicate() {
    duplicates.increment();
  }

  public void rekeyed() {
    rekeyed.increment();
  }

  public void userForgotten() {
    forgotten.increment();
  }

  /** @param trigger {@code size}, {@code bytes}, {@code window} or {@code forget}: why the batch was emitted */
  public void batchOut(String trigger, int events) {
    batchesOut.computeIfAbsent(trigger, t -> Counter.builder(BATCHES_OUT)
        .description("training batches emitted, by trigger").tag("trigger", t).register(registry)).increment();
    batchSize.record(events);
  }

  public void lag(long millis) {
    lag.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  public void recordTooLarge(String topic) {
    tooLarge.computeIfAbsent(topic, t -> Counter.builder(RECORDS_TOO_LARGE)
        .description("output records the producer refused as too large (logged with their key)")
        .tag("topic", t).register(registry)).increment();
  }

  /** {@code prefstream.ingest.kafka.connected}: 1 when ingest's last probe of Kafka got an answer, else 0. */
  public void kafkaConnected(java.util.function.BooleanSupplier connected) {
    Gauge.builder("prefstream.ingest.kafka.connected", connected, c -> c.getAsBoolean() ? 1 : 0)
        .description("1 when ingest's last probe of Kafka got an answer, else 0 (events wait in the topic)")
        .strongReference(true) // the supplier is a lambda nothing else holds: a weak gauge would read NaN
        .register(registry);
  }
}
