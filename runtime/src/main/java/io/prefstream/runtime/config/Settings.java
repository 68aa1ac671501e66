package io.prefstream.runtime.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Flat key/value service configuration: a properties file, overridden by environment variables, overridden by
 * explicit values (command-line flags). Services turn it into their own typed config records.
 *
 * <p>An environment variable {@code PREFSTREAM_INGEST_WINDOW_MS} sets {@code ingest.window.ms}: the
 * {@code PREFSTREAM_} prefix is dropped, the rest lower-cased, and {@code _} becomes {@code .}. Keys under
 * {@code kafka.} are passed to every Kafka client with the prefix removed (security settings go there).
 */
public final class Settings {
  public static final String ENV_PREFIX = "PREFSTREAM_";
  public static final String KAFKA_PREFIX = "kafka.";

  private final Map<String, String> values;

  private Settings(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(new TreeMap<>(values));
  }

  public static Settings of(Map<String, String> values) {
    return new Settings(values);
  }

  /**
   * Loads settings in precedence order: {@code file} (may be null), then {@code env}, then {@code overrides}.
   */
  public static Settings load(Path file, Map<String, String> env, Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>();
    if (file != null) {
      Properties props = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        props.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
      }
      for (String name : props.stringPropertyNames()) {
        merged.put(name, props.getProperty(name).trim());
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().startsWith(ENV_PREFIX) && e.getKey().length() > ENV_PREFIX.length()) {
        String key = e.getKey().substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        merged.put(key, e.getValue().trim());
      }
    }
    overrides.forEach((k, v) -> {
      if (v != null) {
        merged.put(k, v);
      }
    });
    return new Settings(merged);
  }

  /** A copy with {@code key} set, for layering defaults computed at run time. */
  public Settings with(String key, String value) {
    Map<String, String> copy = new HashMap<>(values);
    copy.put(key, value);
    return new Settings(copy);
  }

  public Map<String, String> asMap() {
    return values;
  }

  public String string(String key, String defaultValue) {
    return values.getOrDefault(key, defaultValue);
  }

  public String requiredString(String key) {
    String v = values.get(key);
    if (v == null || v.isBlank()) {
      throw new ConfigException(key, v, "a value is required (set it in the config file, as "
          + ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_') + ", or with a flag)");
    }
    return v;
  }

  public int integer(String key, int defaultValue, int min, int max) {
    long v = longValue(key, defaultValue, min, max);
    return (int) v;
  }

  public long longValue(String key, long defaultValue, long min, long max) {
    String raw = values.get(key);
    if (raw == null) {
      return defaultValue;
    }
    long v;
    try {
      v = Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, raw, "an integer in [" + min + ", " + max + "]");
    }
    if (v < min || v > max) {
      throw new ConfigException(key, raw, "an integer in [" + min + ", " + max + "]");
    }
    return v;
  }

  public double doubleValue(String key, double defaultValue, double min, double max) {
    String raw = values.get(key);
    if (raw == null) {
      return defaultValue;
    }
    double v;
    try {
      v = Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, raw, "a number in [" + min + ", " + max + "]");
    }
    if (!(v >= min && v <= max)) {
      throw new ConfigException(key, raw, "a number in [" + min + ", " + max + "]");
    }
    return v;
  }

  public boolean bool(String key, boolean defaultValue) {
    String raw = values.get(key);
    if (raw == null) {
      return defaultValue;
    }
    return switch (raw.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new ConfigException(key, raw, "true or false");
    };
  }

  /** A duration in milliseconds; suffixes {@code ms}, {@code s}, {@code m}, {@code h} are accepted. */
  public Duration duration(String key, Duration defaultValue) {
    String raw = values.get(key);
    if (raw == null) {
      return defaultValue;
    }
    String s = raw.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else if (s.endsWith("s")) {
        return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      } else if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      } else if (s.endsWith("h")) {
        return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
      }
      return Duration.ofMillis(Long.parseLong(s));
    } catch (NumberFormatException e) {
      throw new ConfigException(key, raw, "a duration such as 500ms, 1s, 5m, 24h or plain milliseconds");
    }
  }

  /** Settings for Kafka clients: every {@code kafka.*} key with the prefix removed, plus bootstrap servers. */
  public Map<String, Object> kafkaClientConfig() {
    Map<String, Object> out = new HashMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().startsWith(KAFKA_PREFIX)) {
        out.put(e.getKey().substring(KAFKA_PREFIX.length()), e.getValue());
      }
    }
    out.put("bootstrap.servers", requiredString("bootstrap.servers"));
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Settings s && s.values.equals(values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(values);
  }

  /** Values are not printed: they may hold credentials. */
  @Override
  public String toString() {
    return "Settings" + values.keySet();
  }
}
