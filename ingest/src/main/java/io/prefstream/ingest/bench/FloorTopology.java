package io.prefstream.ingest.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The least any Kafka Streams application under exactly-once can do with the benchmark's input: read each event,
 * keep nothing, and write one small record per {@value #PER_OUTPUT} events (about ingest's output rate) holding the
 * count. It parses nothing and has no state stores, so its rate is the ceiling for ingest on the same machine and
 * settings ({@code bench ingest --floor}).
 */
final class FloorTopology {
  static final int PER_OUTPUT = 16;
  /** {@code -Dprefstream.bench.floor.parse=true}: also parse each event with the protocol's parser (its cost alone). */
  private static final boolean PARSE = Boolean.getBoolean("prefstream.bench.floor.parse");

  private FloorTopology() {}

  static Topology build(String in, String out) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(in, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .process(Counter::new)
        .to(out, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    return builder.build();
  }

  /** Items in one output record of this topology. */
  static int items(byte[] value) {
    return value == null || value.length != 4 ? 0 : ByteBuffer.wrap(value).getInt();
  }

  private static final class Counter implements Processor<byte[], byte[], byte[], byte[]> {
    private ProcessorContext<byte[], byte[]> context;
    private int count;

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      context.schedule(Duration.ofMillis(250), PunctuationType.WALL_CLOCK_TIME, now -> flush(now));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      if (PARSE && !(io.prefstream.protocol.event.EventParser.parse(record.value(), record.timestamp())
          instanceof io.prefstream.protocol.event.ParseResult.Valid)) {
        throw new IllegalStateException("the benchmark's events are valid");
      }
      if (++count >= PER_OUTPUT) {
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
}
