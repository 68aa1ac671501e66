package io.prefstream.model.eval;

/** Pairwise accuracy of one (userId, domain) group: the share of pairs whose chosen response scores higher. */
public record GroupAccuracy(String userId, String domain, int pairs, int correct) {
  public double accuracy() {
    return pairs == 0 ? 0.0 : (double) correct / pairs;
  }
}
