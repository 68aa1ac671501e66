package io.prefstream.learner.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The benchmark runs the real job: a small topic, every key's newest version counted once, a base published. */
class RefitBenchmarkTest {
  @Test
  void countsEveryKeyOnceAndPublishes() throws Exception {
    ObjectNode r = RefitBenchmark.run(new RefitBenchmark.Options(400, 3, 32, 2));
    assertThat(r.path("records").asLong()).isEqualTo(1200);
    assertThat(r.path("modelsCounted").asInt()).isEqualTo(400);
    assertThat(r.path("published").asBoolean()).isTrue();
    assertThat(r.path("peakHeapUsedMiB").asLong()).isPositive();
  }
}
