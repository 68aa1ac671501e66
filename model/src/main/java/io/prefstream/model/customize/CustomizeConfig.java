package io.prefstream.model.customize;

import io.prefstream.model.bert.UserCap;
import io.prefstream.model.train.BaseTrainerConfig;
import io.prefstream.model.train.TrainerConfig;

/**
 * Offline customization (CRFT) of a base on preference events.
 *
 * @param trainGeneric fit the generic part g_domain of every domain present (from all its users' pairs)
 * @param generic settings for the generic parts (its generic* fields, marginScale, enrichmentWeight)
 * @param individual settings for the individual parts, trained like the learner does online
 * @param epochs passes over each (user, domain)'s pairs
 * @param batchSize pairs per key per training call (the learner's batch)
 * @param enrichmentPerBatch general pairs replayed into each key's batch (0 disables enrichment)
 * @param seed shuffling seed (runs are deterministic)
 * @param genericUserCap how much one user may weigh in a domain's generic part, which every user of the domain shares
 *     (default: no more than the median user), so one user flooding events cannot pull everyone's generic model
 */
public record CustomizeConfig(
    boolean trainGeneric, BaseTrainerConfig generic, TrainerConfig individual,
    int epochs, int batchSize, int enrichmentPerBatch, long seed, UserCap genericUserCap) {

  public CustomizeConfig {
    if (generic == null || individual == null || genericUserCap == null) {
      throw new IllegalArgumentException("generic, individual and genericUserCap configs are required");
    }
    if (epochs < 0 || batchSize < 1 || enrichmentPerBatch < 0) {
      throw new IllegalArgumentException("epochs >= 0, batchSize >= 1, enrichmentPerBatch >= 0 required; got "
          + epochs + ", " + batchSize + ", " + enrichmentPerBatch);
    }
  }

  /** With the default cap on a user's weight in the generic parts (the median user's pair count). */
  public CustomizeConfig(boolean trainGeneric, BaseTrainerConfig generic, TrainerConfig individual, int epochs,
      int batchSize, int enrichmentPerBatch, long seed) {
    this(trainGeneric, generic, individual, epochs, batchSize, enrichmentPerBatch, seed, UserCap.median());
  }

  public static CustomizeConfig defaults() {
    return new CustomizeConfig(true, BaseTrainerConfig.defaults(), TrainerConfig.defaults(), 3, 16, 4, 17);
  }

  public CustomizeConfig withGenericUserCap(UserCap cap) {
    return new CustomizeConfig(trainGeneric, generic, individual, epochs, batchSize, enrichmentPerBatch, seed, cap);
  }
}
