package io.prefstream.scorer.scoring;

import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.RewardModel;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.scorer.registry.LoadedIndividual;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.registry.ServingState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Scores one request on one consistent model: reads the registry's serving state once, picks the (user, domain)
 * customized model or the generic one, and computes every candidate's reward with that same model. Thread-safe.
 */
public final class Scorer {
  private final ModelRegistry registry;
  private final PairFeaturizer featurizer;
  private final Ownership ownership;
  private final int maxCandidates;

  public Scorer(ModelRegistry registry, PairFeaturizer featurizer, Ownership ownership, int maxCandidates) {
    this.registry = registry;
    this.featurizer = featurizer;
    this.ownership = ownership;
    this.maxCandidates = maxCandidates;
  }

  /** @throws ScoringException when no base is loaded yet, the user is not this instance's, or too many candidates */
  public ScoreReply score(ScoreRequest request) {
    if (request.candidates().size() > maxCandidates) {
      throw new ScoringException(ScoringException.BAD_CANDIDATES, 400, "'candidates' has "
          + request.candidates().size() + " entries; this scorer accepts 1.." + maxCandidates);
    }
    checkOwned(request.userId());
    ServingState state = state();
    Served served = serve(state, request.userId(), request.domain());
    int n = request.candidates().size();
    // One encoder call for every candidate (and the prompt, when the feature layout reads it): cached texts cost
    // a lookup, the rest go in one batch, and the prompt is encoded once, not once per candidate.
    boolean prompt = featurizer.usesPrompt();
    List<String> texts = new ArrayList<>(n + 1);
    if (prompt) {
      texts.add(request.prompt());
    }
    texts.addAll(request.candidates());
    List<float[]> embeddings = featurizer.encoder().encodeAll(texts);
    int first = prompt ? 1 : 0;
    double[] rewards = new double[n];
    for (int i = 0; i < n; i++) {
      rewards[i] = served.model().reward(featurizer.combine(prompt ? embeddings.get(0) : null,
          embeddings.get(first + i), request.candidates().get(i)));
    }
    List<Double> rewardList = new ArrayList<>(n);
    for (double r : rewards) {
      rewardList.add(r);
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // Best first; ties keep request order so the ranking is deterministic.
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -rewards[i]).thenComparingInt(i -> i));
    return ScoreReply.success(request.requestId(), rewardList, Arrays.asList(order), served.version());
  }

  /** Which model serves (userId, domain) now, without scoring anything. */
  public Served describe(String userId, String domain) {
    checkOwned(userId);
    return serve(state(), userId, domain);
  }

  private ServingState state() {
    ServingState state = registry.current();
    if (state == null) {
      throw new ScoringException(ScoringException.MODEL_UNAVAILABLE, 503,
          "no base model has been loaded yet; the scorer is waiting for the models topic");
    }
    return state;
  }

  private void checkOwned(String userId) {
    if (!ownership.owns(userId)) {
      throw new ScoringException(ScoringException.NOT_OWNED, 421, "user '" + userId + "' is in partition "
          + ownership.partitionOf(userId) + "; this scorer holds " + ownership + "; ask the instance that owns it");
    }
  }

  private static Served serve(ServingState state, String userId, String domain) {
    LoadedIndividual individual = state.individual(userId, domain);
    RewardModel model = RewardModel.of(state.base(), domain,
        individual == null ? null : individual.toModel(userId, domain));
    return new Served(model, model.baseVersion(), individual);
  }

  public Ownership ownership() {
    return ownership;
  }

  public ModelRegistry registry() {
    return registry;
  }

  /** The model picked for one key, and the versions to report. */
  public record Served(RewardModel model, long baseVersion, LoadedIndividual individual) {
    public boolean customized() {
      return individual != null;
    }

    public ScoreReply.ModelVersion version() {
      return new ScoreReply.ModelVersion(baseVersion, individual != null,
          individual == null ? null : individual.version());
    }
  }
}
