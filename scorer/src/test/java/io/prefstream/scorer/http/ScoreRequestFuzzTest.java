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
import io.prefstream.runtime.metrics.MetricsEndpoint;
import io.prefstream.scorer.metrics.ScorerMetrics;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.scoring.Ownership;
import io.prefstream.scorer.scoring.Scorer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Throws 1,800 seeded hostile scoring requests at the real HTTP server (real socket): invalid UTF-8, huge fields and
 * bodies, deep JSON, wrong types, NaN and infinities, control characters, duplicate keys, too many candidates, random
 * bytes, with a valid request after every nine hostile ones (ingest's fuzz test throws 10,500 hostile events the same way). Every hostile request must get a 4xx JSON error with a
 * code; every valid one must be scored exactly as before the barrage; nothing may answer 5xx or hang.
 */
class ScoreRequestFuzzTest {
  private static final long SEED = 20261123L;
  private static final int REQUESTS = 2_000;
  private static final int MAX_BODY = 64 * 1024;

  @Test
  void hostileRequestsGetClientErrorsAndValidOnesAreUnaffected() throws Exception {
    TextEncoder encoder = Encoders.open(ENCODER);
    ModelRegistry registry = new ModelRegistry(MODEL_ENCODER_ID, DIM);
    registry.apply(ModelKey.BASE.bytes(), bytes(base(3, "dsp")));
    registry.apply(ModelKey.of("alice", "dsp").bytes(), bytes(individual("alice", "dsp", 7, 3, DIM)));
    PrometheusMeterRegistry meters = MetricsEndpoint.newRegistry();
    Scorer scorer = new Scorer(registry, new PairFeaturizer(encoder), Ownership.global(), 64);
    ScoreHttpServer server = new ScoreHttpServer(new ScoreHttpServer.Settings("localhost", 0, 2, MAX_BODY, null),
        scorer, new ScorerMetrics(meters, registry, null), () -> MetricsEndpoint.Health.up("ok"), meters);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    URI uri = URI.create("http://localhost:" + server.port() + "/v1/score");
    byte[] valid = ("{\"requestId\":\"ok\",\"userId\":\"alice\",\"domain\":\"dsp\",\"prompt\":\"why?\","
        + "\"candidates\":[\"yes\",\"no\",\"maybe\"]}").getBytes(StandardCharsets.UTF_8);
    try {
      ScoreReply expected = ScoreRequestParser.decodeReply(send(client, uri, valid).body());
      assertThat(expected.error()).isNull();
      Random random = new Random(SEED);
      Map<String, Integer> byStatusAndCode = new TreeMap<>();
      int hostile = 0;
      for (int i = 0; i < REQUESTS; i++) {
        if (i % 10 == 9) {
          HttpResponse<byte[]> r = send(client, uri, valid);
          assertThat(r.statusCode()).as("valid request #" + i).isEqualTo(200);
          assertThat(ScoreRequestParser.decodeReply(r.body())).isEqualTo(expected);
          continue;
        }
        byte[] body = hostileBody(random);
        HttpResponse<byte[]> r = send(client, uri, body);
        hostile++;
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as("hostile request #" + i + ": " + preview(body) + " -> " + text)
            .isBetween(400, 499);
        JsonNode reply = Json.MAPPER.readTree(r.body());
        String code = reply.path("error").path("code").asText();
        assertThat(code).as("error code for " + preview(body)).isNotBlank();
        assertThat(reply.path("error").path("message").asText()).isNotBlank();
        byStatusAndCode.merge(r.statusCode() + " " + code, 1, Integer::sum);
      }
      System.out.printf("scoring fuzz (seed %d): %d hostile requests answered %s; %d valid ones unaffected%n", SEED,
          hostile, byStatusAndCode, REQUESTS - hostile);
      assertThat(byStatusAndCode.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(hostile);
      assertThat(byStatusAndCode.keySet()).as("the generator reaches several kinds of error").hasSizeGreaterThan(5);
    } finally {
      server.close();
      encoder.close();
    }
  }

  private static HttpResponse<byte[]> send(HttpClient client, URI uri, byte[] body) throws Exception {
    return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String preview(byte[] body) {
    String s = new String(body, 0, Math.min(body.length, 120), StandardCharsets.ISO_8859_1);
    return s.replaceAll("\\p{Cntrl}", "?") + (body.length > 120 ? "... (" + body.length + " bytes)" : "");
  }

  private static byte[] hostileBody(Random r) {
    return switch (r.nextInt(16)) {
      case 0 -> randomBytes(r, 1 + r.nextInt(300));
      case 1 -> withInvalidUtf8(r);
      case 2 -> request(quote("p".repeat(MAX_BODY + r.nextInt(1000))), candidates(3)); // body over the limit
      case 3 -> ("[".repeat(50 + r.nextInt(5000)) + "]".repeat(10)).getBytes(StandardCharsets.UTF_8);
      case 4 -> request("123", candidates(2)); // prompt of the wrong type
      case 5 -> request(quote("why"), "[" + (r.nextBoolean() ? "NaN" : "Infinity") + ",\"a\"]");
      case 6 -> request(quote("why"), "\"not an array\"");
      case 7 -> request(quote("why"), "[]");
      case 8 -> request(quote("why"), candidates(65 + r.nextInt(100)));
      case 9 -> ("{\"requestId\":\"a\",\"requestId\":\"b\",\"userId\":\"u\",\"domain\":\"dsp\",\"prompt\":\"p\","
          + "\"candidates\":[\"x\"]}").getBytes(StandardCharsets.UTF_8); // duplicate key
      case 10 -> ("{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"BAD DOMAIN\",\"prompt\":\"p\","
          + "\"candidates\":[\"x\"]}").getBytes(StandardCharsets.UTF_8);
      case 11 -> ("{\"requestId\":\"r\",\"domain\":\"dsp\",\"prompt\":\"p\",\"candidates\":[\"x\"]}")
          .getBytes(StandardCharsets.UTF_8); // missing userId
      case 12 -> ("{\"requestId\":\"" + "\u0001\u0002" + "\",\"userId\":\"u\u0000\",\"domain\":\"dsp\"}")
          .getBytes(StandardCharsets.UTF_8); // raw control characters are not valid JSON strings
      case 13 -> request(quote("why"), "[" + "{\"nested\":".repeat(20) + "1" + "}".repeat(20) + "]");
      case 14 -> ("{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"dsp\",\"prompt\":\"p\",\"candidates\":[\"x\"]} "
          + "trailing").getBytes(StandardCharsets.UTF_8);
      default -> r.nextBoolean() ? new byte[0] : "null".getBytes(StandardCharsets.UTF_8);
    };
  }

  private static byte[] request(String promptJson, String candidatesJson) {
    return ("{\"requestId\":\"f\",\"userId\":\"alice\",\"domain\":\"dsp\",\"prompt\":" + promptJson
        + ",\"candidates\":" + candidatesJson + "}").getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }

  private static String candidates(int n) {
    List<String> c = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      c.add("\"c" + i + "\"");
    }
    return "[" + String.join(",", c) + "]";
  }

  private static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    b[0] = (byte) (b[0] == '{' ? '(' : b[0]); // never accidentally an object start
    return b;
  }

  private static byte[] withInvalidUtf8(Random r) {
    byte[] ok = request(quote("why"), candidates(2));
    byte[] bad = new byte[ok.length + 2];
    int at = ok.length - 10; // inside the candidates' strings
    System.arraycopy(ok, 0, bad, 0, at);
    bad[at] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
    bad[at + 1] = (byte) (r.nextBoolean() ? 0x28 : 0xFF);
    System.arraycopy(ok, at, bad, at + 2, ok.length - at);
    return bad;
  }
}
