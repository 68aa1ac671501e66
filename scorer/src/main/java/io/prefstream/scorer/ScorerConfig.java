package io.prefstream.scorer;

import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.checkpoint.SigningKey;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything the scorer service needs, typed and validated. Built from {@link Settings} ({@link #from}) or from
 * defaults for embedding ({@link #defaults}).
 *
 * @param encoderSpec an {@code Encoders.open} spec; must match the base checkpoint's encoder id
 * @param encoderCacheEntries LRU entries of the embedding cache (0 disables the cache)
 * @param httpPort 0 picks a free port; -1 disables HTTP
 * @param maxBodyBytes HTTP bodies over this are answered 413
 * @param maxCandidates requests with more candidates are refused ({@code bad_candidates}); at most 64
 * @param httpToken when set, /v1/* requires {@code Authorization: Bearer <token>}; null = open
 * @param globalView true: hold every (user, domain) model; false: only those of {@code partitions}
 * @param partitions the partitions of {@code models} and {@code score-requests} this instance owns (partitioned view)
 * @param kafkaRequests whether to serve {@code score-requests} → {@code scores}
 * @param groupId consumer group for {@code score-requests} (global view: instances share the load through it)
 * @param dataDir where the service may keep local files (the scorer keeps nothing durable; its state is the topic)
 * @param kafkaClient extra Kafka client settings (security etc.), applied to every client
 * @param checkpointKeys trusted checkpoint signing keys ({@code checkpoint.signing.key}, and the previous one while
 *     keys rotate); empty: signatures are not checked; else every {@code models} record must be signed by one of them
 */
public record ScorerConfig(
    String bootstrapServers, Topics topics, String encoderSpec, int encoderCacheEntries, String httpHost,
    int httpPort, int httpThreads, int maxBodyBytes, int maxCandidates, String httpToken, boolean globalView,
    Set<Integer> partitions, boolean kafkaRequests, String groupId, Path dataDir, Map<String, Object> kafkaClient,
    Duration closeTimeout, List<SigningKey> checkpointKeys) {

  public static final String DEFAULT_ENCODER = "all-minilm-l6-v2-q";
  public static final int DEFAULT_HTTP_PORT = 8080;
  /** Prefix of the checkpoint signature keys, shared with the learner. */
  public static final String SIGNING_PREFIX = "checkpoint.signing.";

  public ScorerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(encoderSpec, "encoderSpec");
    Objects.requireNonNull(httpHost, "httpHost");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    if (encoderCacheEntries < 0) {
      throw new IllegalArgumentException("encoderCacheEntries " + encoderCacheEntries + " must be >= 0");
    }
    if (httpPort < -1 || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort " + httpPort + " must be -1 (off), 0 (any) or a port");
    }
    if (httpThreads < 1) {
      throw new IllegalArgumentException("httpThreads " + httpThreads + " must be >= 1");
    }
    if (maxBodyBytes < 1 || maxBodyBytes > ScoreRequestParser.MAX_REQUEST_BYTES) {
      throw new IllegalArgumentException("maxBodyBytes " + maxBodyBytes + " must be in [1, "
          + ScoreRequestParser.MAX_REQUEST_BYTES + "]");
    }
    if (maxCandidates < 1 || maxCandidates > ScoreRequestParser.MAX_CANDIDATES) {
      throw new IllegalArgumentException("maxCandidates " + maxCandidates + " must be in [1, "
          + ScoreRequestParser.MAX_CANDIDATES + "]");
    }
    if (httpToken != null && httpToken.isBlank()) {
      httpToken = null;
    }
    partitions = Set.copyOf(new TreeSet<>(partitions));
    if (!globalView && partitions.isEmpty()) {
      throw new IllegalArgumentException("a partitioned view needs at least one owned partition (scorer.partitions)");
    }
    for (int p : partitions) {
      if (p < 0) {
        throw new IllegalArgumentException("partition " + p + " must be >= 0");
      }
    }
    kafkaClient = Map.copyOf(kafkaClient);
    checkpointKeys = List.copyOf(checkpointKeys);
    if (!checkpointKeys.isEmpty()) {
      new CheckpointVerifier(checkpointKeys); // rejects two different keys under one id now, not at start()
    }
  }

  /** Global view, MiniLM (quantised) encoder, HTTP on 8080, Kafka requests on. */
  public static ScorerConfig defaults(String bootstrapServers) {
    return new ScorerConfig(bootstrapServers, Topics.defaults(), DEFAULT_ENCODER, 200_000, "0.0.0.0",
        DEFAULT_HTTP_PORT, 8, 1024 * 1024, ScoreRequestParser.MAX_CANDIDATES, null, true, Set.of(), true,
        "prefstream-scorer", Path.of("data", "scorer"), Map.of(), Duration.ofSeconds(10), List.of());
  }

  /**
   * Keys (defaults): {@code bootstrap.servers} (required), {@code topic.prefix} (prefstream.), {@code scorer.encoder}
   * (all-minilm-l6-v2-q), {@code scorer.encoder.cache.entries} (200000), {@code scorer.http.host} (0.0.0.0),
   * {@code scorer.http.port} (8080), {@code scorer.http.threads} (8), {@code scorer.http.max.body.bytes} (1048576),
   * {@code scorer.max.candidates} (64), {@code scorer.http.token} (none), {@code scorer.view} (global|partitioned),
   * {@code scorer.partitions} (comma list), {@code scorer.kafka.requests} (true), {@code scorer.group.id}
   * (prefstream-scorer), {@code data.dir} (data), {@code scorer.close.timeout} (10s), {@code kafka.*},
   * {@code checkpoint.signing.key}/{@code .key.file}/{@code .key.id} and {@code checkpoint.signing.previous.*}
   * (none: signatures not checked).
   */
  public static ScorerConfig from(Settings s) {
    String view = s.string("scorer.view", "global").trim();
    if (!view.equals("global") && !view.equals("partitioned")) {
      throw new ConfigException("scorer.view", view, "global or partitioned");
    }
    Set<Integer> partitions = new TreeSet<>();
    String raw = s.string("scorer.partitions", "").trim();
    if (!raw.isEmpty()) {
      for (String part : raw.split(",")) {
        try {
          partitions.add(Integer.parseInt(part.trim()));
        } catch (NumberFormatException e) {
          throw new ConfigException("scorer.partitions", raw, "a comma-separated list of partition numbers");
        }
      }
    }
    if (view.equals("partitioned") && partitions.isEmpty()) {
      throw new ConfigException("scorer.partitions", raw, "at least one partition number when scorer.view=partitioned");
    }
    Map<String, Object> kafka = s.kafkaClientConfig();
    kafka.remove("bootstrap.servers");
    try {
      return new ScorerConfig(
          s.requiredString("bootstrap.servers"),
          new Topics(s.string("topic.prefix", Topics.DEFAULT_PREFIX)),
          s.string("scorer.encoder", DEFAULT_ENCODER),
          s.integer("scorer.encoder.cache.entries", 200_000, 0, 50_000_000),
          s.string("scorer.http.host", "0.0.0.0"),
          s.integer("scorer.http.port", DEFAULT_HTTP_PORT, -1, 65535),
          s.integer("scorer.http.threads", 8, 1, 1024),
          s.integer("scorer.http.max.body.bytes", 1024 * 1024, 1, ScoreRequestParser.MAX_REQUEST_BYTES),
          s.integer("scorer.max.candidates", ScoreRequestParser.MAX_CANDIDATES, 1, ScoreRequestParser.MAX_CANDIDATES),
          s.string("scorer.http.token", null),
          view.equals("global"),
          partitions,
          s.bool("scorer.kafka.requests", true),
          s.string("scorer.group.id", "prefstream-scorer"),
          Path.of(s.string("data.dir", "data")).resolve("scorer"),
          kafka,
          s.duration("scorer.close.timeout", Duration.ofSeconds(10)),
          checkpointKeys(s));
    } catch (IllegalArgumentException e) {
      if (e instanceof ConfigException) {
        throw e;
      }
      throw new ConfigException("scorer", null, e.getMessage());
    }
  }

  public ScorerConfig withHttpPort(int port) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, encoderCacheEntries, httpHost, port, httpThreads,
        maxBodyBytes, maxCandidates, httpToken, globalView, partitions, kafkaRequests, groupId, dataDir, kafkaClient,
        closeTimeout, checkpointKeys);
  }

  public ScorerConfig withEncoder(String spec) {
    return new ScorerConfig(bootstrapServers, topics, spec, encoderCacheEntries, httpHost, httpPort, httpThreads,
        maxBodyBytes, maxCandidates, httpToken, globalView, partitions, kafkaRequests, groupId, dataDir, kafkaClient,
        closeTimeout, checkpointKeys);
  }

  public ScorerConfig withEncoderCacheEntries(int entries) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, entries, httpHost, httpPort, httpThreads,
        maxBodyBytes, maxCandidates, httpToken, globalView, partitions, kafkaRequests, groupId, dataDir, kafkaClient,
        closeTimeout, checkpointKeys);
  }

  public ScorerConfig withTopics(Topics newTopics) {
    return new ScorerConfig(bootstrapServers, newTopics, encoderSpec, encoderCacheEntries, httpHost, httpPort,
        httpThreads, maxBodyBytes, maxCandidates, httpToken, globalView, partitions, kafkaRequests, groupId, dataDir,
        kafkaClient, closeTimeout, checkpointKeys);
  }

  public ScorerConfig withHttpToken(String token) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, encoderCacheEntries, httpHost, httpPort,
        httpThreads, maxBodyBytes, maxCandidates, token, globalView, partitions, kafkaRequests, groupId, dataDir,
        kafkaClient, closeTimeout, checkpointKeys);
  }

  /** Holds only the models of {@code owned} partitions and serves only their score requests. */
  public ScorerConfig withPartitionedView(Set<Integer> owned) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, encoderCacheEntries, httpHost, httpPort,
        httpThreads, maxBodyBytes, maxCandidates, httpToken, false, owned, kafkaRequests, groupId, dataDir,
        kafkaClient, closeTimeout, checkpointKeys);
  }

  public ScorerConfig withKafkaRequests(boolean enabled, String group) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, encoderCacheEntries, httpHost, httpPort,
        httpThreads, maxBodyBytes, maxCandidates, httpToken, globalView, partitions, enabled, group, dataDir,
        kafkaClient, closeTimeout, checkpointKeys);
  }

  public ScorerConfig withDataDir(Path dir) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, encoderCacheEntries, httpHost, httpPort,
        httpThreads, maxBodyBytes, maxCandidates, httpToken, globalView, partitions, kafkaRequests, groupId, dir,
        kafkaClient, closeTimeout, checkpointKeys);
  }

  /** Trusts exactly these checkpoint signing keys (empty: no signature check). */
  public ScorerConfig withCheckpointKeys(List<SigningKey> keys) {
    return new ScorerConfig(bootstrapServers, topics, encoderSpec, encoderCacheEntries, httpHost, httpPort,
        httpThreads, maxBodyBytes, maxCandidates, httpToken, globalView, partitions, kafkaRequests, groupId, dataDir,
        kafkaClient, closeTimeout, keys);
  }

  /** The verifier of {@code models} records, or null when no signing key is configured. */
  public CheckpointVerifier checkpointVerifier() {
    return checkpointKeys.isEmpty() ? null : new CheckpointVerifier(checkpointKeys);
  }

  /**
   * {@code checkpoint.signing.key} / {@code .key.file} / {@code .key.id}, plus {@code checkpoint.signing.previous.key}
   * / {@code .key.file} / {@code .key.id} (still trusted while the learners move to the new key).
   */
  static List<SigningKey> checkpointKeys(Settings s) {
    List<SigningKey> keys = new ArrayList<>();
    try {
      SigningKey.fromConfig(s.asMap(), SIGNING_PREFIX).ifPresent(keys::add);
      Optional<SigningKey> previous = SigningKey.fromConfig(s.asMap(), SIGNING_PREFIX + "previous.");
      if (previous.isPresent() && keys.isEmpty()) {
        throw new ConfigException(SIGNING_PREFIX + "previous.key", "(set)",
            "only together with " + SIGNING_PREFIX + "key (the current key)");
      }
      previous.ifPresent(keys::add);
      if (keys.size() == 2 && keys.get(0).id().equals(keys.get(1).id())) {
        throw new ConfigException(SIGNING_PREFIX + "previous.key.id", keys.get(1).id(),
            "an id other than " + SIGNING_PREFIX + "key.id's");
      }
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(SIGNING_PREFIX + "*", "(secret, not shown)", e.getMessage());
    }
    return keys;
  }

  /** Settings for every Kafka client: bootstrap servers plus {@code kafka.*}. */
  public Map<String, Object> kafkaBase() {
    Map<String, Object> m = new java.util.HashMap<>(kafkaClient);
    m.put("bootstrap.servers", bootstrapServers);
    return m;
  }
}
