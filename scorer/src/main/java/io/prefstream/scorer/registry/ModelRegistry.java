package io.prefstream.scorer.registry;

import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.checkpoint.CorruptCheckpointException;
import io.prefstream.model.checkpoint.IncompatibleCheckpointException;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.ModelCheckpoint;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.topic.ModelKey;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models this scorer serves, materialized from the compacted {@code models} topic.
 *
 * <p>One writer (the topic follower) calls {@link #apply}; any number of request threads call {@link #current}.
 * Decoding and validation happen in {@code apply}, off the request path. A customized model replaces its key's entry
 * (an immutable object) in the serving map; a newer base builds a new {@link ServingState} holding the base, the
 * customized models already received for it, and the older ones carried over (a customized part is a residual on top
 * of base + generic, so it stays meaningful until the learner publishes one trained on the new base), then swaps the
 * state reference once. A request that already read the old state finishes on it; nothing waits on a swap.
 */
public final class ModelRegistry {
  private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

  private final String encoderId;
  private final int featureDim;
  /** Null: signatures are not checked (only the CRC is). */
  private final CheckpointVerifier verifier;
  private volatile ServingState current;
  /** Customized models built on bases not loaded yet, by base version. Writer thread only. */
  private final Map<Long, ConcurrentHashMap<String, LoadedIndividual>> pending = new HashMap<>();
  private final CountDownLatch baseLoaded = new CountDownLatch(1);
  private final AtomicLong baseSwaps = new AtomicLong();
  private final AtomicLong individualSwaps = new AtomicLong();
  private final Map<RefusalReason, AtomicLong> refused = new EnumMap<>(RefusalReason.class);
  private final AtomicLong newestCheckpointMs = new AtomicLong(Long.MIN_VALUE);

  /**
   * @param encoderId the id of the encoder this scorer runs: a base trained on another is refused
   * @param featureDim the featurizer's dimension: checkpoints of another size are refused
   */
  public ModelRegistry(String encoderId, int featureDim) {
    this(encoderId, featureDim, null);
  }

  /**
   * @param verifierOrNull when set, every record (checkpoints and tombstones) must carry a signature it accepts;
   *     others are refused ({@link RefusalReason#UNSIGNED}, {@link RefusalReason#BAD_SIGNATURE})
   */
  public ModelRegistry(String encoderId, int featureDim, CheckpointVerifier verifierOrNull) {
    this.encoderId = encoderId;
    this.featureDim = featureDim;
    this.verifier = verifierOrNull;
    for (RefusalReason r : RefusalReason.values()) {
      refused.put(r, new AtomicLong());
    }
  }

  /** The state serving now, or null until a base has been loaded. Never blocks. */
  public ServingState current() {
    return current;
  }

  public boolean awaitBase(long timeout, TimeUnit unit) throws InterruptedException {
    return baseLoaded.await(timeout, unit);
  }

  /** {@link #apply(byte[], byte[], Headers)} of a record without headers (unsigned). */
  public ApplyOutcome apply(byte[] key, byte[] value) {
    return apply(key, value, null);
  }

  /**
   * Applies one record of the models topic. Never throws for bad data: a record that cannot be used is refused,
   * counted and logged, and what served before keeps serving.
   *
   * @param value null is a tombstone (the user's model was deleted)
   * @param headers the record's headers (its signature, when signatures are required); null = none
   */
  public synchronized ApplyOutcome apply(byte[] key, byte[] value, Headers headers) {
    ModelKey modelKey;
    try {
      modelKey = ModelKey.decode(key);
    } catch (IllegalArgumentException e) {
      return refuse(RefusalReason.BAD_KEY, "record key", e.getMessage());
    }
    if (verifier != null) {
      // Before decoding: an unsigned record is not looked at further, and a forged tombstone deletes nothing.
      switch (verifier.verify(key, value, headers)) {
        case VALID -> { }
        case UNSIGNED -> {
          return refuse(RefusalReason.UNSIGNED, modelKey.encode(), (value == null ? "a tombstone" : "a checkpoint")
              + " without a signature; this scorer requires one by a key in " + verifier.keyIds());
        }
        case UNKNOWN_KEY -> {
          return refuse(RefusalReason.BAD_SIGNATURE, modelKey.encode(), "signed with a key id not in "
              + verifier.keyIds());
        }
        case BAD_SIGNATURE -> {
          return refuse(RefusalReason.BAD_SIGNATURE, modelKey.encode(), "the signature does not match the record");
        }
      }
    }
    if (value == null) {
      return delete(modelKey);
    }
    ModelCheckpoint checkpoint;
    try {
      checkpoint = CheckpointCodec.decode(value);
    } catch (CorruptCheckpointException e) {
      return refuse(RefusalReason.CORRUPT, modelKey.encode(), e.getMessage());
    } catch (IncompatibleCheckpointException e) {
      return refuse(RefusalReason.INCOMPATIBLE, modelKey.encode(), e.getMessage());
    } catch (RuntimeException e) {
      // A codec that throws anything else still must not stop the follower: treat it as corrupt data.
      return refuse(RefusalReason.CORRUPT, modelKey.encode(), e.toString());
    }
    if (checkpoint instanceof BaseModel base) {
      if (!modelKey.isBase()) {
        return refuse(RefusalReason.BAD_KEY, modelKey.encode(), "a base checkpoint under a user key");
      }
      return applyBase(base);
    }
    IndividualModel individual = (IndividualModel) checkpoint;
    if (modelKey.isBase() || !modelKey.userId().equals(individual.userId())
        || !modelKey.domain().equals(individual.domain())) {
      return refuse(RefusalReason.BAD_KEY, modelKey.encode(), "the checkpoint is for user '" + individual.userId()
          + "' in domain '" + individual.domain() + "'");
    }
    return applyIndividual(modelKey, individual);
  }

  private ApplyOutcome applyBase(BaseModel base) {
    if (!encoderId.equals(base.encoderId())) {
      return refuse(RefusalReason.ENCODER_MISMATCH, "base v" + base.version(),
          "trained on encoder '" + base.encoderId() + "' but this scorer runs '" + encoderId + "'");
    }
    if (base.featureDim() != featureDim) {
      return refuse(RefusalReason.INCOMPATIBLE, "base v" + base.version(),
          "feature dimension " + base.featureDim() + ", this scorer's featurizer has " + featureDim);
    }
    ServingState old = current;
    if (old != null && base.version() == old.base().version()) {
      return ApplyOutcome.BASE_DUPLICATE;
    }
    if (old != null && base.version() < old.base().version()) {
      return ApplyOutcome.BASE_STALE;
    }
    ConcurrentHashMap<String, LoadedIndividual> map = pending.remove(base.version());
    if (map == null) {
      map = new ConcurrentHashMap<>();
    }
    // Carry over: what served before, and what waited for older bases that will now never be loaded.
    if (old != null) {
      mergeOlder(map, old.individuals());
    }
    for (Iterator<Map.Entry<Long, ConcurrentHashMap<String, LoadedIndividual>>> it = pending.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<Long, ConcurrentHashMap<String, LoadedIndividual>> e = it.next();
      if (e.getKey() < base.version()) {
        mergeOlder(map, e.getValue());
        it.remove();
      }
    }
    current = new ServingState(base, map);
    baseSwaps.incrementAndGet();
    noteCreated(base.createdAtMs());
    baseLoaded.countDown();
    log.info("serving base v{} ({} customized models)", base.version(), map.size());
    return ApplyOutcome.BASE_SWAPPED;
  }

  private static void mergeOlder(Map<String, LoadedIndividual> into, Map<String, LoadedIndividual> from) {
    from.forEach((k, v) -> into.merge(k, v, (mine, theirs) -> theirs.version() > mine.version() ? theirs : mine));
  }

  private ApplyOutcome applyIndividual(ModelKey key, IndividualModel individual) {
    if (individual.weights().length != featureDim) {
      return refuse(RefusalReason.INCOMPATIBLE, key.encode(),
          "feature dimension " + individual.weights().length + ", this scorer's featurizer has " + featureDim);
    }
    ServingState state = current;
    ConcurrentHashMap<String, LoadedIndividual> target;
    boolean serving;
    if (state == null || individual.baseVersion() > state.base().version()) {
      target = pending.computeIfAbsent(individual.baseVersion(), v -> new ConcurrentHashMap<>());
      serving = false;
    } else {
      target = state.individuals();
      serving = true;
    }
    String k = key.encode();
    LoadedIndividual held = target.get(k);
    if (held != null && held.version() > individual.version()) {
      return ApplyOutcome.INDIVIDUAL_STALE;
    }
    target.put(k, LoadedIndividual.of(individual));
    noteCreated(individual.createdAtMs());
    if (!serving) {
      return ApplyOutcome.INDIVIDUAL_PENDING;
    }
    individualSwaps.incrementAndGet();
    return ApplyOutcome.INDIVIDUAL_SWAPPED;
  }

  private ApplyOutcome delete(ModelKey key) {
    if (key.isBase()) {
      // Deleting the base would leave nothing to serve; keep serving the last one.
      log.warn("ignoring a tombstone for the base model");
      return ApplyOutcome.DELETED;
    }
    String k = key.encode();
    ServingState state = current;
    if (state != null) {
      state.individuals().remove(k);
    }
    pending.values().forEach(m -> m.remove(k));
    return ApplyOutcome.DELETED;
  }

  private ApplyOutcome refuse(RefusalReason reason, String what, String detail) {
    refused.get(reason).incrementAndGet();
    log.warn("refused checkpoint {} ({}): {}; the previous version keeps serving", what, reason.tag(), detail);
    return ApplyOutcome.REFUSED;
  }

  private void noteCreated(long createdAtMs) {
    newestCheckpointMs.accumulateAndGet(createdAtMs, Math::max);
  }

  public long baseSwaps() {
    return baseSwaps.get();
  }

  public long individualSwaps() {
    return individualSwaps.get();
  }

  /** Every swap, base and customized. */
  public long swaps() {
    return baseSwaps.get() + individualSwaps.get();
  }

  public long refused(RefusalReason reason) {
    return refused.get(reason).get();
  }

  public long refusedTotal() {
    return refused.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /** Customized models serving now. */
  public int modelsLoaded() {
    ServingState s = current;
    return s == null ? 0 : s.size();
  }

  /** The base version serving now, or -1. */
  public long baseVersion() {
    ServingState s = current;
    return s == null ? -1 : s.base().version();
  }

  /** Creation time of the newest checkpoint loaded (for staleness), or empty. */
  public java.util.OptionalLong newestCheckpointMs() {
    long v = newestCheckpointMs.get();
    return v == Long.MIN_VALUE ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(v);
  }

  public String encoderId() {
    return encoderId;
  }

  public int featureDim() {
    return featureDim;
  }

  /** Whether records must be signed. */
  public boolean verifiesSignatures() {
    return verifier != null;
  }
}
