package io.prefstream.learner;

import io.prefstream.learner.state.KeyState;

/**
 * A read-only snapshot of one (user, domain) as of the last committed transaction.
 *
 * @param firstAccuracy progressive accuracy over the key's first window of events
 * @param recentAccuracy progressive accuracy over the key's last window of events
 * @param overallAccuracy progressive accuracy over all the key's events
 */
public record KeyStats(String userId, String domain, long eventsApplied, long steps, long publishedVersion,
    long gateRejections, long scored, double firstAccuracy, double recentAccuracy, double overallAccuracy) {

  static KeyStats of(KeyState s) {
    return new KeyStats(s.userId(), s.domain(), s.eventsApplied(), s.steps(), s.publishedVersion(),
        s.gateRejections(), s.tally().scored(), s.tally().first(), s.tally().recent(), s.tally().overall());
  }
}
