package io.prefstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestConfigTest {

  @Test
  void defaultsAimAtFreshness() {
    IngestConfig c = IngestConfig.defaults("localhost:9092", Path.of("/var/lib/prefstream"));
    assertThat(c.window()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.earlyEmitEvents()).isEqualTo(32);
    assertThat(c.dedupeRetention()).isEqualTo(Duration.ofHours(24));
    assertThat(c.topics().events()).isEqualTo("prefstream.events");
    assertThat(c.applicationId()).isEqualTo("prefstream.ingest");
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/prefstream/ingest/streams"));
    assertThat(c.userRateLimit()).isEqualTo(UserRateLimit.DEFAULT);
    assertThat(c.userRateLimit().enabled()).isTrue();
    assertThat(IngestConfig.from(Settings.of(Map.of("bootstrap.servers", "k:9092", "ingest.user.rate.per.sec", "0")))
        .userRateLimit().enabled()).isFalse();
  }

  @Test
  void readsEveryKeyFromSettings() {
    IngestConfig c = IngestConfig.from(Settings.of(Map.ofEntries(
        Map.entry("bootstrap.servers", "kafka:9092"),
        Map.entry("data.dir", "/data"),
        Map.entry("topic.prefix", "team-a."),
        Map.entry("ingest.window.ms", "250ms"),
        Map.entry("ingest.early.emit.events", "8"),
        Map.entry("ingest.batch.max.bytes", "65536"),
        Map.entry("ingest.dedupe.retention.ms", "2h"),
        Map.entry("ingest.user.rate.per.sec", "2.5"),
        Map.entry("ingest.user.burst", "40"),
        Map.entry("ingest.user.rate.tracked.users", "5000"),
        Map.entry("topics.partitions", "6"),
        Map.entry("topics.dlq.partitions", "2"),
        Map.entry("topics.replication.factor", "3"),
        Map.entry("topics.create", "false"),
        Map.entry("ingest.stream.threads", "2"),
        Map.entry("ingest.commit.interval.ms", "200"),
        Map.entry("ingest.cache.max.bytes", "1048576"),
        Map.entry("instance.id", "pod-7"),
        Map.entry("kafka.security.protocol", "SASL_SSL"))));
    assertThat(c.bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(c.dataDir()).isEqualTo(Path.of("/data"));
    assertThat(c.topics().batches()).isEqualTo("team-a.batches");
    assertThat(c.applicationId()).isEqualTo("team-a.ingest");
    assertThat(c.window()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.earlyEmitEvents()).isEqualTo(8);
    assertThat(c.batchMaxBytes()).isEqualTo(65536);
    assertThat(c.dedupeRetention()).isEqualTo(Duration.ofHours(2));
    assertThat(c.userRateLimit()).isEqualTo(new UserRateLimit(2.5, 40, 5000));
    assertThat(c.partitions()).isEqualTo(6);
    assertThat(c.dlqPartitions()).isEqualTo(2);
    assertThat(c.replicationFactor()).isEqualTo((short) 3);
    assertThat(c.createTopics()).isFalse();
    assertThat(c.streamThreads()).isEqualTo(2);
    assertThat(c.commitInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(c.cacheMaxBytes()).isEqualTo(1048576);
    assertThat(c.instanceId()).isEqualTo("pod-7");
    assertThat(c.clientConfig()).containsEntry("security.protocol", "SASL_SSL").doesNotContainKey("bootstrap.servers");
    assertThat(IngestService.streamsProperties(c, new io.prefstream.ingest.metrics.IngestMetrics(
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())))
        .containsEntry("processing.guarantee", "exactly_once_v2")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("state.dir", Path.of("/data/ingest/streams").toAbsolutePath().toString());
  }

  @Test
  void invalidValuesNameTheKeyAndWhatIsValid() {
    assertThatThrownBy(() -> IngestConfig.from(Settings.of(Map.of())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
    assertThatThrownBy(() -> IngestConfig.from(Settings.of(Map.of("bootstrap.servers", "k:9092",
        "ingest.early.emit.events", "0"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.early.emit.events").hasMessageContaining("[1, 100000]");
    assertThatThrownBy(() -> IngestConfig.from(Settings.of(Map.of("bootstrap.servers", "k:9092",
        "ingest.window.ms", "soon"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.window.ms");
    assertThatThrownBy(() -> IngestConfig.defaults("k:9092", Path.of("d")).withWindow(Duration.ZERO))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.window.ms");
    assertThatThrownBy(() -> IngestConfig.defaults("k:9092", Path.of("d")).withApplicationId("has space"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.application.id");
  }
}
