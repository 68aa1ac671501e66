package io.prefstream.protocol.event;

import java.util.regex.Pattern;

/** The v1 protocol's size and format limits. They are part of the wire contract, mirrored in the JSON Schema. */
public final class EventLimits {
  public static final int MAX_RECORD_BYTES = 1024 * 1024;
  public static final int MAX_EVENT_ID_CHARS = 128;
  public static final int MAX_USER_ID_CHARS = 256;
  public static final int MAX_TEXT_BYTES = 32 * 1024;
  public static final Pattern DOMAIN = Pattern.compile("[a-z0-9._-]{1,64}");
  public static final int SCHEMA_VERSION = 1;

  private EventLimits() {}
}
