package io.prefstream.protocol.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingBatchCodecTest {
  private static PreferenceEvent event(String id, String user, long ts) {
    return PreferenceEvent.of(id, user, "support", "prompt " + id, "good " + id, "bad " + id, 0.5, ts);
  }

  @Test
  void roundTripsEventsInOrder() {
    TrainingBatch batch = new TrainingBatch("u/support/1000/0", "u", "support", 1000, 2000, true,
        List.of(event("b", "u", 7), event("a", "u", 9), event("c", "u", 8)));
    TrainingBatch back = TrainingBatchCodec.decode(TrainingBatchCodec.encode(batch));
    assertThat(back).isEqualTo(batch);
    assertThat(back.events()).extracting(PreferenceEvent::eventId).containsExactly("b", "a", "c");
    assertThat(back.newestEventTimeMs()).isEqualTo(9);
  }

  @Test
  void refusesMalformedBatchesWithAReason() {
    assertThatThrownBy(() -> TrainingBatchCodec.decode("{".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBatchException.class).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> TrainingBatchCodec.decode("{\"formatVersion\":9}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBatchException.class).hasMessageContaining("formatVersion");
    TrainingBatch mixed = new TrainingBatch("x", "u", "support", 0, 1, false,
        List.of(event("a", "u", 1), event("b", "someone-else", 2)));
    assertThatThrownBy(() -> TrainingBatchCodec.decode(TrainingBatchCodec.encode(mixed)))
        .isInstanceOf(MalformedBatchException.class).hasMessageContaining("someone-else");
  }

  /** An event as the encoders wrote it before the streaming writer: a Jackson tree. */
  private static ObjectNode treeNode(PreferenceEvent event) throws Exception {
    ObjectNode n = Json.MAPPER.createObjectNode();
    if (event.schemaVersion() != null) {
      n.put("schemaVersion", event.schemaVersion());
    }
    n.put("eventId", event.eventId());
    n.put("userId", event.userId());
    n.put("domain", event.domain());
    n.put("prompt", event.prompt());
    n.put("chosen", event.chosen());
    n.put("rejected", event.rejected());
    n.put("strength", event.strength());
    n.put("timestamp", event.timestampMs());
    for (java.util.Map.Entry<String, String> e : event.extensions().entrySet()) {
      n.set(e.getKey(), Json.MAPPER.readTree(e.getValue()));
    }
    return n;
  }

  /** A batch as it was encoded before the streaming writer: one Jackson tree. */
  private static byte[] treeEncoding(TrainingBatch batch) throws Exception {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("formatVersion", TrainingBatchCodec.FORMAT_VERSION);
    n.put("batchId", batch.batchId());
    n.put("userId", batch.userId());
    n.put("domain", batch.domain());
    n.put("windowStart", batch.windowStartMs());
    n.put("windowEnd", batch.windowEndMs());
    n.put("closedEarly", batch.closedEarly());
    ArrayNode events = n.putArray("events");
    for (PreferenceEvent e : batch.events()) {
      events.add(treeNode(e));
    }
    return Json.MAPPER.writeValueAsBytes(n);
  }

  @Test
  void theStreamingEncodersWriteTheTreeEncodersBytes() throws Exception {
    Path dsp = Path.of(System.getProperty("prefstream.data.dir", "../../shared/data"), "dsp", "dsp-dev.events.jsonl");
    List<PreferenceEvent> events = new ArrayList<>();
    for (String line : Files.readAllLines(dsp)) {
      // a few DSP pairs have chosen = rejected and are rejected; ingest never batches those
      if (EventParser.parse(line.getBytes(StandardCharsets.UTF_8), 1L) instanceof ParseResult.Valid v) {
        events.add(v.event());
      }
    }
    // unknown fields of every JSON kind, a schema version, escapes and non-ASCII text
    String odd = "{\"schemaVersion\":1,\"eventId\":\"x\\n\\u0001\",\"userId\":\"u\",\"domain\":\"support\","
        + "\"prompt\":\"caf\u00e9 \\\"q\\\" \ud83d\ude00\",\"chosen\":\"a\",\"rejected\":\"b\",\"strength\":0.125,"
        + "\"timestamp\":\"2026-12-03T10:00:00Z\",\"app\":{\"k\":[1,2.5,true,null,\"s\"]},\"n\":  -3 ,\"f\":1e3}";
    events.add(((ParseResult.Valid) EventParser.parse(odd.getBytes(StandardCharsets.UTF_8), 1L)).event());
    for (PreferenceEvent e : events) {
      assertThat(EventParser.toJson(e)).isEqualTo(Json.MAPPER.writeValueAsBytes(treeNode(e)));
    }
    int batches = 0;
    for (int from = 0; from < events.size(); from += 32, batches++) {
      List<PreferenceEvent> chunk = events.subList(from, Math.min(events.size(), from + 32));
      PreferenceEvent first = chunk.get(0);
      // decode checks that a batch holds one user only; the encoder does not, so mixed chunks are fine here
      TrainingBatch batch = new TrainingBatch(first.userId() + "/" + first.domain() + "/0/" + batches, first.userId(),
          first.domain(), 0, 1000, batches % 2 == 0, chunk);
      assertThat(TrainingBatchCodec.encode(batch)).as("batch %d", batches).isEqualTo(treeEncoding(batch));
    }
    assertThat(events.size()).isGreaterThan(7000);
  }
}
