package io.prefstream.protocol.event;

/** Why an incoming record is not a valid preference event. The code is what metrics and DLQ headers carry. */
public enum RejectReason {
  RECORD_TOO_LARGE("record_too_large"),
  EMPTY_RECORD("empty_record"),
  INVALID_UTF8("invalid_utf8"),
  NOT_JSON("not_json"),
  NOT_AN_OBJECT("not_an_object"),
  MISSING_FIELD("missing_field"),
  WRONG_TYPE("wrong_type"),
  FIELD_TOO_LONG("field_too_long"),
  BAD_DOMAIN("bad_domain"),
  CHOSEN_EQUALS_REJECTED("chosen_equals_rejected"),
  STRENGTH_OUT_OF_RANGE("strength_out_of_range"),
  BAD_TIMESTAMP("bad_timestamp"),
  UNSUPPORTED_SCHEMA_VERSION("unsupported_schema_version");

  private final String code;

  RejectReason(String code) {
    this.code = code;
  }

  /** Stable, lower-case identifier used in metric tags and dead-letter headers. */
  public String code() {
    return code;
  }
}
