package io.prefstream.ingest.testdata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.protocol.json.Json;
import java.nio.charset.StandardCharsets;

/** Builds event JSON for tests, valid by default; each with-er breaks or changes one field. */
public final class Events {
  private Events() {}

  /** A valid event as a mutable JSON object. */
  public static ObjectNode node(String eventId, String userId, String domain) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("eventId", eventId);
    n.put("userId", userId);
    n.put("domain", domain);
    n.put("prompt", "prompt of " + eventId);
    n.put("chosen", "a better answer to " + eventId);
    n.put("rejected", "a worse answer to " + eventId);
    return n;
  }

  public static byte[] bytes(ObjectNode n) {
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] valid(String eventId, String userId, String domain) {
    return bytes(node(eventId, userId, domain));
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
