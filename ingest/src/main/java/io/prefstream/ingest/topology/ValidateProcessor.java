package io.prefstream.ingest.topology;

import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Parses and validates each record of the events topic. It never throws for bad input: every record becomes an
 * {@link Outcome}, and rejected ones carry dead-letter headers naming the reason and the source coordinates.
 */
final class ValidateProcessor implements Processor<byte[], byte[], byte[], Outcome> {
  private final IngestMetrics metrics;
  private final boolean firstPass;
  private ProcessorContext<byte[], Outcome> context;

  /**
   * @param firstPass true on the events topic; false after re-partitioning by userId, where the record was already
   *     counted and its key is its userId by construction
   */
  ValidateProcessor(IngestMetrics metrics, boolean firstPass) {
    this.metrics = metrics;
    this.firstPass = firstPass;
  }

  @Override
  public void init(ProcessorContext<byte[], Outcome> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (firstPass) {
      metrics.eventIn();
    }
    byte[] key = record.key();
    byte[] value = record.value();
    if (value == null) {
      if (key != null && key.length > 0) {
        context.forward(record.withValue(new Outcome.Forget(new String(key, StandardCharsets.UTF_8))));
      } else {
        reject(record, DeadLetter.TOMBSTONE_WITHOUT_KEY,
            "a record with a null value forgets the user named by its key, but the key is "
                + (key == null ? "null" : "empty") + "; key it by the userId to forget");
      }
      return;
    }
    ParseResult result = FastEventReader.parse(value, record.timestamp());
    if (result instanceof ParseResult.Invalid invalid) {
      reject(record, invalid.reason().code(), invalid.detail());
      return;
    }
    PreferenceEvent event = ((ParseResult.Valid) result).event();
    String unbatchable = BatchFit.problem(event);
    if (unbatchable != null) {
      reject(record, DeadLetter.UNBATCHABLE, unbatchable);
      return;
    }
    byte[] userKey = event.userId().getBytes(StandardCharsets.UTF_8);
    if (firstPass) {
      metrics.valid();
    }
    if (firstPass && !Arrays.equals(key, userKey)) {
      metrics.rekeyed();
      context.forward(record.withKey(userKey).withValue(new Outcome.Misrouted(value)));
      return;
    }
    context.forward(record.withKey(userKey).withValue(new Outcome.Accepted(event, value, record.timestamp())));
  }

  private void reject(Record<byte[], byte[]> record, String reasonCode, String detail) {
    metrics.rejected(reasonCode);
    RecordMetadata source = context.recordMetadata().orElse(null);
    context.forward(new Record<byte[], Outcome>(record.key(), new Outcome.Rejected(record.value(), reasonCode, detail),
        record.timestamp(), DeadLetter.headers(record.headers(), reasonCode, detail,
            source == null ? "unknown" : source.topic(), source == null ? -1 : source.partition(),
            source == null ? -1L : source.offset())));
  }
}
