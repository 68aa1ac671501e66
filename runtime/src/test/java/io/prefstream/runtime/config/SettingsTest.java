package io.prefstream.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @Test
  void environmentOverridesFileAndFlagsOverrideEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("p.properties");
    Files.writeString(file, "ingest.window.ms=1000\nbootstrap.servers=file:9092\nkafka.security.protocol=SSL\n");
    Settings s = Settings.load(file,
        Map.of("PREFSTREAM_INGEST_WINDOW_MS", "250", "PREFSTREAM_BOOTSTRAP_SERVERS", "env:9092", "HOME", "/root"),
        Map.of("bootstrap.servers", "flag:9092"));
    assertThat(s.duration("ingest.window.ms", Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
    assertThat(s.kafkaClientConfig()).containsEntry("bootstrap.servers", "flag:9092")
        .containsEntry("security.protocol", "SSL");
    assertThat(s.asMap()).doesNotContainKey("home");
  }

  @Test
  void parsesDurationsAndRejectsBadValuesNamingKeyAndRange() {
    Settings s = Settings.of(Map.of("a", "1.5s", "b", "24h", "c", "abc", "d", "70"));
    assertThat(s.duration("a", null)).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.duration("b", null)).isEqualTo(Duration.ofHours(24));
    assertThatThrownBy(() -> s.duration("c", null)).hasMessageContaining("'c' = 'abc'").hasMessageContaining("500ms");
    assertThatThrownBy(() -> s.integer("d", 1, 1, 64)).hasMessageContaining("[1, 64]");
    assertThatThrownBy(() -> s.requiredString("bootstrap.servers")).hasMessageContaining("PREFSTREAM_BOOTSTRAP_SERVERS");
    assertThat(s.toString()).doesNotContain("abc");
  }
}
