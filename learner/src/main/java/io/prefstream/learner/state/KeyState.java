package io.prefstream.learner.state;

import io.prefstream.protocol.topic.ModelKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything the learner knows about one (user, domain): the individual part it is training (full precision, so a
 * restored learner continues bit-identically), the version last published and its weights as the scorer sees them,
 * training counts, held-back pairs for the promotion gate and the progressive-accuracy tally. Persisted after every
 * change to the {@code learner-state} topic in the same transaction as the checkpoint and the consumer offsets.
 *
 * <p>Mutable and owned by the learner's one processing thread.
 */
public final class KeyState {
  /** Batch ids remembered to recognise a batch delivered twice by an upstream that is not exactly-once. */
  public static final int RECENT_BATCH_IDS = 16;
  /** The base version of a fresh state, or of one restored from a record written before states named it. */
  public static final long UNKNOWN_BASE = -1;

  private final String userId;
  private final String domain;
  float[] working;
  /** The base version {@link #working} (and {@link #published}) are residuals on; {@link #UNKNOWN_BASE} if unknown. */
  long baseVersion = UNKNOWN_BASE;
  long publishedVersion;
  float[] published;
  long eventsApplied;
  long steps;
  long newestEventTimeMs;
  long enrichCursor;
  long gateRejections;
  final ArrayDeque<HeldPair> heldBack;
  ProgressiveTally tally;
  final ArrayDeque<String> recentBatchIds;
  /** The base's user type {@link #working} is anchored on ({@code working = t_anchor + own part}); -1 for none. */
  int typeAnchor = NO_TYPE;
  /** Summed preference loss of each candidate anchor's model on the key's events: [none, type 0, type 1, ...]. */
  float[] typeEvidence;

  /** {@link #typeAnchor()} of a key on no user type (its individual part is its own, around the generic part). */
  public static final int NO_TYPE = -1;

  KeyState(String userId, String domain, float[] working, ProgressiveTally tally) {
    this.userId = Objects.requireNonNull(userId, "userId");
    this.domain = Objects.requireNonNull(domain, "domain");
    this.working = working;
    this.tally = tally;
    this.heldBack = new ArrayDeque<>();
    this.recentBatchIds = new ArrayDeque<>();
  }

  /** A key the learner has not seen: individual part zero, i.e. the generic model. */
  public static KeyState fresh(String userId, String domain, int featureDim, int progressiveWindow) {
    return new KeyState(userId, domain, new float[featureDim], new ProgressiveTally(progressiveWindow));
  }

  public ModelKey key() {
    return ModelKey.of(userId, domain);
  }

  public String userId() {
    return userId;
  }

  public String domain() {
    return domain;
  }

  /** The individual part being trained (not a copy: callers must not modify it). */
  public float[] working() {
    return working;
  }

  public void setWorking(float[] weights) {
    if (weights.length != working.length) {
      throw new IllegalArgumentException("weights of (" + userId + ", " + domain + ") have dimension "
          + weights.length + ", expected " + working.length);
    }
    this.working = weights;
  }

  /** The base version the individual part is a residual on, or {@link #UNKNOWN_BASE}. */
  public long baseVersion() {
    return baseVersion;
  }

  /**
   * Moves the individual part onto base {@code newVersion} by adding {@code shift} (the old base's generic model minus
   * the new one's) to the working and the published weights, so the model they describe scores exactly as before.
   * {@code shift} null: only the version changes (the old base is unknown; the part stays a residual as it is).
   */
  public void rebase(long newVersion, float[] shift) {
    if (shift != null) {
      if (shift.length != working.length) {
        throw new IllegalArgumentException("shift has dimension " + shift.length + ", expected " + working.length);
      }
      working = plus(working, shift);
      if (published != null) {
        published = plus(published, shift);
      }
    }
    baseVersion = newVersion;
  }

  private static float[] plus(float[] a, float[] b) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  /** 0 when nothing was published yet. */
  public long publishedVersion() {
    return publishedVersion;
  }

  /** The published individual part as the scorer decodes it, or null when none was published. */
  public float[] published() {
    return published;
  }

  public void markPublished(long version, float[] weightsAsDecoded) {
    this.publishedVersion = version;
    this.published = weightsAsDecoded;
  }

  public long eventsApplied() {
    return eventsApplied;
  }

  public long steps() {
    return steps;
  }

  public long newestEventTimeMs() {
    return newestEventTimeMs;
  }

  public long gateRejections() {
    return gateRejections;
  }

  public void countGateRejection() {
    gateRejections++;
  }

  /** Counts events consumed (trained on or held back) and the newest event time seen. */
  public void countEvents(int n, long newestEventMs) {
    eventsApplied += n;
    newestEventTimeMs = Math.max(newestEventTimeMs, newestEventMs);
  }

  public void countSteps(long n) {
    steps += n;
  }

  /** Returns the next index into the enrichment pool and advances the cursor (deterministic enrichment). */
  public long nextEnrichment() {
    return enrichCursor++;
  }

  public long enrichCursor() {
    return enrichCursor;
  }

  public List<HeldPair> heldBack() {
    return new ArrayList<>(heldBack);
  }

  /** Holds a pair back; returns the pair that left the window (to be trained on now), or null. */
  public HeldPair holdBack(HeldPair pair, int capacity) {
    if (capacity <= 0) {
      return pair;
    }
    heldBack.addLast(pair);
    return heldBack.size() > capacity ? heldBack.removeFirst() : null;
  }

  /** The user type of the current base the key is anchored on, or {@link #NO_TYPE}. */
  public int typeAnchor() {
    return typeAnchor;
  }

  /**
   * The loss sums per candidate anchor (index 0 = no type, i + 1 = type i), created zeroed for {@code candidates}
   * anchors when missing or of another size. Not a copy.
   */
  public float[] typeEvidence(int candidates) {
    if (typeEvidence == null || typeEvidence.length != candidates) {
      typeEvidence = new float[candidates];
    }
    return typeEvidence;
  }

  /**
   * Anchors the key on {@code type} (or {@link #NO_TYPE}), without touching its weights; {@code keepEvidence} false
   * forgets the loss sums (they compared another base's types).
   */
  public void anchorOn(int type, boolean keepEvidence) {
    if (type < NO_TYPE) {
      throw new IllegalArgumentException("type must be >= " + NO_TYPE + ", got " + type);
    }
    typeAnchor = type;
    if (!keepEvidence) {
      typeEvidence = null;
    }
  }

  public ProgressiveTally tally() {
    return tally;
  }

  public boolean seenBatch(String batchId) {
    return recentBatchIds.contains(batchId);
  }

  public void rememberBatch(String batchId) {
    recentBatchIds.addLast(batchId);
    while (recentBatchIds.size() > RECENT_BATCH_IDS) {
      recentBatchIds.removeFirst();
    }
  }
}
