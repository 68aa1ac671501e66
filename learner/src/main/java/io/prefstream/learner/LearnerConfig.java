package io.prefstream.learner;

import io.prefstream.protocol.checkpoint.CheckpointSigner;
import io.prefstream.protocol.checkpoint.SigningKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Everything the learner service needs, typed and validated once.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topics topic names (prefix {@code topic.prefix})
 * @param instanceId stable per instance: the transactional id is {@code <prefix>learner-<instanceId>}, so a restarted
 *     instance fences its crashed predecessor and aborts its open transaction
 * @param groupId consumer group shared by all learner instances
 * @param dataDir local working folder (nothing there is needed for correctness; state lives in Kafka)
 * @param encoderSpec text encoder ({@code learner.encoder}); must equal the base model's encoderId
 * @param encoderCacheEntries LRU size of the embedding cache
 * @param baseDir a {@code train-base --out} folder to bootstrap the base from, or null
 * @param baseData general-preference event files to train the base (and the enrichment pool) from
 * @param training the trainer's and the gate's knobs
 * @param blockRecords batch records per offset block; a trainer call never spans blocks, so results do not depend on
 *     poll boundaries (see {@code BlockBuffer})
 * @param kafka extra client settings ({@code kafka.*}, e.g. security), applied to every client
 * @param checkpointSigningKey when set ({@code checkpoint.signing.key}), every record the learner writes to
 *     {@code models} (base, checkpoints, tombstones) carries an HMAC signature by it; null: unsigned
 */
public record LearnerConfig(
    String bootstrapServers,
    Topics topics,
    String instanceId,
    String groupId,
    Path dataDir,
    String encoderSpec,
    int encoderCacheEntries,
    Path baseDir,
    List<Path> baseData,
    LearningConfig training,
    Duration pollTimeout,
    int maxPollRecords,
    int blockRecords,
    Duration transactionTimeout,
    Map<String, Object> kafka,
    SigningKey checkpointSigningKey) {

  public static final String DEFAULT_ENCODER = "all-minilm-l6-v2-q";
  /** Prefix of the checkpoint signing key settings, shared with the scorer. */
  public static final String SIGNING_PREFIX = "checkpoint.signing.";

  public LearnerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(training, "training");
    if (instanceId == null || !instanceId.matches("[a-zA-Z0-9._-]{1,100}")) {
      throw new ConfigException("instance.id", instanceId, "1-100 chars of [a-zA-Z0-9._-]");
    }
    if (groupId == null || groupId.isBlank()) {
      throw new ConfigException("learner.group.id", groupId, "a non-empty consumer group id");
    }
    if (encoderSpec == null || encoderSpec.isBlank()) {
      throw new ConfigException("learner.encoder", encoderSpec, "an encoder spec such as " + DEFAULT_ENCODER);
    }
    if (encoderCacheEntries < 0) {
      throw new ConfigException("learner.encoder.cache.entries", String.valueOf(encoderCacheEntries), ">= 0");
    }
    if (blockRecords < 1) {
      throw new ConfigException("learner.block.records", String.valueOf(blockRecords), ">= 1");
    }
    if (maxPollRecords < 1) {
      throw new ConfigException("learner.max.poll.records", String.valueOf(maxPollRecords), ">= 1");
    }
    baseData = List.copyOf(baseData);
    kafka = Map.copyOf(kafka);
  }

  /** The learner's own compacted topic for the state a checkpoint does not carry. */
  public String stateTopic() {
    return topics.prefix() + "learner-state";
  }

  public String transactionalId() {
    return topics.prefix() + "learner-" + instanceId;
  }

  /** Defaults for embedding (local mode, tests): everything but the broker address and data folder. */
  public static LearnerConfig defaults(String bootstrapServers, Path dataDir) {
    return new LearnerConfig(bootstrapServers, Topics.defaults(), "local", Topics.DEFAULT_PREFIX + "learner",
        dataDir, DEFAULT_ENCODER, 200_000, null, defaultBaseData(), LearningConfig.defaults(),
        Duration.ofMillis(200), 500, 256, Duration.ofSeconds(30), Map.of(), null);
  }

  public LearnerConfig withTopics(Topics newTopics) {
    return new LearnerConfig(bootstrapServers, newTopics, instanceId, newTopics.prefix() + "learner", dataDir,
        encoderSpec, encoderCacheEntries, baseDir, baseData, training, pollTimeout, maxPollRecords, blockRecords,
        transactionTimeout, kafka, checkpointSigningKey);
  }

  public LearnerConfig withInstanceId(String id) {
    return new LearnerConfig(bootstrapServers, topics, id, groupId, dataDir, encoderSpec, encoderCacheEntries,
        baseDir, baseData, training, pollTimeout, maxPollRecords, blockRecords, transactionTimeout, kafka,
        checkpointSigningKey);
  }

  public LearnerConfig withEncoder(String spec) {
    return new LearnerConfig(bootstrapServers, topics, instanceId, groupId, dataDir, spec, encoderCacheEntries,
        baseDir, baseData, training, pollTimeout, maxPollRecords, blockRecords, transactionTimeout, kafka,
        checkpointSigningKey);
  }

  public LearnerConfig withBase(Path newBaseDir, List<Path> newBaseData) {
    return new LearnerConfig(bootstrapServers, topics, instanceId, groupId, dataDir, encoderSpec,
        encoderCacheEntries, newBaseDir, newBaseData, training, pollTimeout, maxPollRecords, blockRecords, transactionTimeout,
        kafka, checkpointSigningKey);
  }

  public LearnerConfig withTraining(LearningConfig newTraining) {
    return new LearnerConfig(bootstrapServers, topics, instanceId, groupId, dataDir, encoderSpec,
        encoderCacheEntries, baseDir, baseData, newTraining, pollTimeout, maxPollRecords, blockRecords, transactionTimeout,
        kafka, checkpointSigningKey);
  }

  public LearnerConfig withBlocks(int newBlockRecords, int newMaxPollRecords) {
    return new LearnerConfig(bootstrapServers, topics, instanceId, groupId, dataDir, encoderSpec,
        encoderCacheEntries, baseDir, baseData, training, pollTimeout, newMaxPollRecords, newBlockRecords,
        transactionTimeout, kafka, checkpointSigningKey);
  }

  /**
   * Reads the configuration keys documented in learner/README.md. {@code bootstrap.servers} is required;
   * {@code data.dir} defaults to {@code ./data}.
   */
  public static LearnerConfig from(Settings s) {
    Topics topics = new Topics(s.string("topic.prefix", Topics.DEFAULT_PREFIX));
    Path dataDir = Path.of(s.string("data.dir", "data"));
    String baseDirText = s.string("learner.base.dir", null);
    String baseDataText = s.string("learner.base.data", null);
    List<Path> baseData = baseDataText == null ? defaultBaseData() : parsePaths(baseDataText);
    Map<String, Object> kafka = new java.util.HashMap<>(s.kafkaClientConfig());
    kafka.remove("bootstrap.servers");
    return new LearnerConfig(
        s.requiredString("bootstrap.servers"),
        topics,
        s.string("instance.id", "learner-0"),
        s.string("learner.group.id", topics.prefix() + "learner"),
        dataDir,
        s.string("learner.encoder", DEFAULT_ENCODER),
        s.integer("learner.encoder.cache.entries", 200_000, 0, 50_000_000),
        baseDirText == null || baseDirText.isBlank() ? null : Path.of(baseDirText),
        baseData,
        LearningConfig.from(s),
        s.duration("learner.poll.timeout", Duration.ofMillis(200)),
        s.integer("learner.max.poll.records", 500, 1, 100_000),
        s.integer("learner.block.records", 256, 1, 100_000),
        s.duration("learner.transaction.timeout", Duration.ofSeconds(30)),
        kafka,
        signingKey(s));
  }

  /** Signs with this key from now on (null: stop signing). */
  public LearnerConfig withCheckpointSigningKey(SigningKey key) {
    return new LearnerConfig(bootstrapServers, topics, instanceId, groupId, dataDir, encoderSpec, encoderCacheEntries,
        baseDir, baseData, training, pollTimeout, maxPollRecords, blockRecords, transactionTimeout, kafka, key);
  }

  /** The signer of {@code models} records, or null when no key is configured. */
  public CheckpointSigner checkpointSigner() {
    return checkpointSigningKey == null ? null : new CheckpointSigner(checkpointSigningKey);
  }

  /** {@code checkpoint.signing.key} (base64) or {@code checkpoint.signing.key.file}, and {@code .key.id}. */
  private static SigningKey signingKey(Settings s) {
    try {
      return SigningKey.fromConfig(s.asMap(), SIGNING_PREFIX).orElse(null);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(SIGNING_PREFIX + "*", "(secret, not shown)", e.getMessage());
    }
  }

  private static List<Path> parsePaths(String text) {
    List<Path> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(Path.of(part.trim()));
      }
    }
    return out;
  }

  /**
   * {@code general/*.events.jsonl} under the data folder named by system property {@code prefstream.data.dir}, or
   * {@code ../shared/data} next to the working directory; empty when neither exists.
   */
  public static List<Path> defaultBaseData() {
    String prop = System.getProperty("prefstream.data.dir");
    Path root = prop != null ? Path.of(prop) : Path.of("..", "shared", "data");
    Path general = root.resolve("general");
    if (!Files.isDirectory(general)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(general)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".events.jsonl")).sorted().toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }
}
