package io.prefstream.ingest.topology;

import io.prefstream.protocol.event.PreferenceEvent;
import java.util.Objects;

/** What validation made of one record on the events topic; it decides where the record goes next. */
public sealed interface Outcome {

  /** Not a valid event: goes to the dead-letter topic with its original key and value bytes. */
  record Rejected(byte[] rawValue, String reasonCode, String detail) implements Outcome {
    public Rejected {
      Objects.requireNonNull(reasonCode, "reasonCode");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * A valid event whose record key is not its userId (or is missing): it is re-partitioned by userId first, so
   * that all events of one user are deduplicated and batched by the same task.
   */
  record Misrouted(byte[] rawValue) implements Outcome {}

  /**
   * A valid event on the partition of its userId.
   *
   * @param rawValue the original record value; the pending-batch store keeps it to rebuild the event after a restart
   * @param recordTimestampMs the Kafka record's timestamp, the start of the end-to-end lag
   */
  record Accepted(PreferenceEvent event, byte[] rawValue, long recordTimestampMs) implements Outcome {
    public Accepted {
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(rawValue, "rawValue");
    }
  }

  /** A tombstone keyed by a userId: forget this user. */
  record Forget(String userId) implements Outcome {
    public Forget {
      Objects.requireNonNull(userId, "userId");
    }
  }
}
