package io.prefstream.learner.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prefstream.learner.LearningConfig;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.PairFeaturizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark learns every DSP event once per pass and prints the contract's fields; with one event per batch (the
 * demo's shape) every batch writes one learner-state record.
 */
class LearnerBenchmarkTest {
  private static Path data(String file) {
    return Path.of(System.getProperty("prefstream.data.dir", "../../shared/data")).resolve(file);
  }

  @Test
  void oneEventPerBatchLearnsEveryEventAndEncodesAStateRecordPerBatch() throws Exception {
    LearnerBenchmark.Result r = LearnerBenchmark.run(new LearnerBenchmark.Options(data("dsp/dsp-dev.events.jsonl"),
        List.of(data("general/harmless-dev.events.jsonl")), "hashing-ngram-v1-d64", 64, 1, 256,
        LearningConfig.defaults()));
    JsonNode json = new ObjectMapper().readTree(r.toJson());
    assertThat(json.path("events").asLong()).isEqualTo(7708);
    assertThat(json.path("keys").asInt()).isEqualTo(256);
    assertThat(json.path("eventsPerSec").asDouble()).isPositive();
    assertThat(json.path("rawStepEventsPerSec").asDouble()).isPositive();
    // Batches go round-robin over the 256 users, who have 30 or 31 events each, so no block of 256 holds a key twice:
    // one record per batch, as in the demo.
    assertThat(json.path("stateRecords").asLong()).isEqualTo(7708);
    // the working weights (4·D), the published ones once there are any (4·D), up to 16 held-back pairs (2·D + 4 each)
    int d;
    try (TextEncoder enc = Encoders.open("hashing-ngram-v1-d64")) {
      d = new PairFeaturizer(enc).dimension();
    }
    assertThat(json.path("stateRecordMeanBytes").asDouble()).isBetween(4.0 * d, 8.0 * d + 16 * (2 * d + 4) + 1024);
    assertThat(json.path("stateRecordEncodeMicros").asDouble()).isPositive();
  }
}
