package io.prefstream.protocol.event;

import java.util.Map;
import java.util.Objects;

/**
 * One preference judgement: in {@code domain}, user {@code userId} preferred {@code chosen} over
 * {@code rejected} as a response to {@code prompt}.
 *
 * <p>Instances are only built by {@link EventParser} (or by code that already holds valid values), so
 * a {@code PreferenceEvent} is always valid. Fields this version does not know are kept verbatim in
 * {@code extensions} so that a newer producer's data survives the pipeline unchanged.
 *
 * @param eventId idempotency key, unique per user
 * @param strength how strongly or unanimously {@code chosen} is preferred, in (0, 1]
 * @param timestampMs event time, epoch millis
 * @param extensions unknown top-level fields as raw JSON text, in arrival order
 */
public record PreferenceEvent(
    String eventId,
    String userId,
    String domain,
    String prompt,
    String chosen,
    String rejected,
    double strength,
    long timestampMs,
    Integer schemaVersion,
    Map<String, String> extensions) {

  public static final double DEFAULT_STRENGTH = 1.0;

  public PreferenceEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(chosen, "chosen");
    Objects.requireNonNull(rejected, "rejected");
    extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
  }

  /** A new event with no extensions and no schema version, for producers and tests. */
  public static PreferenceEvent of(
      String eventId, String userId, String domain, String prompt, String chosen, String rejected,
      double strength, long timestampMs) {
    return new PreferenceEvent(
        eventId, userId, domain, prompt, chosen, rejected, strength, timestampMs, null, Map.of());
  }
}
