package io.prefstream.ingest.topology;

import io.prefstream.protocol.batch.MalformedBatchException;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.PreferenceEvent;
import java.util.List;

/**
 * Checks that a valid event survives the trip through a training batch. Only unknown fields (extensions) can break
 * it, by nesting deeper than the JSON reader allows once the batch wraps the event, so events without extensions
 * (nearly all) are not checked at all.
 */
final class BatchFit {
  private BatchFit() {}

  /** @return null when the event can be batched, else why not */
  static String problem(PreferenceEvent event) {
    if (event.extensions().isEmpty()) {
      return null;
    }
    try {
      TrainingBatchCodec.decode(TrainingBatchCodec.encode(new TrainingBatch(
          "check", event.userId(), event.domain(), 0L, 1L, false, List.of(event))));
      return null;
    } catch (MalformedBatchException | IllegalStateException e) {
      return "event " + truncate(event.eventId()) + " is valid alone but a training batch cannot carry it "
          + "(its unknown fields nest too deep or do not re-encode): " + e.getMessage();
    }
  }

  private static String truncate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
