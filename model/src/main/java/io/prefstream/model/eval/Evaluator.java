package io.prefstream.model.eval;

import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.RewardModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Scores pairs with the model a scorer would use for each (user, domain) and counts how often the chosen
 * response wins (a tie counts as wrong). Pairs are grouped by their own (userId, domain); with an
 * "as" identity every pair is scored as that user and domain instead.
 */
public final class Evaluator {
  private final BaseModel base;
  private final BiFunction<String, String, IndividualModel> individuals;

  /** @param individuals (userId, domain) → individual part or null */
  public Evaluator(BaseModel base, BiFunction<String, String, IndividualModel> individuals) {
    this.base = base;
    this.individuals = individuals;
  }

  public record Report(List<GroupAccuracy> groups, GroupAccuracy overall) {}

  public Report evaluate(List<FeaturizedPair> pairs, String asUser, String asDomain) {
    Map<String, RewardModel> models = new HashMap<>();
    Map<String, int[]> counts = new LinkedHashMap<>();
    Map<String, String[]> ids = new HashMap<>();
    int total = 0;
    int correct = 0;
    for (FeaturizedPair p : pairs) {
      String user = asUser != null ? asUser : p.record().userId();
      String domain = asDomain != null ? asDomain : p.record().domain();
      String key = user + "\u0000" + domain;
      RewardModel m = models.computeIfAbsent(key,
          k -> RewardModel.of(base, domain, user == null ? null : individuals.apply(user, domain)));
      String groupKey = p.record().userId() + "\u0000" + p.record().domain();
      if (asUser != null || asDomain != null) {
        groupKey = key;
      }
      ids.putIfAbsent(groupKey, new String[] {asUser != null ? asUser : p.record().userId(),
          asDomain != null ? asDomain : p.record().domain()});
      int[] c = counts.computeIfAbsent(groupKey, k -> new int[2]);
      boolean ok = m.reward(p.chosen()) > m.reward(p.rejected());
      c[0]++;
      total++;
      if (ok) {
        c[1]++;
        correct++;
      }
    }
    List<GroupAccuracy> groups = new ArrayList<>();
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      String[] id = ids.get(e.getKey());
      groups.add(new GroupAccuracy(id[0], id[1], e.getValue()[0], e.getValue()[1]));
    }
    return new Report(groups, new GroupAccuracy(asUser, asDomain, total, correct));
  }
}
