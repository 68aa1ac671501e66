package io.prefstream.model.train;

import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 *
 * <p><b>User types</b> (P-RLHF's cluster-based user model, with hard assignments): when a domain's users fall into
 * groups of like taste, the mean is the model of nobody in particular (four tastes in equal numbers average to about
 * no taste). So the refit also clusters the residuals of a uniform sample of the domain's models (k-means, k-means++
 * seeding, or the previous version's types as the start so type numbers stay stable) and publishes each cluster's
 * centre, relative to the new generic part, as a user type. Clusters of fewer than {@code minTypeUsers} models are
 * dropped, and a domain keeps no types unless at least two survive. The learner pulls each key toward the type
 * that explains its events best, so a user of a known taste starts from the pooled model of all users of that taste.
 */
public final class GenericRefit {
  private GenericRefit() {}

  /**
   * @param minUsers a domain's generic part moves only when at least this many users' models count in it
   * @param minEvents a user's model counts only after this many events (a near-empty one says little)
   * @param keepAncestors how many earlier versions the new base carries, so models trained on them keep their
   *     scores until the learner moves them (each costs {@code 4 · D · (1 + domains)} bytes of the base record)
   */
  /**
   * @param types user types to fit per domain (k of k-means); 0 fits none
   * @param minTypeUsers a type is kept only when at least this many sampled models belong to it
   * @param typeSample the most models per domain the clustering sees (a uniform reservoir sample; memory is
   *     {@code 4 · D · typeSample} bytes per domain)
   */
  public record Config(int minUsers, long minEvents, int keepAncestors, int types, int minTypeUsers,
      int typeSample) {
    /** A refit of the generic parts alone, no user types. */
    public Config(int minUsers, long minEvents, int keepAncestors) {
      this(minUsers, minEvents, keepAncestors, 0, 3, 1);
    }

    public Config {
      if (types < 0 || types > 64) {
        throw new IllegalArgumentException("types must be in [0, 64], got " + types);
      }
      if (minTypeUsers < 1) {
        throw new IllegalArgumentException("minTypeUsers must be >= 1, got " + minTypeUsers);
      }
      if (typeSample < 1 || typeSample > 100_000) {
        throw new IllegalArgumentException("typeSample must be in [1, 100000], got " + typeSample);
      }
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

    /**
     * 10 models of 8 events, 4 versions kept, no user types (measured in the local demo, they did not raise its
     * accuracy: learner/README.md, "User types"); {@code withTypes(4)} fits 4 of at least 3 models from ≤ 1,000.
     */
    public static Config defaults() {
      return new Config(10, 8, 4, 0, 3, 1_000);
    }

    public Config withMinUsers(int minUsers) {
      return new Config(minUsers, minEvents, keepAncestors, types, minTypeUsers, typeSample);
    }

    public Config withTypes(int types) {
      return new Config(minUsers, minEvents, keepAncestors, types, minTypeUsers, typeSample);
    }
  }

  /**
   * What changed in one domain.
   *
   * @param users the models that counted
   * @param shiftNorm the L2 norm of the generic part's change (0 when not refitted)
   * @param refitted false when fewer than {@code minUsers} models counted: the generic part is kept
   * @param typeSizes sampled models per published user type (empty when the domain has none)
   * @param typeExplained the share of the sampled residuals' spread that the types account for
   *     (1 − within-type / total sum of squares; 0 without types): near 0, the users do not fall into groups
   */
  public record DomainRefit(String domain, int users, long events, double shiftNorm, boolean refitted,
      List<Integer> typeSizes, double typeExplained) {
    public DomainRefit {
      typeSizes = List.copyOf(typeSizes);
    }
  }

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
    /** Per domain, a uniform sample of the residuals (reservoir sampling, seeded: the same input gives the same). */
    private final Map<String, List<float[]>> samples = new TreeMap<>();
    private final Map<String, SplittableRandom> sampleRandom = new HashMap<>();
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
      int seen = ++users.computeIfAbsent(d, k -> new int[1])[0];
      // Only a model that enters the sample needs its residual as an array (a run adds millions of keys).
      int slot = config.types() > 0 ? sampleSlot(d, seen) : -1;
      float[] residual = slot >= 0 ? new float[dim] : null;
      for (int i = 0; i < dim; i++) {
        double r = (double) was[i] + u[i] - now[i];
        sum[i] += r;
        if (residual != null) {
          residual[i] = (float) r;
        }
      }
      if (residual != null) {
        List<float[]> sample = samples.computeIfAbsent(d, k -> new ArrayList<>());
        if (slot == sample.size()) {
          sample.add(residual);
        } else {
          sample.set(slot, residual);
        }
      }
      events.computeIfAbsent(d, k -> new long[1])[0] += m.eventsApplied();
    }

    /**
     * Reservoir sampling: where the {@code seen}-th model of a domain goes in its sample (appended while the sample is
     * not full, else a uniform slot), or -1 when it stays out.
     */
    private int sampleSlot(String domain, int seen) {
      int size = samples.getOrDefault(domain, List.of()).size();
      if (size < config.typeSample()) {
        return size;
      }
      SplittableRandom random = sampleRandom.computeIfAbsent(domain,
          k -> new SplittableRandom(0x5eedL * 31 + k.hashCode()));
      int slot = random.nextInt(seen);
      return slot < size ? slot : -1;
    }

    private float[] frozen(BaseModel version, String domain) {
      return frozen.computeIfAbsent(version.version(), v -> new HashMap<>()).computeIfAbsent(domain, version::frozen);
    }

    /** The next base (or the current one when no domain has enough models). */
    public Result finish(long nowMs) {
      Map<String, float[]> generic = new TreeMap<>(base.genericByDomain());
      Map<String, List<float[]>> types = new TreeMap<>(base.typesByDomain());
      List<DomainRefit> report = new ArrayList<>();
      boolean changed = false;
      for (Map.Entry<String, double[]> e : sums.entrySet()) {
        String d = e.getKey();
        int n = users.get(d)[0];
        long ev = events.get(d)[0];
        if (n < config.minUsers()) {
          report.add(new DomainRefit(d, n, ev, 0, false, List.of(), 0));
          continue;
        }
        float[] g = generic.containsKey(d) ? generic.get(d).clone() : new float[dim];
        float[] shift = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
          double s = e.getValue()[i] / n;
          shift[i] = (float) s;
          g[i] += (float) s;
          norm += s * s;
        }
        generic.put(d, g);
        UserTypes.Fit fit = config.types() == 0 ? UserTypes.Fit.NONE
            : UserTypes.fit(samples.getOrDefault(d, List.of()), shift, previousTypes(d, shift), config.types(),
                config.minTypeUsers(), 0x7e5L * 31 + d.hashCode());
        if (fit.centres().isEmpty()) {
          types.remove(d);
        } else {
          types.put(d, fit.centres());
        }
        report.add(new DomainRefit(d, n, ev, Math.sqrt(norm), true, fit.sizes(), fit.explained()));
        changed = true;
      }
      BaseModel next = changed ? base.successor(generic, types, config.keepAncestors(), nowMs) : base;
      return new Result(next, changed, report, skipped, unanchored);
    }

    /** The current types of a domain, relative to its new generic part (old generic + shift), as k-means' start. */
    private List<float[]> previousTypes(String domain, float[] shift) {
      List<float[]> out = new ArrayList<>();
      for (float[] t : base.types(domain)) {
        float[] moved = new float[dim];
        for (int i = 0; i < dim; i++) {
          moved[i] = t[i] - shift[i];
        }
        out.add(moved);
      }
      return out;
    }
  }
}
