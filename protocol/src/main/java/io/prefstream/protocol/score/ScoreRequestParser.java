package io.prefstream.protocol.score;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.protocol.event.EventLimits;
import io.prefstream.protocol.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reads scoring requests and writes replies (the JSON shared by the Kafka and HTTP interfaces). Thread-safe. */
public final class ScoreRequestParser {
  public static final int MAX_CANDIDATES = 64;
  public static final int MAX_REQUEST_ID_CHARS = 128;
  public static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;

  private ScoreRequestParser() {}

  /** A request that cannot be read: {@code code} is stable (for metrics and clients), the message says what is wrong. */
  public static final class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String code;
    private final String requestId;

    InvalidRequestException(String code, String requestId, String message) {
      super(message);
      this.code = code;
      this.requestId = requestId;
    }

    public String code() {
      return code;
    }

    /** The request's id when it could be read, else null. */
    public String requestId() {
      return requestId;
    }
  }

  public static ScoreRequest parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new InvalidRequestException("empty_request", null, "request body is empty");
    }
    if (bytes.length > MAX_REQUEST_BYTES) {
      throw new InvalidRequestException("request_too_large", null,
          "request is " + bytes.length + " bytes; at most " + MAX_REQUEST_BYTES + " allowed");
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(bytes);
    } catch (IOException e) {
      String msg = e.getMessage() == null ? "" : e.getMessage().split("\n", 2)[0];
      throw new InvalidRequestException("not_json", null, "request is not valid JSON: " + msg);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidRequestException("not_an_object", null, "request must be a JSON object");
    }
    String requestId = text(root, "requestId", null, MAX_REQUEST_ID_CHARS);
    String userId = text(root, "userId", requestId, EventLimits.MAX_USER_ID_CHARS);
    String domain = text(root, "domain", requestId, 64);
    if (!EventLimits.DOMAIN.matcher(domain).matches()) {
      throw new InvalidRequestException("bad_domain", requestId,
          "domain '" + domain + "' must match " + EventLimits.DOMAIN.pattern());
    }
    String prompt = text(root, "prompt", requestId, Integer.MAX_VALUE);
    if (prompt.length() > EventLimits.MAX_TEXT_BYTES) {
      throw new InvalidRequestException("field_too_long", requestId,
          "prompt is " + prompt.length() + " chars; at most " + EventLimits.MAX_TEXT_BYTES);
    }
    JsonNode c = root.get("candidates");
    if (c == null || !c.isArray()) {
      throw new InvalidRequestException("missing_field", requestId, "'candidates' must be an array of strings");
    }
    if (c.isEmpty() || c.size() > MAX_CANDIDATES) {
      throw new InvalidRequestException("bad_candidates", requestId,
          "'candidates' has " + c.size() + " entries; must be 1.." + MAX_CANDIDATES);
    }
    List<String> candidates = new ArrayList<>(c.size());
    for (int i = 0; i < c.size(); i++) {
      JsonNode e = c.get(i);
      if (!e.isTextual()) {
        throw new InvalidRequestException("wrong_type", requestId,
            "candidates[" + i + "] must be a string, got " + e.getNodeType());
      }
      if (e.textValue().length() > EventLimits.MAX_TEXT_BYTES) {
        throw new InvalidRequestException("field_too_long", requestId,
            "candidates[" + i + "] is " + e.textValue().length() + " chars; at most " + EventLimits.MAX_TEXT_BYTES);
      }
      candidates.add(e.textValue());
    }
    return new ScoreRequest(requestId, userId, domain, prompt, candidates);
  }

  private static String text(JsonNode root, String field, String requestId, int maxChars) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      throw new InvalidRequestException("missing_field", requestId, "required field '" + field + "' is missing");
    }
    if (!n.isTextual()) {
      throw new InvalidRequestException("wrong_type", requestId,
          "field '" + field + "' must be a string, got " + n.getNodeType());
    }
    String v = n.textValue();
    if (v.isEmpty() && !field.equals("prompt")) {
      throw new InvalidRequestException("missing_field", requestId, "field '" + field + "' is empty");
    }
    if (v.length() > maxChars) {
      throw new InvalidRequestException("field_too_long", requestId,
          "field '" + field + "' has " + v.length() + " chars; at most " + maxChars);
    }
    return v;
  }

  public static byte[] encode(ScoreRequest request) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("requestId", request.requestId());
    n.put("userId", request.userId());
    n.put("domain", request.domain());
    n.put("prompt", request.prompt());
    ArrayNode a = n.putArray("candidates");
    request.candidates().forEach(a::add);
    return write(n);
  }

  public static byte[] encodeReply(ScoreReply reply) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    if (reply.requestId() == null) {
      n.putNull("requestId");
    } else {
      n.put("requestId", reply.requestId());
    }
    if (reply.error() != null) {
      ObjectNode err = n.putObject("error");
      err.put("code", reply.error().code());
      err.put("message", reply.error().message());
      return write(n);
    }
    ArrayNode rewards = n.putArray("rewards");
    reply.rewards().forEach(rewards::add);
    ArrayNode ranking = n.putArray("ranking");
    reply.ranking().forEach(ranking::add);
    ObjectNode model = n.putObject("model");
    model.put("baseVersion", reply.model().baseVersion());
    model.put("customized", reply.model().customized());
    if (reply.model().customVersion() == null) {
      model.putNull("customVersion");
    } else {
      model.put("customVersion", reply.model().customVersion());
    }
    return write(n);
  }

  public static ScoreReply decodeReply(byte[] bytes) {
    try {
      JsonNode n = Json.MAPPER.readTree(bytes);
      String requestId = n.path("requestId").isNull() ? null : n.path("requestId").asText();
      if (n.has("error")) {
        JsonNode e = n.get("error");
        return ScoreReply.failure(requestId, new ScoreReply.ScoreError(e.path("code").asText(), e.path("message").asText()));
      }
      List<Double> rewards = new ArrayList<>();
      n.path("rewards").forEach(x -> rewards.add(x.asDouble()));
      List<Integer> ranking = new ArrayList<>();
      n.path("ranking").forEach(x -> ranking.add(x.asInt()));
      JsonNode m = n.path("model");
      Long custom = m.path("customVersion").isNull() || m.path("customVersion").isMissingNode()
          ? null : m.path("customVersion").asLong();
      return ScoreReply.success(requestId, rewards, ranking,
          new ScoreReply.ModelVersion(m.path("baseVersion").asLong(), m.path("customized").asBoolean(), custom));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a score reply: " + e.getMessage(), e);
    }
  }

  private static byte[] write(ObjectNode n) {
    try {
      return Json.MAPPER.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
