package io.prefstream.protocol.topic;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The topic names of one prefstream deployment, all under one prefix so that several deployments can
 * share a cluster.
 */
public record Topics(String prefix) {
  public static final String DEFAULT_PREFIX = "prefstream.";
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]*");

  public Topics {
    Objects.requireNonNull(prefix, "prefix");
    if (!LEGAL.matcher(prefix).matches() || prefix.length() > 200) {
      throw new IllegalArgumentException(
          "topic prefix '" + prefix + "' may only hold [a-zA-Z0-9._-] and at most 200 chars");
    }
  }

  public static Topics defaults() {
    return new Topics(DEFAULT_PREFIX);
  }

  /** Preference events from apps, keyed by userId. */
  public String events() {
    return prefix + "events";
  }

  /** Records that are not valid events: original bytes, reason in headers. */
  public String eventsDlq() {
    return prefix + "events.dlq";
  }

  /** Training batches per (user, domain), from ingest to the learner. */
  public String batches() {
    return prefix + "batches";
  }

  /** Batch records the learner could not read. */
  public String batchesDlq() {
    return prefix + "batches.dlq";
  }

  /** Compacted: the current checkpoint of every model, keyed by model key. */
  public String models() {
    return prefix + "models";
  }

  /** Scoring requests, keyed by userId. */
  public String scoreRequests() {
    return prefix + "score-requests";
  }

  /** Scoring replies, keyed by requestId. */
  public String scores() {
    return prefix + "scores";
  }

  /** Scoring requests that could not be read. */
  public String scoreRequestsDlq() {
    return prefix + "score-requests.dlq";
  }

  public List<String> all() {
    return List.of(events(), eventsDlq(), batches(), batchesDlq(), models(), scoreRequests(), scores(),
        scoreRequestsDlq());
  }
}
