package io.prefstream.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.UserRateLimit;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.testdata.Events;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dedupe step answers "new" from in-memory Bloom filters without reading its store; a processor that starts on a
 * store it did not fill (a restart restoring from the changelog, a task moved here) must still drop the ids that store
 * holds, so the filters have to be rebuilt from it.
 */
class DedupeRestartTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final long RETENTION_MS = Duration.ofHours(24).toMillis();

  private MockProcessorContext<String, Outcome> context;
  private WindowStore<Bytes, byte[]> store;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final IngestMetrics metrics = new IngestMetrics(registry);

  @BeforeEach
  void setUp() {
    context = new MockProcessorContext<>();
    store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore(IngestTopology.DEDUPE_STORE,
            Duration.ofMillis(RETENTION_MS + DedupeProcessor.bucketMs(RETENTION_MS)), Duration.ofMillis(1), false),
        Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private DedupeProcessor newDedupe() {
    DedupeProcessor dedupe = new DedupeProcessor(IngestTopology.DEDUPE_STORE, RETENTION_MS,
        UserRateLimit.DISABLED, metrics);
    dedupe.init(context);
    return dedupe;
  }

  @Test
  void idsStoredBeforeARestartAreStillDuplicatesAfterIt() {
    DedupeProcessor first = newDedupe();
    context.setCurrentSystemTimeMs(T0);
    send(first, "u1", "e1");
    context.setCurrentSystemTimeMs(T0 + RETENTION_MS / 2); // a later bucket
    send(first, "u1", "e2");
    send(first, "u1", "e2");
    assertThat(forwardedIds()).containsExactly("e1", "e2");
    assertThat(filterBytes()).isPositive();
    first.close();
    assertThat(filterBytes()).as("a closed task's filters are no longer counted").isZero();

    context.resetForwards();
    DedupeProcessor second = newDedupe(); // same store: what a restart restores from the changelog
    send(second, "u1", "e1");
    send(second, "u1", "e2");
    send(second, "u1", "e3");
    send(second, "u2", "e1"); // same id, other user
    assertThat(forwardedIds()).containsExactly("e3", "e1");
    assertThat(duplicates()).isEqualTo(3.0);
    second.close();
  }

  @Test
  void anIdIsNewAgainOnlyAfterTheRetention() {
    DedupeProcessor dedupe = newDedupe();
    context.setCurrentSystemTimeMs(T0);
    send(dedupe, "u1", "e1");
    context.setCurrentSystemTimeMs(T0 + RETENTION_MS - 1);
    send(dedupe, "u1", "e1");
    assertThat(forwardedIds()).containsExactly("e1");
    // at most a quarter past the retention the id's bucket, and its filter, are gone
    context.setCurrentSystemTimeMs(T0 + RETENTION_MS + DedupeProcessor.bucketMs(RETENTION_MS) + 1);
    send(dedupe, "u1", "e1");
    assertThat(forwardedIds()).containsExactly("e1", "e1");
    dedupe.close();
  }

  private void send(DedupeProcessor dedupe, String user, String eventId) {
    byte[] raw = Events.valid(eventId, user, "support");
    ParseResult.Valid valid = (ParseResult.Valid) EventParser.parse(raw, context.currentSystemTimeMs());
    dedupe.process(new Record<>(user.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        new Outcome.Accepted(valid.event(), raw, context.currentSystemTimeMs()), context.currentSystemTimeMs()));
  }

  private List<String> forwardedIds() {
    return context.forwarded().stream()
        .map(f -> ((Outcome.Accepted) f.record().value()).event().eventId()).toList();
  }

  private double duplicates() {
    return registry.get(IngestMetrics.EVENTS_DUPLICATE).counter().count();
  }

  private double filterBytes() {
    return registry.get(IngestMetrics.DEDUPE_FILTER_BYTES).gauge().value();
  }
}
