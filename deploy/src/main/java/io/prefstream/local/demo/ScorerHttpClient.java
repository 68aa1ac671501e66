package io.prefstream.local.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.score.ScoreRequestParser;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;

/** The demo's view of the scorer: its public HTTP API, exactly as an app would call it. */
public final class ScorerHttpClient {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  public ScorerHttpClient(String baseUrl) {
    this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
  }

  public ScoreReply score(ScoreRequest request) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("v1/score"))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ScoreRequestParser.encode(request)))
        .build();
    HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    if (resp.statusCode() != 200) {
      throw new IOException("POST /v1/score answered " + resp.statusCode() + ": "
          + new String(resp.body(), StandardCharsets.UTF_8));
    }
    return ScoreRequestParser.decodeReply(resp.body());
  }

  /** The newest event time covered by the model serving (user, domain), if it is a customized one. */
  public OptionalLong newestEventTime(String userId, String domain) throws IOException, InterruptedException {
    String path = "v1/models/" + URLEncoder.encode(userId, StandardCharsets.UTF_8) + "/"
        + URLEncoder.encode(domain, StandardCharsets.UTF_8);
    HttpRequest req = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build();
    HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    if (resp.statusCode() != 200) {
      throw new IOException("GET /" + path + " answered " + resp.statusCode());
    }
    JsonNode n = Json.MAPPER.readTree(resp.body());
    JsonNode t = n.get("newestEventTimeMs");
    return t == null || t.isNull() ? OptionalLong.empty() : OptionalLong.of(t.asLong());
  }
}
