package io.prefstream.scorer.http;

import static io.prefstream.scorer.Checkpoints.DIM;
import static io.prefstream.scorer.Checkpoints.ENCODER;
import static io.prefstream.scorer.Checkpoints.MODEL_ENCODER_ID;
import static io.prefstream.scorer.Checkpoints.base;
import static io.prefstream.scorer.Checkpoints.bytes;
import static io.prefstream.scorer.Checkpoints.individual;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import io.prefstream.scorer.metrics.ScorerMetrics;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.scoring.Ownership;
import io.prefstream.scorer.scoring.Scorer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP contract: every success and error case, on a real server over a real socket. */
class ScoreHttpServerTest {
  private static final int MAX_BODY = 4096;
  private static final String TOKEN = "s3cret";

  private final HttpClient client = HttpClient.newHttpClient();
  private TextEncoder encoder;
  private ModelRegistry registry;
  private PrometheusMeterRegistry meters;
  private ScoreHttpServer server;
  private ScoreHttpServer secured;
  private String mine;
  private String theirs;

  @BeforeEach
  void start() throws Exception {
    encoder = Encoders.open(ENCODER);
    registry = new ModelRegistry(MODEL_ENCODER_ID, DIM);
    meters = MetricsEndpoint.newRegistry();
    ScorerMetrics metrics = new ScorerMetrics(meters, registry, null);
    // Partitioned: this instance owns partitions 0 and 1 of 4.
    Scorer scorer = new Scorer(registry, new PairFeaturizer(encoder), Ownership.partitioned(Set.of(0, 1), 4), 8);
    server = new ScoreHttpServer(new ScoreHttpServer.Settings("localhost", 0, 2, MAX_BODY, null), scorer, metrics,
        () -> registry.current() == null ? MetricsEndpoint.Health.down("no base") : MetricsEndpoint.Health.up("ok"),
        meters);
    secured = new ScoreHttpServer(new ScoreHttpServer.Settings("localhost", 0, 2, MAX_BODY, TOKEN), scorer, metrics,
        () -> MetricsEndpoint.Health.up("ok"), null);
    mine = userIn(Set.of(0, 1));
    theirs = userIn(Set.of(2, 3));
  }

  @AfterEach
  void stop() {
    server.close();
    secured.close();
    encoder.close();
  }

  private void loadModels() {
    registry.apply(ModelKey.BASE.bytes(), bytes(base(4, "dsp")));
    registry.apply(ModelKey.of(mine, "dsp").bytes(), bytes(individual(mine, "dsp", 9, 4)));
  }

  private String body(String user, int candidates) {
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < candidates; i++) {
      c.append(i == 0 ? "" : ",").append("\"answer ").append(i).append('"');
    }
    return "{\"requestId\":\"q1\",\"userId\":\"" + user + "\",\"domain\":\"dsp\",\"prompt\":\"why?\",\"candidates\":["
        + c + "]}";
  }

  private HttpResponse<String> post(ScoreHttpServer s, String path, String body, String contentType, String auth)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String body) throws Exception {
    return post(server, "/v1/score", body, "application/json", null);
  }

  private HttpResponse<String> get(ScoreHttpServer s, String path, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + path)).GET();
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode n = Json.MAPPER.readTree(r.body());
    assertThat(n.path("error").path("code").asText()).isEqualTo(code);
    assertThat(n.path("error").path("message").asText()).isNotBlank();
  }

  @Test
  void scoresAValidRequest() throws Exception {
    loadModels();
    HttpResponse<String> r = post(body(mine, 4));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    ScoreReply reply = ScoreRequestParser.decodeReply(r.body().getBytes(StandardCharsets.UTF_8));
    assertThat(reply.requestId()).isEqualTo("q1");
    assertThat(reply.rewards()).hasSize(4);
    assertThat(reply.ranking()).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(reply.model()).isEqualTo(new ScoreReply.ModelVersion(4, true, 9L));
    // Without a Content-Type the body is still read as JSON.
    assertThat(post(server, "/v1/score", body(mine, 1), null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void answers503BeforeTheFirstBaseAndHealthSaysSo() throws Exception {
    assertError(post(body(mine, 2)), 503, "model_unavailable");
    assertError(get(server, "/v1/models/" + mine + "/dsp", null), 503, "model_unavailable");
    assertThat(get(server, "/health", null).statusCode()).isEqualTo(503);
    loadModels();
    assertThat(get(server, "/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void answers400ForEveryKindOfBadInput() throws Exception {
    loadModels();
    assertError(post("{not json"), 400, "not_json");
    assertError(post("[1,2]"), 400, "not_an_object");
    assertError(post(""), 400, "empty_request");
    assertError(post("{\"requestId\":\"q\",\"domain\":\"dsp\",\"prompt\":\"p\",\"candidates\":[\"a\"]}"), 400,
        "missing_field");
    assertError(post("{\"requestId\":\"q\",\"userId\":7,\"domain\":\"dsp\",\"prompt\":\"p\",\"candidates\":[\"a\"]}"),
        400, "wrong_type");
    assertError(post(body(mine, 1).replace("\"dsp\"", "\"Bad Domain!\"")), 400, "bad_domain");
    assertError(post(body(mine, 0)), 400, "bad_candidates");
    assertError(post(body(mine, 9)), 400, "bad_candidates"); // over this server's limit of 8
    assertError(post(body(mine, 1).replace("\"answer 0\"", "42")), 400, "wrong_type");
    assertError(post("{\"requestId\":\"" + "x".repeat(200) + "\",\"userId\":\"u\"}"), 400, "field_too_long");
    assertError(get(server, "/v1/models/" + mine + "/Bad%20Domain", null), 400, "bad_domain");
    // The request id is echoed when it could be read.
    assertThat(Json.MAPPER.readTree(post(body(mine, 0)).body()).path("requestId").asText()).isEqualTo("q1");
  }

  @Test
  void answers413ForABodyOverTheLimit() throws Exception {
    loadModels();
    String big = body(mine, 1).replace("why?", "x".repeat(MAX_BODY));
    assertError(post(big), 413, "request_too_large");
    // Chunked (no Content-Length): the bounded read still refuses it.
    HttpRequest chunked = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/v1/score"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
        .header("Content-Type", "application/json").build();
    assertError(client.send(chunked, HttpResponse.BodyHandlers.ofString()), 413, "request_too_large");
    // The server still works afterwards.
    assertThat(post(body(mine, 1)).statusCode()).isEqualTo(200);
  }

  @Test
  void answers404405And415() throws Exception {
    loadModels();
    assertError(get(server, "/v2/score", null), 404, "not_found");
    assertError(get(server, "/v1/models/only-user", null), 404, "not_found");
    assertError(get(server, "/v1/models/a/b/c", null), 404, "not_found");
    HttpResponse<String> wrongMethod = get(server, "/v1/score", null);
    assertError(wrongMethod, 405, "method_not_allowed");
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
    assertError(post(server, "/v1/models/" + mine + "/dsp", "{}", "application/json", null), 405,
        "method_not_allowed");
    assertError(post(server, "/v1/score", body(mine, 1), "text/plain", null), 415, "unsupported_media_type");
    assertThat(post(server, "/v1/score", body(mine, 1), "application/json; charset=utf-8", null).statusCode())
        .isEqualTo(200);
  }

  @Test
  void answers421ForUsersOfAnotherInstance() throws Exception {
    loadModels();
    HttpResponse<String> r = post(body(theirs, 2));
    assertError(r, 421, "not_owned");
    assertThat(r.body()).contains("partition");
    assertError(get(server, "/v1/models/" + theirs + "/dsp", null), 421, "not_owned");
  }

  @Test
  void tellsWhichModelServesAKey() throws Exception {
    loadModels();
    HttpResponse<String> r = get(server, "/v1/models/" + URLEncoder.encode(mine, StandardCharsets.UTF_8) + "/dsp",
        null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode n = Json.MAPPER.readTree(r.body());
    assertThat(n.path("userId").asText()).isEqualTo(mine);
    assertThat(n.path("domain").asText()).isEqualTo("dsp");
    assertThat(n.path("baseVersion").asLong()).isEqualTo(4);
    assertThat(n.path("customized").asBoolean()).isTrue();
    assertThat(n.path("customVersion").asLong()).isEqualTo(9);
    assertThat(n.path("newestEventTimeMs").asLong()).isEqualTo(1_000_009L);
    assertThat(n.path("generic").asBoolean()).isFalse();

    JsonNode cold = Json.MAPPER.readTree(get(server, "/v1/models/" + mine + "/cooking", null).body());
    assertThat(cold.path("customized").asBoolean()).isFalse();
    assertThat(cold.path("customVersion").isNull()).isTrue();
    assertThat(cold.path("newestEventTimeMs").isNull()).isTrue();
    assertThat(cold.path("generic").asBoolean()).isTrue();
    assertThat(cold.path("domainGeneric").asBoolean()).isFalse();
  }

  @Test
  void requiresTheBearerTokenWhenOneIsConfigured() throws Exception {
    loadModels();
    HttpResponse<String> none = post(secured, "/v1/score", body(mine, 1), "application/json", null);
    assertError(none, 401, "unauthorized");
    assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
    assertError(post(secured, "/v1/score", body(mine, 1), "application/json", "Bearer wrong"), 401, "unauthorized");
    assertError(get(secured, "/v1/models/" + mine + "/dsp", null), 401, "unauthorized");
    assertThat(post(secured, "/v1/score", body(mine, 1), "application/json", "Bearer " + TOKEN).statusCode())
        .isEqualTo(200);
    assertThat(get(secured, "/v1/models/" + mine + "/dsp", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    // Probes stay open.
    assertThat(get(secured, "/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void countsRequestsErrorsAndLatencyOnMetrics() throws Exception {
    loadModels();
    post(body(mine, 2));
    post("{oops");
    String scrape = get(server, "/metrics", null).body();
    assertThat(scrape).contains("prefstream_scorer_requests_total{path=\"http\"} 2.0");
    assertThat(scrape).contains("prefstream_scorer_errors_total{code=\"not_json\",path=\"http\"} 1.0");
    assertThat(scrape).contains("prefstream_scorer_request_seconds_bucket{path=\"http\"");
    assertThat(scrape).contains("prefstream_scorer_models_loaded 1.0");
    assertThat(scrape).contains("prefstream_scorer_model_staleness_seconds");
    assertThat(scrape).contains("prefstream_scorer_swaps_total{kind=\"base\"} 1.0");
    assertThat(scrape).contains("prefstream_scorer_checkpoints_refused_total{reason=\"corrupt\"} 0.0");
  }

  private static String userIn(Set<Integer> partitions) {
    for (int i = 0; ; i++) {
      if (partitions.contains(UserPartitioning.partitionFor("user-" + i, 4))) {
        return "user-" + i;
      }
    }
  }
}
