package io.prefstream.runtime.config;

/** A configuration value that is missing or not valid; the message names the key, the value and what is valid. */
public class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String key, String value, String expected) {
    super("config '" + key + "' = " + (value == null ? "(unset)" : "'" + value + "'") + " is invalid: expected "
        + expected);
  }
}
