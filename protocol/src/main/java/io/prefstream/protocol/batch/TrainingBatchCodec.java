package io.prefstream.protocol.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** JSON form of {@link TrainingBatch} on the {@code batches} topic. */
public final class TrainingBatchCodec {
  public static final int FORMAT_VERSION = 1;

  private TrainingBatchCodec() {}

  public static byte[] encode(TrainingBatch batch) {
    ByteArrayBuilder out = new ByteArrayBuilder(512 + 320 * batch.events().size());
    try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("formatVersion", FORMAT_VERSION);
      g.writeStringField("batchId", batch.batchId());
      g.writeStringField("userId", batch.userId());
      g.writeStringField("domain", batch.domain());
      g.writeNumberField("windowStart", batch.windowStartMs());
      g.writeNumberField("windowEnd", batch.windowEndMs());
      g.writeBooleanField("closedEarly", batch.closedEarly());
      g.writeArrayFieldStart("events");
      for (PreferenceEvent e : batch.events()) {
        EventParser.write(g, e);
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode batch " + batch.batchId(), e);
    }
    return out.toByteArray();
  }

  /**
   * Decodes and re-validates a batch.
   *
   * @throws MalformedBatchException when the bytes are not a valid batch, with the reason
   */
  public static TrainingBatch decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new MalformedBatchException("batch record is empty");
    }
    JsonNode n;
    try {
      n = Json.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new MalformedBatchException("batch is not valid JSON: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw new MalformedBatchException("batch must be a JSON object");
    }
    int version = n.path("formatVersion").asInt(-1);
    if (version != FORMAT_VERSION) {
      throw new MalformedBatchException(
          "batch formatVersion " + n.path("formatVersion") + " is not supported; expected " + FORMAT_VERSION);
    }
    String batchId = requiredText(n, "batchId");
    String userId = requiredText(n, "userId");
    String domain = requiredText(n, "domain");
    JsonNode events = n.get("events");
    if (events == null || !events.isArray() || events.isEmpty()) {
      throw new MalformedBatchException("batch " + batchId + " has no 'events' array");
    }
    List<PreferenceEvent> list = new ArrayList<>(events.size());
    for (JsonNode e : events) {
      ParseResult r = EventParser.fromNode(e);
      if (r instanceof ParseResult.Invalid invalid) {
        throw new MalformedBatchException(
            "batch " + batchId + " holds an invalid event: " + invalid.reason().code() + ": " + invalid.detail());
      }
      PreferenceEvent event = ((ParseResult.Valid) r).event();
      if (!event.userId().equals(userId) || !event.domain().equals(domain)) {
        throw new MalformedBatchException("batch " + batchId + " for (" + userId + ", " + domain
            + ") holds an event of (" + event.userId() + ", " + event.domain() + ")");
      }
      list.add(event);
    }
    return new TrainingBatch(batchId, userId, domain, n.path("windowStart").asLong(),
        n.path("windowEnd").asLong(), n.path("closedEarly").asBoolean(), list);
  }

  private static String requiredText(JsonNode n, String field) {
    JsonNode f = n.get(field);
    if (f == null || !f.isTextual() || f.textValue().isEmpty()) {
      throw new MalformedBatchException("batch field '" + field + "' is missing or not a string");
    }
    return f.textValue();
  }
}
