package io.prefstream.scorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScorerConfigTest {
  @Test
  void readsEveryKeyWithDefaults() {
    ScorerConfig d = ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "k:9092")));
    assertThat(d.encoderSpec()).isEqualTo("all-minilm-l6-v2-q");
    assertThat(d.httpPort()).isEqualTo(8080);
    assertThat(d.globalView()).isTrue();
    assertThat(d.maxCandidates()).isEqualTo(64);
    assertThat(d.httpToken()).isNull();
    assertThat(d.topics().models()).isEqualTo("prefstream.models");

    ScorerConfig c = ScorerConfig.from(Settings.of(Map.ofEntries(
        Map.entry("bootstrap.servers", "k:9092"), Map.entry("topic.prefix", "t."),
        Map.entry("scorer.encoder", "hashing-ngram-v1-d64"), Map.entry("scorer.http.port", "0"),
        Map.entry("scorer.view", "partitioned"), Map.entry("scorer.partitions", "2, 0"),
        Map.entry("scorer.http.token", "tok"), Map.entry("scorer.max.candidates", "8"),
        Map.entry("scorer.http.max.body.bytes", "2048"), Map.entry("scorer.close.timeout", "3s"),
        Map.entry("kafka.security.protocol", "SSL"))));
    assertThat(c.topics().models()).isEqualTo("t.models");
    assertThat(c.globalView()).isFalse();
    assertThat(c.partitions()).isEqualTo(Set.of(0, 2));
    assertThat(c.httpToken()).isEqualTo("tok");
    assertThat(c.maxCandidates()).isEqualTo(8);
    assertThat(c.maxBodyBytes()).isEqualTo(2048);
    assertThat(c.closeTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.kafkaBase()).containsEntry("security.protocol", "SSL").containsEntry("bootstrap.servers", "k:9092");
  }

  @Test
  void refusesInvalidValuesNamingTheKey() {
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "k", "scorer.view", "some"))))
        .hasMessageContaining("scorer.view");
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "k",
        "scorer.view", "partitioned")))).hasMessageContaining("scorer.partitions");
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "k",
        "scorer.max.candidates", "65")))).hasMessageContaining("scorer.max.candidates");
    assertThatThrownBy(() -> ScorerConfig.from(Settings.of(Map.of("bootstrap.servers", "k",
        "scorer.partitions", "a,b")))).hasMessageContaining("scorer.partitions");
  }
}
