package io.prefstream.model.data;

/**
 * One preference pair as read from an event JSONL file, for offline training and evaluation.
 * Unlike a protocol event, {@code userId} may be null: general data belongs to no user.
 *
 * @param strength in (0, 1], 1 when the file does not say
 */
public record PreferenceRecord(
    String userId, String domain, String prompt, String chosen, String rejected, double strength) {

  public PreferenceRecord {
    if (domain == null || domain.isEmpty()) {
      throw new IllegalArgumentException("domain is required");
    }
    if (prompt == null || chosen == null || rejected == null) {
      throw new IllegalArgumentException("prompt, chosen and rejected are required");
    }
    if (!(strength > 0 && strength <= 1)) {
      throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
    }
  }
}
