package io.prefstream.protocol.score;

import java.util.List;
import java.util.Objects;

/**
 * Asks for the reward of each candidate response to {@code prompt}, as judged by the model of (userId, domain).
 * Built only by {@link ScoreRequestParser} or by code holding valid values.
 */
public record ScoreRequest(String requestId, String userId, String domain, String prompt, List<String> candidates) {
  public ScoreRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(prompt, "prompt");
    candidates = List.copyOf(candidates);
  }
}
