package io.prefstream.learner.state;

/**
 * Progressive validation of one key: every event is scored by the model as it was before learning from it. Keeps the
 * totals, the first {@code window} outcomes and a sliding window of the last {@code window} outcomes, so "how good was
 * the model at the start and how good is it now" can be read exactly, also after a restart.
 */
public final class ProgressiveTally {
  private final int window;
  private final boolean[] ring;
  private int ringCount;
  private int ringPos;
  private int ringCorrect;
  private long scored;
  private long correct;
  private int firstCount;
  private int firstCorrect;

  public ProgressiveTally(int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window " + window + " must be >= 1");
    }
    this.window = window;
    this.ring = new boolean[window];
  }

  public void record(boolean ok) {
    scored++;
    if (ok) {
      correct++;
    }
    if (firstCount < window) {
      firstCount++;
      if (ok) {
        firstCorrect++;
      }
    }
    if (ringCount == window) {
      if (ring[ringPos]) {
        ringCorrect--;
      }
    } else {
      ringCount++;
    }
    ring[ringPos] = ok;
    if (ok) {
      ringCorrect++;
    }
    ringPos = (ringPos + 1) % window;
  }

  public int window() {
    return window;
  }

  public long scored() {
    return scored;
  }

  public long correct() {
    return correct;
  }

  /** Accuracy over all events, NaN before the first. */
  public double overall() {
    return scored == 0 ? Double.NaN : (double) correct / scored;
  }

  /** Accuracy over the first {@code window} events. */
  public double first() {
    return firstCount == 0 ? Double.NaN : (double) firstCorrect / firstCount;
  }

  /** Accuracy over the last {@code window} events. */
  public double recent() {
    return ringCount == 0 ? Double.NaN : (double) ringCorrect / ringCount;
  }

  /** Outcomes of the sliding window, oldest first. */
  boolean[] recentOutcomes() {
    boolean[] out = new boolean[ringCount];
    int start = ringCount == window ? ringPos : 0;
    for (int i = 0; i < ringCount; i++) {
      out[i] = ring[(start + i) % window];
    }
    return out;
  }

  int firstCount() {
    return firstCount;
  }

  int firstCorrect() {
    return firstCorrect;
  }

  /** Rebuilds a tally from its persisted parts (see {@link KeyStateCodec}). */
  static ProgressiveTally restore(int window, long scored, long correct, int firstCount, int firstCorrect,
      boolean[] recentOldestFirst) {
    ProgressiveTally t = new ProgressiveTally(window);
    int skip = Math.max(0, recentOldestFirst.length - window);
    for (int i = skip; i < recentOldestFirst.length; i++) {
      t.ring[t.ringPos] = recentOldestFirst[i];
      if (recentOldestFirst[i]) {
        t.ringCorrect++;
      }
      t.ringCount++;
      t.ringPos = (t.ringPos + 1) % window;
    }
    t.scored = scored;
    t.correct = correct;
    t.firstCount = Math.min(firstCount, window);
    t.firstCorrect = Math.min(firstCorrect, t.firstCount);
    return t;
  }
}
