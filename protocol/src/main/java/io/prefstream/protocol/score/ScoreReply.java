package io.prefstream.protocol.score;

import java.util.List;

/**
 * The answer to a {@link ScoreRequest}: one reward per candidate in request order, the candidate indices from best to
 * worst, and which model produced them. Exactly one of ({@code rewards}, {@code error}) is set.
 *
 * @param model the model version used; null on error
 */
public record ScoreReply(String requestId, List<Double> rewards, List<Integer> ranking, ModelVersion model,
    ScoreError error) {

  public static ScoreReply success(String requestId, List<Double> rewards, List<Integer> ranking, ModelVersion model) {
    return new ScoreReply(requestId, List.copyOf(rewards), List.copyOf(ranking), model, null);
  }

  public static ScoreReply failure(String requestId, ScoreError error) {
    return new ScoreReply(requestId, null, null, null, error);
  }

  /**
   * Which model scored: always a base version; a customized version when the (user, domain) has its own model.
   *
   * @param customized false when the user or domain is unknown and the generic model answered (cold start)
   * @param customVersion the customized model's version, or null when not customized
   */
  public record ModelVersion(long baseVersion, boolean customized, Long customVersion) {}

  /** Why a request could not be scored: a stable code and a message naming the offending value. */
  public record ScoreError(String code, String message) {}
}
