package io.prefstream.ingest.topology;

import io.prefstream.ingest.metrics.IngestMetrics;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record the producer refuses as too large would otherwise stop the application on every restart (it is
 * produced again from the same input). Such records are logged with their key and counted in
 * {@code prefstream.ingest.records.too.large}; every other production error stops the application as usual.
 * Batches stay under {@code ingest.batch.max.bytes}, so this only fires for a single event close to 1 MiB on a topic
 * whose {@code max.message.bytes} is the broker default.
 */
public final class TooLargeRecordHandler implements ProductionExceptionHandler {
  /** Streams config key under which the service passes its {@link IngestMetrics} instance. */
  public static final String METRICS_CONFIG = "prefstream.ingest.metrics";
  private static final Logger log = LoggerFactory.getLogger(TooLargeRecordHandler.class);
  private IngestMetrics metrics;

  @Override
  public void configure(Map<String, ?> configs) {
    Object m = configs.get(METRICS_CONFIG);
    metrics = m instanceof IngestMetrics im ? im : null;
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (exception instanceof RecordTooLargeException) {
      log.error("record of {} bytes for topic {} (key {}) is too large for the broker and is skipped: {}",
          record.value() == null ? 0 : record.value().length, record.topic(),
          record.key() == null ? "null" : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8),
          exception.getMessage());
      if (metrics != null) {
        metrics.recordTooLarge(record.topic());
      }
      return Response.resume();
    }
    return Response.fail();
  }
}
