package io.prefstream.protocol.topic;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The key of a record on the compacted {@code models} topic: the general base ({@code base}), or the customized
 * model of one (user, domain) ({@code user/<domain>/<userId>}; domains cannot hold '/', so the split is unambiguous).
 *
 * @param userId null for the base
 * @param domain null for the base
 */
public record ModelKey(String userId, String domain) {
  public static final ModelKey BASE = new ModelKey(null, null);
  private static final String BASE_TEXT = "base";
  private static final String USER_PREFIX = "user/";

  public ModelKey {
    if ((userId == null) != (domain == null)) {
      throw new IllegalArgumentException("userId and domain are both set or both null, got (" + userId + ", " + domain + ")");
    }
  }

  public static ModelKey of(String userId, String domain) {
    return new ModelKey(Objects.requireNonNull(userId, "userId"), Objects.requireNonNull(domain, "domain"));
  }

  public boolean isBase() {
    return userId == null;
  }

  public String encode() {
    return isBase() ? BASE_TEXT : USER_PREFIX + domain + "/" + userId;
  }

  public byte[] bytes() {
    return encode().getBytes(StandardCharsets.UTF_8);
  }

  public static ModelKey decode(String text) {
    if (BASE_TEXT.equals(text)) {
      return BASE;
    }
    if (text != null && text.startsWith(USER_PREFIX)) {
      int slash = text.indexOf('/', USER_PREFIX.length());
      if (slash > USER_PREFIX.length() && slash < text.length() - 1) {
        return of(text.substring(slash + 1), text.substring(USER_PREFIX.length(), slash));
      }
    }
    throw new IllegalArgumentException("model key '" + text + "' is neither 'base' nor 'user/<domain>/<userId>'");
  }

  public static ModelKey decode(byte[] bytes) {
    return decode(bytes == null ? null : new String(bytes, StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return encode();
  }
}
