package io.prefstream.protocol.event;

import java.util.Objects;

/** Outcome of parsing one record: a valid event, or the reason it was rejected with a human-readable detail. */
public sealed interface ParseResult {

  record Valid(PreferenceEvent event) implements ParseResult {
    public Valid {
      Objects.requireNonNull(event, "event");
    }
  }

  record Invalid(RejectReason reason, String detail) implements ParseResult {
    public Invalid {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }
}
