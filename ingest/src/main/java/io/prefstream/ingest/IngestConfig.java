package io.prefstream.ingest;

import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the ingest service needs. Built from {@link Settings} (file, environment, flags) or from
 * {@link #defaults} plus with-ers in tests and local mode.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param dataDir Kafka Streams keeps its state under {@code dataDir/ingest/streams}
 * @param topics topic names under one prefix
 * @param applicationId Kafka Streams application id (consumer group, transactional ids, internal topic names)
 * @param window length of the processing-time window a batch collects events in
 * @param earlyEmitEvents a batch is emitted as soon as it holds this many events, before its window closes
 * @param batchMaxBytes a batch is also emitted early before the encoded events would pass this many bytes, so that
 *     it stays under the broker's message size limit
 * @param dedupeRetention how long an eventId is remembered for dropping duplicates
 * @param partitions partition count of {@code events} and {@code batches} when ingest creates them
 * @param dlqPartitions partition count of {@code events.dlq} when ingest creates it
 * @param replicationFactor replication factor of created topics; -1 takes the broker's default
 * @param createTopics create missing topics on start
 * @param streamThreads Kafka Streams threads in this instance
 * @param commitInterval how often transactions commit; lower is fresher, higher is faster
 * @param userRateLimit per-user token bucket between dedupe and batching (events over it go to the dead-letter topic)
 * @param cacheMaxBytes Kafka Streams record cache, which absorbs pending-batch writes that are deleted again
 *     before the next commit
 * @param instanceId names this instance in client ids (pod name in a cluster)
 * @param clientConfig extra Kafka client settings ({@code kafka.*} keys without the prefix), applied last
 */
public record IngestConfig(
    String bootstrapServers,
    Path dataDir,
    Topics topics,
    String applicationId,
    Duration window,
    int earlyEmitEvents,
    int batchMaxBytes,
    Duration dedupeRetention,
    UserRateLimit userRateLimit,
    int partitions,
    int dlqPartitions,
    short replicationFactor,
    boolean createTopics,
    int streamThreads,
    Duration commitInterval,
    long cacheMaxBytes,
    String instanceId,
    Map<String, Object> clientConfig) {

  /** Half a second: an event waits for its window to close (on average half of it), and freshness is the point. */
  public static final Duration DEFAULT_WINDOW = Duration.ofMillis(500);
  public static final int DEFAULT_EARLY_EMIT_EVENTS = 32;
  public static final int DEFAULT_BATCH_MAX_BYTES = 900 * 1024;
  public static final Duration DEFAULT_DEDUPE_RETENTION = Duration.ofHours(24);
  public static final int DEFAULT_PARTITIONS = 12;
  public static final int DEFAULT_DLQ_PARTITIONS = 3;
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(100);
  public static final long DEFAULT_CACHE_MAX_BYTES = 32L * 1024 * 1024;

  public IngestConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(dedupeRetention, "dedupeRetention");
    Objects.requireNonNull(userRateLimit, "userRateLimit");
    Objects.requireNonNull(commitInterval, "commitInterval");
    if (bootstrapServers.isBlank()) {
      throw new ConfigException("bootstrap.servers", bootstrapServers, "host:port[,host:port...]");
    }
    if (!applicationId.matches("[a-zA-Z0-9._-]{1,200}")) {
      throw new ConfigException("ingest.application.id", applicationId, "1-200 chars of [a-zA-Z0-9._-]");
    }
    if (window.toMillis() < 1 || window.toMillis() > Duration.ofHours(1).toMillis()) {
      throw new ConfigException("ingest.window.ms", window.toMillis() + "ms", "a duration in [1ms, 1h]");
    }
    if (earlyEmitEvents < 1 || earlyEmitEvents > 100_000) {
      throw new ConfigException("ingest.early.emit.events", String.valueOf(earlyEmitEvents), "an integer in [1, 100000]");
    }
    if (batchMaxBytes < 1024) {
      throw new ConfigException("ingest.batch.max.bytes", String.valueOf(batchMaxBytes), "at least 1024");
    }
    if (dedupeRetention.toMillis() < 1000) {
      throw new ConfigException("ingest.dedupe.retention.ms", dedupeRetention.toMillis() + "ms", "at least 1s");
    }
    if (partitions < 1 || dlqPartitions < 1) {
      throw new ConfigException("topics.partitions", partitions + "/" + dlqPartitions, "at least 1 partition");
    }
    if (replicationFactor == 0 || replicationFactor < -1) {
      throw new ConfigException("topics.replication.factor", String.valueOf(replicationFactor), "-1 (broker default) or >= 1");
    }
    if (streamThreads < 1 || streamThreads > 64) {
      throw new ConfigException("ingest.stream.threads", String.valueOf(streamThreads), "an integer in [1, 64]");
    }
    if (commitInterval.toMillis() < 1) {
      throw new ConfigException("ingest.commit.interval.ms", commitInterval.toMillis() + "ms", "at least 1ms");
    }
    if (cacheMaxBytes < 0) {
      throw new ConfigException("ingest.cache.max.bytes", String.valueOf(cacheMaxBytes), "a non-negative byte count");
    }
    instanceId = instanceId == null || instanceId.isBlank() ? "ingest" : instanceId;
    clientConfig = Map.copyOf(clientConfig == null ? Map.of() : clientConfig);
  }

  /** Defaults aimed at freshness (1 s windows, early emit at 32 events), topics under {@code prefstream.}. */
  public static IngestConfig defaults(String bootstrapServers, Path dataDir) {
    Topics topics = Topics.defaults();
    return new IngestConfig(bootstrapServers, dataDir, topics, defaultApplicationId(topics), DEFAULT_WINDOW,
        DEFAULT_EARLY_EMIT_EVENTS, DEFAULT_BATCH_MAX_BYTES, DEFAULT_DEDUPE_RETENTION, UserRateLimit.DEFAULT, DEFAULT_PARTITIONS,
        DEFAULT_DLQ_PARTITIONS, (short) -1, true, 1, DEFAULT_COMMIT_INTERVAL, DEFAULT_CACHE_MAX_BYTES, "ingest",
        Map.of());
  }

  /**
   * Reads the configuration keys documented in {@code ingest/README.md}. {@code bootstrap.servers} is required;
   * {@code data.dir} defaults to {@code ./data}.
   */
  public static IngestConfig from(Settings s) {
    Topics topics = new Topics(s.string("topic.prefix", Topics.DEFAULT_PREFIX));
    Map<String, Object> client = new HashMap<>(s.kafkaClientConfig());
    client.remove("bootstrap.servers");
    return new IngestConfig(
        s.requiredString("bootstrap.servers"),
        Path.of(s.string("data.dir", "data")),
        topics,
        s.string("ingest.application.id", defaultApplicationId(topics)),
        s.duration("ingest.window.ms", DEFAULT_WINDOW),
        s.integer("ingest.early.emit.events", DEFAULT_EARLY_EMIT_EVENTS, 1, 100_000),
        s.integer("ingest.batch.max.bytes", DEFAULT_BATCH_MAX_BYTES, 1024, 64 * 1024 * 1024),
        s.duration("ingest.dedupe.retention.ms", DEFAULT_DEDUPE_RETENTION),
        new UserRateLimit(
            s.doubleValue("ingest.user.rate.per.sec", UserRateLimit.DEFAULT.perSecond(), 0, 1_000_000),
            s.integer("ingest.user.burst", UserRateLimit.DEFAULT.burst(), 0, Integer.MAX_VALUE),
            s.integer("ingest.user.rate.tracked.users", UserRateLimit.DEFAULT.maxTrackedUsers(), 1, 100_000_000)),
        s.integer("topics.partitions", DEFAULT_PARTITIONS, 1, 10_000),
        s.integer("topics.dlq.partitions", DEFAULT_DLQ_PARTITIONS, 1, 10_000),
        (short) s.integer("topics.replication.factor", -1, -1, 32),
        s.bool("topics.create", true),
        s.integer("ingest.stream.threads", 1, 1, 64),
        s.duration("ingest.commit.interval.ms", DEFAULT_COMMIT_INTERVAL),
        s.longValue("ingest.cache.max.bytes", DEFAULT_CACHE_MAX_BYTES, 0, Long.MAX_VALUE),
        s.string("instance.id", "ingest"),
        client);
  }

  /** {@code <prefix>ingest}, so that two deployments sharing a cluster under different prefixes do not collide. */
  public static String defaultApplicationId(Topics topics) {
    return topics.prefix() + "ingest";
  }

  public Path stateDir() {
    return dataDir.resolve("ingest").resolve("streams");
  }

  public IngestConfig withWindow(Duration newWindow) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, newWindow, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withEarlyEmit(int newEarlyEmitEvents) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, newEarlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withApplicationId(String newApplicationId) {
    return new IngestConfig(bootstrapServers, dataDir, topics, newApplicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  /** Also moves the application id to the new prefix when it was the default one. */
  public IngestConfig withTopics(Topics newTopics) {
    String appId = applicationId.equals(defaultApplicationId(topics)) ? defaultApplicationId(newTopics) : applicationId;
    return new IngestConfig(bootstrapServers, dataDir, newTopics, appId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withPartitions(int newPartitions) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, newPartitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withDedupeRetention(Duration newRetention) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, newRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  /** {@link UserRateLimit#DISABLED} turns the rate-limit step off. */
  public IngestConfig withUserRateLimit(UserRateLimit newLimit) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, newLimit, partitions, dlqPartitions, replicationFactor, createTopics,
        streamThreads, commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withStreamThreads(int newThreads) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, newThreads,
        commitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withCommitInterval(Duration newCommitInterval) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        newCommitInterval, cacheMaxBytes, instanceId, clientConfig);
  }

  public IngestConfig withInstanceId(String newInstanceId) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, newInstanceId, clientConfig);
  }

  public IngestConfig withClientConfig(Map<String, Object> newClientConfig) {
    return new IngestConfig(bootstrapServers, dataDir, topics, applicationId, window, earlyEmitEvents,
        batchMaxBytes, dedupeRetention, userRateLimit, partitions, dlqPartitions, replicationFactor, createTopics, streamThreads,
        commitInterval, cacheMaxBytes, instanceId, newClientConfig);
  }
}
