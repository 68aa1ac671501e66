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

  /**
   * UTF-8 length of a Java string, counted as the protocol counts it (a lone surrogate as 3 bytes), without encoding
   * it: the text limits are checked on every event.
   */
  public static int utf8Length(String s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
