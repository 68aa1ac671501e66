package io.prefstream.model.train;

import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The slow-cadence step of P-RLHF's user model, online: a new base version whose generic part per domain absorbs what
 * the domain's users have in common, computed from the customized models the learner has published.
 *
 * <p>Why the mean: a user's model is {@code w + g_d + u_i}, and each {@code u_i} is trained with an L2 pull toward 0
 * while {@code g_d} is shared. At the joint optimum of the users' losses plus {@code λ Σ ||u_i||²} over {@code g_d}
 * and every {@code u_i}, the gradient in {@code g_d} is the sum of the users' data gradients, which each user's own
 * optimality condition equates to {@code -2λ u_i}; so {@code Σ u_i = 0}: the generic part is where the users' models
 * average. Moving {@code g_d} by the mean residual (every user counts once, so no user weighs more than another) is
 * that fixed point's update for the current individual parts. The learner then shifts each individual part by the
 * same amount when it next trains the key ({@link BaseModel#lineage}), so no existing user's scores jump, while new
 * and unknown users start from the new generic model.
 *
 * <p>A residual is measured against the model it was trained on: a part trained on an older version that the base
 * still lists among its ancestors counts as {@code w_old + g_old + u - (w + g)}, so refitting twice before the
 * learner has moved the keys does not count their common part twice.
 */
public final class GenericRefit {
  private GenericRefit() {}

  /**
   * @param minUsers a domain's generic part moves only when at least this many users' models count in it
   * @param minEvents a user's model counts only after this many events (a near-empty one says little)
   * @param keepAncestors how many earlier versions the new base carries, so models trained on them keep their
   *     scores until the learner moves them (each costs {@code 4 · D · (1 + domains)} bytes of the base record)
   */
  public record Config(int minUsers, long minEvents, int keepAncestors) {
    public Config {
      if (minUsers < 1) {
        throw new IllegalArgumentException("minUsers must be >= 1, got " + minUsers);
      }
      if (minEvents < 1) {
        throw new IllegalArgumentException("minEvents must be >= 1, got " + minEvents);
      }
      if (keepAncestors < 0) {
        throw new IllegalArgumentException("keepAncestors must be >= 0, got " + keepAncestors);
      }
    }

    public static Config defaults() {
      return new Config(10, 8, 4);
    }
  }

  /**
   * What changed in one domain.
   *
   * @param users the models that counted
   * @param shiftNorm the L2 norm of the generic part's change (0 when not refitted)
   * @param refitted false when fewer than {@code minUsers} models counted: the generic part is kept
   */
  public record DomainRefit(String domain, int users, long events, double shiftNorm, boolean refitted) {}

  /**
   * @param base the new base version, or the input base unchanged when no domain was refitted
   * @param skipped models not counted: too few events, or of another feature dimension
   * @param unanchored counted models whose parent version is older than the lineage the base keeps (taken as
   *     residuals on the current version)
   */
  public record Result(BaseModel base, boolean changed, List<DomainRefit> domains, int skipped, int unanchored) {}

  public static Result refit(BaseModel base, Iterable<IndividualModel> individuals, Config config, long nowMs) {
    Accumulator acc = new Accumulator(base, config);
    individuals.forEach(acc::add);
    return acc.finish(nowMs);
  }

  /**
   * The refit one model at a time, so a run over millions of checkpoints holds per-domain sums, not the models.
   * Not thread-safe.
   */
  public static final class Accumulator {
    private final BaseModel base;
    private final Config config;
    private final int dim;
    private final Map<String, double[]> sums = new TreeMap<>();
    private final Map<String, int[]> users = new TreeMap<>();
    private final Map<String, long[]> events = new TreeMap<>();
    /** Generic models by version and domain, computed once: a run adds every key, most on the same one or two. */
    private final Map<Long, Map<String, float[]>> frozen = new HashMap<>();
    private int skipped;
    private int unanchored;

    public Accumulator(BaseModel base, Config config) {
      this.base = base;
      this.config = config;
      this.dim = base.featureDim();
    }

    public BaseModel base() {
      return base;
    }

    /** Counts one (user, domain)'s newest model; each key must be added once. */
    public void add(IndividualModel m) {
      if (m.weights().length != dim || m.eventsApplied() < config.minEvents()) {
        skipped++;
        return;
      }
      String d = m.domain();
      BaseModel parent = base.lineage(m.baseVersion());
      if (parent == null) {
        unanchored++;
        parent = base;
      }
      float[] now = frozen(base, d);
      float[] was = frozen(parent, d);
      double[] sum = sums.computeIfAbsent(d, k -> new double[dim]);
      float[] u = m.weights();
      for (int i = 0; i < dim; i++) {
        sum[i] += (double) was[i] + u[i] - now[i];
      }
      users.computeIfAbsent(d, k -> new int[1])[0]++;
      events.computeIfAbsent(d, k -> new long[1])[0] += m.eventsApplied();
    }

    private float[] frozen(BaseModel version, String domain) {
      return frozen.computeIfAbsent(version.version(), v -> new HashMap<>()).computeIfAbsent(domain, version::frozen);
    }

    /** The next base (or the current one when no domain has enough models). */
    public Result finish(long nowMs) {
      Map<String, float[]> generic = new TreeMap<>(base.genericByDomain());
      List<DomainRefit> report = new ArrayList<>();
      boolean changed = false;
      for (Map.Entry<String, double[]> e : sums.entrySet()) {
        String d = e.getKey();
        int n = users.get(d)[0];
        long ev = events.get(d)[0];
        if (n < config.minUsers()) {
          report.add(new DomainRefit(d, n, ev, 0, false));
          continue;
        }
        float[] g = generic.containsKey(d) ? generic.get(d).clone() : new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
          double shift = e.getValue()[i] / n;
          g[i] += (float) shift;
          norm += shift * shift;
        }
        generic.put(d, g);
        report.add(new DomainRefit(d, n, ev, Math.sqrt(norm), true));
        changed = true;
      }
      BaseModel next = changed ? base.successor(generic, config.keepAncestors(), nowMs) : base;
      return new Result(next, changed, report, skipped, unanchored);
    }
  }
}
