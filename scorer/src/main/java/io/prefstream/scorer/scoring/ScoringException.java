package io.prefstream.scorer.scoring;

/**
 * A request that was read but cannot be scored here; {@code code} is the reply's error code and the errors metric's
 * tag, {@code status} the HTTP status that goes with it.
 */
public final class ScoringException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  public static final String MODEL_UNAVAILABLE = "model_unavailable";
  public static final String NOT_OWNED = "not_owned";
  public static final String BAD_CANDIDATES = "bad_candidates";

  private final String code;
  private final int status;

  public ScoringException(String code, int status, String message) {
    super(message);
    this.code = code;
    this.status = status;
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }
}
