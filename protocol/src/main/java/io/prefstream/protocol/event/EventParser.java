package io.prefstream.protocol.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.protocol.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Reads and writes v1 preference events, validating every rule of the protocol. Thread-safe. */
public final class EventParser {
  private static final Set<String> KNOWN_FIELDS = Set.of(
      "eventId", "userId", "domain", "prompt", "chosen", "rejected", "strength", "timestamp",
      "schemaVersion");

  private EventParser() {}

  /**
   * Parses one record value.
   *
   * @param value the record's bytes, possibly null
   * @param recordTimestampMs used when the event carries no timestamp of its own
   */
  public static ParseResult parse(byte[] value, long recordTimestampMs) {
    if (value == null || value.length == 0) {
      return invalid(RejectReason.EMPTY_RECORD, "record value is empty");
    }
    if (value.length > EventLimits.MAX_RECORD_BYTES) {
      return invalid(RejectReason.RECORD_TOO_LARGE,
          "record is " + value.length + " bytes; at most " + EventLimits.MAX_RECORD_BYTES + " allowed");
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value));
    } catch (CharacterCodingException e) {
      return invalid(RejectReason.INVALID_UTF8, "record is not valid UTF-8: " + e.getMessage());
    }
    JsonNode root;
    try {
      root = Json.EVENT_READER.readTree(value);
    } catch (IOException e) {
      return invalid(RejectReason.NOT_JSON, "not valid JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      return invalid(RejectReason.NOT_AN_OBJECT,
          "expected a JSON object, got " + (root == null ? "nothing" : root.getNodeType()));
    }
    return fromObject((ObjectNode) root, recordTimestampMs);
  }

  private static ParseResult fromObject(ObjectNode node, long recordTimestampMs) {
    Integer schemaVersion = null;
    JsonNode sv = node.get("schemaVersion");
    if (sv != null && !sv.isNull()) {
      if (!sv.isIntegralNumber()) {
        return invalid(RejectReason.WRONG_TYPE, "schemaVersion must be an integer, got " + sv.getNodeType());
      }
      if (sv.asLong() != EventLimits.SCHEMA_VERSION) {
        return invalid(RejectReason.UNSUPPORTED_SCHEMA_VERSION,
            "schemaVersion " + sv.asText() + " is not supported; this version reads "
                + EventLimits.SCHEMA_VERSION);
      }
      schemaVersion = EventLimits.SCHEMA_VERSION;
    }

    String[] text = new String[6];
    String[] names = {"eventId", "userId", "domain", "prompt", "chosen", "rejected"};
    for (int i = 0; i < names.length; i++) {
      JsonNode f = node.get(names[i]);
      if (f == null || f.isNull()) {
        return invalid(RejectReason.MISSING_FIELD, "required field '" + names[i] + "' is missing");
      }
      if (!f.isTextual()) {
        return invalid(RejectReason.WRONG_TYPE,
            "field '" + names[i] + "' must be a string, got " + f.getNodeType());
      }
      text[i] = f.textValue();
    }
    String eventId = text[0];
    String userId = text[1];
    String domain = text[2];
    if (eventId.isEmpty() || eventId.length() > EventLimits.MAX_EVENT_ID_CHARS) {
      return invalid(RejectReason.FIELD_TOO_LONG,
          "eventId has " + eventId.length() + " chars; must be 1.." + EventLimits.MAX_EVENT_ID_CHARS);
    }
    if (userId.isEmpty() || userId.length() > EventLimits.MAX_USER_ID_CHARS) {
      return invalid(RejectReason.FIELD_TOO_LONG,
          "userId has " + userId.length() + " chars; must be 1.." + EventLimits.MAX_USER_ID_CHARS);
    }
    if (!EventLimits.DOMAIN.matcher(domain).matches()) {
      return invalid(RejectReason.BAD_DOMAIN,
          "domain '" + truncate(domain) + "' must match " + EventLimits.DOMAIN.pattern());
    }
    for (int i = 3; i < 6; i++) {
      int bytes = EventLimits.utf8Length(text[i]);
      if (bytes > EventLimits.MAX_TEXT_BYTES) {
        return invalid(RejectReason.FIELD_TOO_LONG,
            "field '" + names[i] + "' is " + bytes + " UTF-8 bytes; at most " + EventLimits.MAX_TEXT_BYTES);
      }
    }
    if (text[4].equals(text[5])) {
      return invalid(RejectReason.CHOSEN_EQUALS_REJECTED, "chosen and rejected are the same text");
    }

    double strength = PreferenceEvent.DEFAULT_STRENGTH;
    JsonNode s = node.get("strength");
    if (s != null && !s.isNull()) {
      if (!s.isNumber()) {
        return invalid(RejectReason.WRONG_TYPE, "strength must be a number, got " + s.getNodeType());
      }
      strength = s.doubleValue();
      if (!(strength > 0.0 && strength <= 1.0)) {
        return invalid(RejectReason.STRENGTH_OUT_OF_RANGE,
            "strength " + s.asText() + " is outside (0, 1]");
      }
    }

    long timestampMs = recordTimestampMs;
    JsonNode t = node.get("timestamp");
    if (t != null && !t.isNull()) {
      if (t.isIntegralNumber() && t.canConvertToLong() && t.asLong() >= 0) {
        timestampMs = t.asLong();
      } else if (t.isTextual()) {
        try {
          timestampMs = OffsetDateTime.parse(t.textValue(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
              .toInstant().toEpochMilli();
        } catch (DateTimeException e) {
          return invalid(RejectReason.BAD_TIMESTAMP,
              "timestamp '" + truncate(t.textValue()) + "' is not ISO-8601 with an offset, e.g. 2026-01-31T12:00:00Z");
        }
      } else {
        return invalid(RejectReason.BAD_TIMESTAMP,
            "timestamp must be non-negative epoch millis or an ISO-8601 string, got " + truncate(t.toString()));
      }
    }

    Map<String, String> extensions = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!KNOWN_FIELDS.contains(e.getKey())) {
        extensions.put(e.getKey(), e.getValue().toString());
      }
    }
    return new ParseResult.Valid(new PreferenceEvent(
        eventId, userId, domain, text[3], text[4], text[5], strength, timestampMs, schemaVersion,
        extensions));
  }

  /** Writes the event as v1 JSON; unknown fields it arrived with are written back unchanged. */
  public static byte[] toJson(PreferenceEvent event) {
    ByteArrayBuilder out = new ByteArrayBuilder(256 + event.prompt().length() + event.chosen().length()
        + event.rejected().length());
    try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
      write(g, event);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Writes the event's v1 JSON to a generator, so that larger documents (training batches) embed it without building a
   * tree per event first: ingest writes every event it batches, and the tree cost it twice the time.
   */
  public static void write(JsonGenerator g, PreferenceEvent event) throws IOException {
    g.writeStartObject();
    if (event.schemaVersion() != null) {
      g.writeNumberField("schemaVersion", event.schemaVersion());
    }
    g.writeStringField("eventId", event.eventId());
    g.writeStringField("userId", event.userId());
    g.writeStringField("domain", event.domain());
    g.writeStringField("prompt", event.prompt());
    g.writeStringField("chosen", event.chosen());
    g.writeStringField("rejected", event.rejected());
    g.writeNumberField("strength", event.strength());
    g.writeNumberField("timestamp", event.timestampMs());
    for (Map.Entry<String, String> e : event.extensions().entrySet()) {
      g.writeFieldName(e.getKey());
      try {
        g.writeTree(Json.MAPPER.readTree(e.getValue()));
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException("extension '" + e.getKey() + "' is not JSON", ex);
      }
    }
    g.writeEndObject();
  }


  /** Reads an event from a JSON tree previously written by {@link #toNode}, validating it again. */
  public static ParseResult fromNode(JsonNode node) {
    if (node == null || !node.isObject()) {
      return invalid(RejectReason.NOT_AN_OBJECT, "expected a JSON object");
    }
    return fromObject((ObjectNode) node, 0L);
  }

  private static ParseResult invalid(RejectReason reason, String detail) {
    return new ParseResult.Invalid(reason, detail);
  }

  private static String truncate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown parse error";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
