package io.prefstream.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.testdata.Events;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pending-batch store keeps event slots after a batch is emitted (stale, overwritten by the next batch) instead
 * of deleting them one by one: a restart must still restore exactly the live events, a forgotten user must leave no
 * event behind, and idle pairs must not keep their slots forever.
 */
class PendingSlotsTest {
  private static final long T0 = 1_800_000_000_000L;

  private MockProcessorContext<String, byte[]> context;
  private KeyValueStore<Bytes, byte[]> store;

  @BeforeEach
  void setUp() {
    context = new MockProcessorContext<>();
    store = Stores.keyValueStoreBuilder(
        HashKeyValueStore.supplier(IngestTopology.PENDING_STORE), Serdes.Bytes(), Serdes.ByteArray())
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
  }

  private BatchingProcessor newBatcher() {
    BatchingProcessor batcher = new BatchingProcessor(IngestTopology.PENDING_STORE, Duration.ofSeconds(1), 2,
        1024 * 1024, new IngestMetrics(new SimpleMeterRegistry()));
    batcher.init(context);
    return batcher;
  }

  @Test
  void aRestartRestoresOnlyTheEventsOfTheOpenBatch() {
    BatchingProcessor first = newBatcher();
    context.setCurrentSystemTimeMs(T0 + 100);
    send(first, "u1", "e1");
    send(first, "u1", "e2"); // early emit at 2 events: slots 0 and 1 turn stale
    send(first, "u1", "e3"); // overwrites slot 0; slot 1 still holds e2, stale
    assertThat(batches()).extracting(b -> eventIds(b)).containsExactly(List.of("e1", "e2"));
    assertThat(eventEntries("u1")).isEqualTo(2);
    first.close();

    context.resetForwards();
    BatchingProcessor second = newBatcher(); // same store: what a restart restores from the changelog
    assertThat(eventEntries("u1")).as("the stale slot is deleted on restore").isEqualTo(1);
    context.setCurrentSystemTimeMs(T0 + 1_100);
    context.scheduledPunctuators().get(context.scheduledPunctuators().size() - 1).getPunctuator()
        .punctuate(T0 + 1_100);
    List<TrainingBatch> out = batches();
    assertThat(out).extracting(b -> eventIds(b)).containsExactly(List.of("e3"));
    assertThat(out.get(0).batchId()).isEqualTo("u1/support/" + T0 + "/1");
    second.close();
  }

  @Test
  void closedPairsReuseTheirSlotsAndIdleOnesAreDeletedAfterTheGrace() {
    BatchingProcessor batcher = newBatcher();
    context.setCurrentSystemTimeMs(T0 + 100);
    send(batcher, "u1", "e1");
    punctuate(T0 + 1_100); // window closes: the slot stays, stale
    assertThat(eventEntries("u1")).isEqualTo(1);
    context.setCurrentSystemTimeMs(T0 + 1_200);
    send(batcher, "u1", "e2"); // overwrites slot 0
    assertThat(eventEntries("u1")).isEqualTo(1);
    punctuate(T0 + 2_100);
    punctuate(T0 + 2_100 + 9_000);
    assertThat(eventEntries("u1")).as("still within the grace").isEqualTo(1);
    punctuate(T0 + 2_100 + 10_000);
    assertThat(eventEntries("u1")).isZero();
    assertThat(allEntries()).isZero();
    assertThat(batches()).extracting(b -> eventIds(b)).containsExactly(List.of("e1"), List.of("e2"));
  }

  @Test
  void forgettingAUserDeletesAllItsSlotsAtOnce() {
    BatchingProcessor batcher = newBatcher();
    context.setCurrentSystemTimeMs(T0 + 100);
    send(batcher, "u1", "e1");
    send(batcher, "u1", "e2"); // emitted, 2 stale slots
    send(batcher, "u1", "e3"); // pending in slot 0
    send(batcher, "u2", "f1");
    batcher.process(new Record<>("u1", new Outcome.Forget("u1"), T0));
    assertThat(eventEntries("u1")).isZero();
    assertThat(eventEntries("u2")).isEqualTo(1);
    punctuate(T0 + 1_100);
    context.setCurrentSystemTimeMs(T0 + 1_200);
    send(batcher, "u1", "e4");
    punctuate(T0 + 2_100); // u1's window closed again: one stale slot, within the grace
    assertThat(eventEntries("u1")).isEqualTo(1);
    batcher.process(new Record<>("u1", new Outcome.Forget("u1"), T0));
    assertThat(eventEntries("u1")).as("closed pairs' slots go too").isZero();
    assertThat(eventEntries("u2")).isEqualTo(1);
  }

  private void punctuate(long now) {
    context.setCurrentSystemTimeMs(now);
    context.scheduledPunctuators().get(context.scheduledPunctuators().size() - 1).getPunctuator().punctuate(now);
  }

  private List<TrainingBatch> batches() {
    List<TrainingBatch> out = new ArrayList<>();
    for (var forwarded : context.forwarded()) {
      if (forwarded.record().value() != null) {
        out.add(TrainingBatchCodec.decode(forwarded.record().value()));
      }
    }
    return out;
  }

  private static List<String> eventIds(TrainingBatch batch) {
    return batch.events().stream().map(PreferenceEvent::eventId).toList();
  }

  private int eventEntries(String userId) {
    int n = 0;
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> kv = it.next();
        PendingKeys.Parsed k = PendingKeys.parse(kv.key);
        if (k.userId().equals(userId) && k.kind() == PendingKeys.EVENT) {
          n++;
        }
      }
    }
    return n;
  }

  private int allEntries() {
    int n = 0;
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private static void send(BatchingProcessor batcher, String userId, String eventId) {
    byte[] raw = Events.valid(eventId, userId, "support");
    PreferenceEvent event = ((ParseResult.Valid) EventParser.parse(raw, T0)).event();
    batcher.process(new Record<>(userId, new Outcome.Accepted(event, raw, T0), T0));
  }
}
