package io.prefstream.protocol.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.UserPartitioning;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ScoreRequestParserTest {
  @Test
  void roundTripsRequestsAndReplies() {
    ScoreRequest req = new ScoreRequest("r1", "u", "support", "p", List.of("a", "b"));
    assertThat(ScoreRequestParser.parse(ScoreRequestParser.encode(req))).isEqualTo(req);
    ScoreReply ok = ScoreReply.success("r1", List.of(0.5, -1.0), List.of(0, 1), new ScoreReply.ModelVersion(3, true, 7L));
    assertThat(ScoreRequestParser.decodeReply(ScoreRequestParser.encodeReply(ok))).isEqualTo(ok);
    ScoreReply cold = ScoreReply.success("r2", List.of(1.0), List.of(0), new ScoreReply.ModelVersion(3, false, null));
    assertThat(ScoreRequestParser.decodeReply(ScoreRequestParser.encodeReply(cold))).isEqualTo(cold);
    ScoreReply err = ScoreReply.failure(null, new ScoreReply.ScoreError("not_json", "bad"));
    assertThat(ScoreRequestParser.decodeReply(ScoreRequestParser.encodeReply(err))).isEqualTo(err);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "not json|not_json",
      "[]|not_an_object",
      "{\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"candidates\":[\"a\"]}|missing_field",
      "{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"D D\",\"prompt\":\"p\",\"candidates\":[\"a\"]}|bad_domain",
      "{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"candidates\":[]}|bad_candidates",
      "{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"candidates\":[1]}|wrong_type",
      "{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\"}|missing_field",
      "{\"requestId\":7,\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"candidates\":[\"a\"]}|wrong_type",
  })
  void rejectsBadRequestsWithAStableCode(String json, String code) {
    assertThatThrownBy(() -> ScoreRequestParser.parse(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(ScoreRequestParser.InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @Test
  void capsCandidates() {
    StringBuilder sb = new StringBuilder("{\"requestId\":\"r\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"p\",\"candidates\":[");
    for (int i = 0; i < 65; i++) {
      sb.append(i == 0 ? "" : ",").append("\"c").append(i).append('"');
    }
    byte[] b = sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> ScoreRequestParser.parse(b))
        .isInstanceOfSatisfying(ScoreRequestParser.InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("bad_candidates");
          assertThat(e.requestId()).isEqualTo("r");
        });
  }

  @Test
  void modelKeysRoundTripAndUsersMapToTheDefaultPartitionersPartition() {
    assertThat(ModelKey.decode(ModelKey.of("a/b", "support").encode())).isEqualTo(ModelKey.of("a/b", "support"));
    assertThat(ModelKey.decode("base").isBase()).isTrue();
    assertThatThrownBy(() -> ModelKey.decode("user/x")).hasMessageContaining("user/<domain>/<userId>");
    for (String user : List.of("dsp-academy", "u-1", "\u00e9l\u00e8ve")) {
      byte[] key = user.getBytes(StandardCharsets.UTF_8);
      assertThat(UserPartitioning.partitionFor(user, 4)).isEqualTo(BuiltInPartitioner.partitionForKey(key, 4));
    }
  }
}
