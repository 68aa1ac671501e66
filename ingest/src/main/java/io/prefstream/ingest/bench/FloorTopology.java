package io.prefstream.ingest.bench;

import io.prefstream.ingest.topology.FastEventReader;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Reference Kafka Streams applications that do a part of ingest's work, run under ingest's exactly-once settings by
 * {@code bench ingest --floor[=WORK]}, so that the benchmark can say how much of the raw rate any application doing
 * that part can reach on the same machine:
 *
 * <ul>
 *   <li>{@link IngestBenchmark.FloorWork#NONE}: read each event, keep nothing, write one 4-byte count per
 *       {@value #COUNT_EVERY} events. The ceiling for any exactly-once Streams application here.
 *   <li>{@link IngestBenchmark.FloorWork#PARSE}: the same, after parsing each event as ingest does
 *       ({@link FastEventReader#parse}).
 *   <li>{@link IngestBenchmark.FloorWork#DURABLE}: what no correct ingest can skip. Parse each event, keep it in a
 *       changelogged store until it has left in a batch (under exactly-once a pending event must survive a crash, and
 *       Kafka Streams commits the input offset past it), and write per user one record holding the original bytes of
 *       {@value #DURABLE_BATCH} events, or fewer every {@value #FLUSH_MS} ms. No dedupe, rate limit, domains or
 *       windows, one changelog record per event (ingest writes two) and slots overwritten in place, so it does strictly
 *       less than ingest: its rate bounds ingest's from above.
 * </ul>
 *
 * Every output value starts with the count of events it stands for ({@link #items}).
 */
final class FloorTopology {
  static final int COUNT_EVERY = 16;
  /** Ingest's default early-emit size. */
  static final int DURABLE_BATCH = 32;
  static final long FLUSH_MS = 250;
  private static final String STORE = "floor-pending";

  private FloorTopology() {}

  static Topology build(String in, String out, IngestBenchmark.FloorWork work) {
    StreamsBuilder builder = new StreamsBuilder();
    var events = builder.stream(in, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
    if (work == IngestBenchmark.FloorWork.DURABLE) {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE), Serdes.Bytes(),
          Serdes.ByteArray()));
      events.process(Durable::new, STORE).to(out, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    } else {
      boolean parse = work == IngestBenchmark.FloorWork.PARSE;
      events.process(() -> new Counter(parse)).to(out, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    }
    return builder.build();
  }

  /** Events one output record of this topology stands for. */
  static int items(byte[] value) {
    return value == null || value.length < 4 ? 0 : ByteBuffer.wrap(value).getInt();
  }

  private static PreferenceEvent parse(Record<byte[], byte[]> record) {
    if (FastEventReader.parse(record.value(), record.timestamp()) instanceof ParseResult.Valid valid) {
      return valid.event();
    }
    throw new IllegalStateException("the benchmark's events are valid");
  }

  private static final class Counter implements Processor<byte[], byte[], byte[], byte[]> {
    private final boolean parse;
    private ProcessorContext<byte[], byte[]> context;
    private int count;

    Counter(boolean parse) {
      this.parse = parse;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      context.schedule(Duration.ofMillis(FLUSH_MS), PunctuationType.WALL_CLOCK_TIME, this::flush);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      if (parse) {
        parse(record);
      }
      if (++count >= COUNT_EVERY) {
        flush(record.timestamp());
      }
    }

    private void flush(long timestamp) {
      if (count > 0) {
        context.forward(new Record<>(null, ByteBuffer.allocate(4).putInt(count).array(), timestamp));
        count = 0;
      }
    }
  }

  private static final class Durable implements Processor<byte[], byte[], byte[], byte[]> {
    private final Map<String, List<byte[]>> pending = new HashMap<>();
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Bytes, byte[]> store;

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
      context.schedule(Duration.ofMillis(FLUSH_MS), PunctuationType.WALL_CLOCK_TIME,
          now -> pending.forEach((user, events) -> emit(user, events, now)));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      String user = parse(record).userId();
      List<byte[]> events = pending.computeIfAbsent(user, u -> new ArrayList<>(DURABLE_BATCH));
      byte[] userBytes = user.getBytes(StandardCharsets.UTF_8);
      store.put(Bytes.wrap(ByteBuffer.allocate(userBytes.length + 4).put(userBytes).putInt(events.size()).array()),
          record.value());
      events.add(record.value());
      if (events.size() >= DURABLE_BATCH) {
        emit(user, events, record.timestamp());
      }
    }

    /** The slots stay in the store and are overwritten by the user's next events, as ingest's are. */
    private void emit(String user, List<byte[]> events, long timestamp) {
      if (events.isEmpty()) {
        return;
      }
      int bytes = 4;
      for (byte[] e : events) {
        bytes += e.length;
      }
      ByteBuffer out = ByteBuffer.allocate(bytes).putInt(events.size());
      events.forEach(out::put);
      context.forward(new Record<>(user.getBytes(StandardCharsets.UTF_8), out.array(), timestamp));
      events.clear();
    }
  }
}
