package io.prefstream.protocol.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

class EventParserTest {
  private static final String VALID =
      "{\"eventId\":\"e1\",\"userId\":\"u1\",\"domain\":\"support\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}";

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String with(String field, String jsonValue) {
    return VALID.substring(0, VALID.length() - 1) + ",\"" + field + "\":" + jsonValue + "}";
  }

  @Test
  void parsesValidEventWithDefaults() {
    ParseResult r = EventParser.parse(bytes(VALID), 1234L);
    assertThat(r).isInstanceOf(ParseResult.Valid.class);
    PreferenceEvent e = ((ParseResult.Valid) r).event();
    assertThat(e.eventId()).isEqualTo("e1");
    assertThat(e.userId()).isEqualTo("u1");
    assertThat(e.domain()).isEqualTo("support");
    assertThat(e.strength()).isEqualTo(1.0);
    assertThat(e.timestampMs()).isEqualTo(1234L);
    assertThat(e.schemaVersion()).isNull();
  }

  @Test
  void readsStrengthAndBothTimestampForms() {
    PreferenceEvent millis = valid(with("strength", "0.25").replace("}", ",\"timestamp\":42}"));
    assertThat(millis.strength()).isEqualTo(0.25);
    assertThat(millis.timestampMs()).isEqualTo(42L);
    PreferenceEvent iso = valid(with("timestamp", "\"2026-01-02T03:04:05.006Z\""));
    assertThat(iso.timestampMs()).isEqualTo(1767323045006L);
  }

  @Test
  void anEventNestedAsDeepAsAllowedStillFitsInsideATrainingBatch() {
    // the event object is depth 1, so an extension may add MAX_EVENT_NESTING - 1 levels
    int levels = io.prefstream.protocol.json.Json.MAX_EVENT_NESTING - 1;
    PreferenceEvent deepest = valid(with("x-deep", "[".repeat(levels) + "]".repeat(levels)));
    var batch = new io.prefstream.protocol.batch.TrainingBatch("u1/support/0/0", "u1", "support", 0, 1000, false,
        java.util.List.of(deepest));
    var decoded = io.prefstream.protocol.batch.TrainingBatchCodec.decode(
        io.prefstream.protocol.batch.TrainingBatchCodec.encode(batch));
    assertThat(decoded.events()).containsExactly(deepest);

    ParseResult tooDeep = EventParser.parse(bytes(with("x-deep", "[".repeat(levels + 1) + "]".repeat(levels + 1))), 0L);
    assertThat(tooDeep).isInstanceOf(ParseResult.Invalid.class);
    assertThat(((ParseResult.Invalid) tooDeep).reason()).isEqualTo(RejectReason.NOT_JSON);
  }

  @Test
  void keepsUnknownFieldsThroughARoundTrip() {
    PreferenceEvent e = valid(with("x-app", "{\"nested\":[1,2]}").replace("}}", "},\"schemaVersion\":1}"));
    assertThat(e.extensions()).containsEntry("x-app", "{\"nested\":[1,2]}");
    PreferenceEvent again = valid(new String(EventParser.toJson(e), StandardCharsets.UTF_8));
    assertThat(again).isEqualTo(e);
  }

  static Stream<Arguments> rejections() {
    String big = "x".repeat(32 * 1024 + 1);
    return Stream.of(
        Arguments.of("", RejectReason.EMPTY_RECORD),
        Arguments.of("not json", RejectReason.NOT_JSON),
        Arguments.of("{\"eventId\":\"e1\"", RejectReason.NOT_JSON),
        Arguments.of(VALID + " trailing", RejectReason.NOT_JSON),
        Arguments.of(with("eventId", "\"dup\""), RejectReason.NOT_JSON),
        Arguments.of("[1,2,3]", RejectReason.NOT_AN_OBJECT),
        Arguments.of("\"text\"", RejectReason.NOT_AN_OBJECT),
        Arguments.of(VALID.replace("\"eventId\":\"e1\",", ""), RejectReason.MISSING_FIELD),
        Arguments.of(VALID.replace("\"userId\":\"u1\"", "\"userId\":null"), RejectReason.MISSING_FIELD),
        Arguments.of(VALID.replace("\"prompt\":\"p\"", "\"prompt\":7"), RejectReason.WRONG_TYPE),
        Arguments.of(VALID.replace("\"eventId\":\"e1\"", "\"eventId\":\"" + "e".repeat(129) + "\""),
            RejectReason.FIELD_TOO_LONG),
        Arguments.of(VALID.replace("\"eventId\":\"e1\"", "\"eventId\":\"\""), RejectReason.FIELD_TOO_LONG),
        Arguments.of(VALID.replace("\"userId\":\"u1\"", "\"userId\":\"" + "u".repeat(257) + "\""),
            RejectReason.FIELD_TOO_LONG),
        Arguments.of(VALID.replace("\"chosen\":\"a\"", "\"chosen\":\"" + big + "\""), RejectReason.FIELD_TOO_LONG),
        Arguments.of(VALID.replace("\"domain\":\"support\"", "\"domain\":\"Support\""), RejectReason.BAD_DOMAIN),
        Arguments.of(VALID.replace("\"domain\":\"support\"", "\"domain\":\"\""), RejectReason.BAD_DOMAIN),
        Arguments.of(VALID.replace("\"rejected\":\"b\"", "\"rejected\":\"a\""), RejectReason.CHOSEN_EQUALS_REJECTED),
        Arguments.of(with("strength", "0"), RejectReason.STRENGTH_OUT_OF_RANGE),
        Arguments.of(with("strength", "1.5"), RejectReason.STRENGTH_OUT_OF_RANGE),
        Arguments.of(with("strength", "-0.1"), RejectReason.STRENGTH_OUT_OF_RANGE),
        Arguments.of(with("strength", "\"high\""), RejectReason.WRONG_TYPE),
        Arguments.of(with("strength", "NaN"), RejectReason.NOT_JSON),
        Arguments.of(with("timestamp", "\"yesterday\""), RejectReason.BAD_TIMESTAMP),
        Arguments.of(with("timestamp", "-5"), RejectReason.BAD_TIMESTAMP),
        Arguments.of(with("timestamp", "1.5"), RejectReason.BAD_TIMESTAMP),
        Arguments.of(with("schemaVersion", "2"), RejectReason.UNSUPPORTED_SCHEMA_VERSION),
        Arguments.of(with("schemaVersion", "\"1\""), RejectReason.WRONG_TYPE),
        Arguments.of(with("deep", "[".repeat(500) + "]".repeat(500)), RejectReason.NOT_JSON));
  }

  @ParameterizedTest
  @MethodSource("rejections")
  void rejectsWithTheRightReason(String json, RejectReason expected) {
    ParseResult r = EventParser.parse(bytes(json), 0L);
    assertThat(r).isInstanceOfSatisfying(ParseResult.Invalid.class, invalid -> {
      assertThat(invalid.reason()).isEqualTo(expected);
      assertThat(invalid.detail()).isNotBlank();
    });
  }

  @Test
  void rejectsInvalidUtf8() {
    byte[] b = bytes(VALID);
    b[b.length - 3] = (byte) 0xC3; // a lead byte with no continuation
    assertThat(reason(b)).isEqualTo(RejectReason.INVALID_UTF8);
  }

  @Test
  void rejectsOversizeRecordBeforeParsing() {
    byte[] b = new byte[EventLimits.MAX_RECORD_BYTES + 1];
    assertThat(reason(b)).isEqualTo(RejectReason.RECORD_TOO_LARGE);
    assertThat(reason(null)).isEqualTo(RejectReason.EMPTY_RECORD);
  }

  @Test
  void countsTextLimitInUtf8Bytes() {
    // 11,000 three-byte characters are 33,000 bytes: over 32 KiB though only 11,000 chars.
    String wide = "\u20ac".repeat(11_000);
    assertThat(reason(bytes(VALID.replace("\"prompt\":\"p\"", "\"prompt\":\"" + wide + "\""))))
        .isEqualTo(RejectReason.FIELD_TOO_LONG);
    String fits = "\u20ac".repeat(10_000);
    assertThat(EventParser.parse(bytes(VALID.replace("\"prompt\":\"p\"", "\"prompt\":\"" + fits + "\"")), 0))
        .isInstanceOf(ParseResult.Valid.class);
  }

  private static RejectReason reason(byte[] b) {
    return ((ParseResult.Invalid) EventParser.parse(b, 0L)).reason();
  }

  private static PreferenceEvent valid(String json) {
    ParseResult r = EventParser.parse(bytes(json), 0L);
    assertThat(r).as(json).isInstanceOf(ParseResult.Valid.class);
    return ((ParseResult.Valid) r).event();
  }
}
