package io.prefstream.scorer.registry;

import io.prefstream.model.reward.BaseModel;
import io.prefstream.protocol.topic.ModelKey;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What serves requests right now: one base checkpoint and the customized models that go with it. A request reads the
 * registry's current state once and then this state's entries only, so its reply never mixes two bases; a base change
 * replaces the whole state (one reference write), customized models included.
 */
public final class ServingState {
  private final BaseModel base;
  private final ConcurrentHashMap<String, LoadedIndividual> individuals;

  ServingState(BaseModel base, ConcurrentHashMap<String, LoadedIndividual> individuals) {
    this.base = base;
    this.individuals = individuals;
  }

  public BaseModel base() {
    return base;
  }

  /** The customized model of (userId, domain), or null: then the generic model answers (cold start). */
  public LoadedIndividual individual(String userId, String domain) {
    return individuals.get(ModelKey.of(userId, domain).encode());
  }

  public int size() {
    return individuals.size();
  }

  ConcurrentHashMap<String, LoadedIndividual> individuals() {
    return individuals;
  }
}
