package io.prefstream.protocol.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.prefstream.protocol.json.Json;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The published JSON Schema and the Java parser agree on what a valid event is. */
class EventSchemaTest {
  private static final JsonSchema SCHEMA = load();

  private static JsonSchema load() {
    try (InputStream in = EventParser.class.getResourceAsStream("/io/prefstream/protocol/preference-event.v1.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void schemaAndParserAgree() throws Exception {
    List<String> docs = List.of(
        "{\"eventId\":\"e1\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"eventId\":\"e1\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"strength\":0.5,\"timestamp\":5,\"extra\":true}",
        "{\"eventId\":\"e1\",\"userId\":\"u\",\"domain\":\"D!\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"eventId\":\"e1\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"strength\":0}",
        "{\"eventId\":\"e1\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"strength\":2}",
        "{\"eventId\":\"e1\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"eventId\":\"\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"eventId\":\"e\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":1,\"chosen\":\"a\",\"rejected\":\"b\"}",
        "{\"eventId\":\"e\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"schemaVersion\":2}");
    for (String doc : docs) {
      JsonNode node = Json.MAPPER.readTree(doc);
      boolean schemaValid = SCHEMA.validate(node).isEmpty();
      boolean parserValid = EventParser.parse(doc.getBytes(StandardCharsets.UTF_8), 0) instanceof ParseResult.Valid;
      assertThat(schemaValid).as(doc).isEqualTo(parserValid);
    }
  }
}
