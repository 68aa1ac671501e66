package io.prefstream.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.testdata.Events;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The batching processor alone, with a wall clock the test controls, including one that steps back. */
class BatchingProcessorClockTest {

  @Test
  void aClockSteppingBackNeverRepeatsABatchId() {
    MockProcessorContext<String, byte[]> context = new MockProcessorContext<>();
    KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(
        Stores.inMemoryKeyValueStore(IngestTopology.PENDING_STORE), Serdes.Bytes(), Serdes.ByteArray())
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    BatchingProcessor batcher = new BatchingProcessor(IngestTopology.PENDING_STORE, Duration.ofSeconds(1), 32,
        1024 * 1024, new IngestMetrics(new SimpleMeterRegistry()));
    batcher.init(context);

    long t0 = 1_800_000_000_000L;
    context.setCurrentSystemTimeMs(t0 + 100);
    send(batcher, "e1");
    context.setCurrentSystemTimeMs(t0 + 1_100); // window [t0, t0+1000) is due; e2 closes it and opens the next
    send(batcher, "e2");
    context.setCurrentSystemTimeMs(t0 + 2_100);
    send(batcher, "e3"); // closes [t0+1000, ...) and opens [t0+2000, ...)
    context.setCurrentSystemTimeMs(t0 + 2_500);
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(t0 + 3_100); // closes [t0+2000, ...)
    context.setCurrentSystemTimeMs(t0 + 500); // NTP steps the clock back by 2.6 s
    send(batcher, "e4");
    context.setCurrentSystemTimeMs(t0 + 4_100);
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(t0 + 4_100);

    List<String> ids = new ArrayList<>();
    for (var forwarded : context.forwarded()) {
      ids.add(TrainingBatchCodec.decode(forwarded.record().value()).batchId());
    }
    assertThat(ids).containsExactly("u1/support/" + t0 + "/0", "u1/support/" + (t0 + 1000) + "/0",
        "u1/support/" + (t0 + 2000) + "/0", "u1/support/" + (t0 + 3000) + "/0");
  }

  private static void send(BatchingProcessor batcher, String eventId) {
    byte[] raw = Events.valid(eventId, "u1", "support");
    var event = ((ParseResult.Valid) EventParser.parse(raw, 0L)).event();
    batcher.process(new Record<>("u1", new Outcome.Accepted(event, raw, 0L), 0L));
  }
}
