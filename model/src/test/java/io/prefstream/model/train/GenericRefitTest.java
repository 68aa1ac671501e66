package io.prefstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.RewardModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GenericRefitTest {
  private static final int D = 64;
  private final Random rnd = new Random(11);

  private float[] gaussian(float scale) {
    float[] v = new float[D];
    for (int i = 0; i < D; i++) {
      v[i] = (float) rnd.nextGaussian() * scale;
    }
    return v;
  }

  private final BaseModel base = new BaseModel(3, "hashing-ngram-v1-d64", D, gaussian(0.3f),
      Map.of("business", gaussian(0.1f)), 1000, 1L);

  /** Users of a domain whose parts share {@code common} plus their own noise, trained on {@code on}. */
  private List<IndividualModel> users(String domain, int n, float[] common, BaseModel on, long events) {
    List<IndividualModel> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      float[] u = gaussian(0.2f);
      for (int i = 0; i < D; i++) {
        u[i] += common[i];
      }
      out.add(new IndividualModel(domain + "-" + k, domain, 1, on.version(), u, events, events, 5L, 6L));
    }
    return out;
  }

  @Test
  void theGenericPartMovesToWhereTheUsersModelsAverage() {
    float[] common = gaussian(0.5f);
    List<IndividualModel> academy = users("academy", 400, common, base, 32);
    GenericRefit.Result r = GenericRefit.refit(base, academy, GenericRefit.Config.defaults(), 99L);

    assertThat(r.changed()).isTrue();
    BaseModel next = r.base();
    assertThat(next.version()).isEqualTo(4);
    assertThat(next.createdAtMs()).isEqualTo(99L);
    assertThat(next.weights()).containsExactly(base.weights());
    assertThat(next.generic("business")).containsExactly(base.generic("business"));
    float[] g = next.generic("academy");
    double err = 0;
    double size = 0;
    for (int i = 0; i < D; i++) {
      err += (g[i] - common[i]) * (g[i] - common[i]);
      size += common[i] * common[i];
    }
    // 400 users with noise 0.2 per weight: the mean is within ~0.01 per weight of the common part
    assertThat(Math.sqrt(err / size)).as("relative error of the recovered common part").isLessThan(0.05);
    assertThat(r.domains()).singleElement().satisfies(d -> {
      assertThat(d.domain()).isEqualTo("academy");
      assertThat(d.users()).isEqualTo(400);
      assertThat(d.events()).isEqualTo(400L * 32);
      assertThat(d.refitted()).isTrue();
      assertThat(d.shiftNorm()).isGreaterThan(0);
    });
  }

  @Test
  void everyUsersModelScoresAsBeforeOnTheNewVersion() {
    List<IndividualModel> academy = users("academy", 30, gaussian(0.5f), base, 16);
    BaseModel next = GenericRefit.refit(base, academy, GenericRefit.Config.defaults(), 99L).base();
    assertThat(next.ancestors()).extracting(BaseModel::version).containsExactly(3L);
    BaseModel decoded = (BaseModel) CheckpointCodec.decode(CheckpointCodec.encode(next));
    float[] f = gaussian(1f);
    for (IndividualModel m : academy) {
      float before = RewardModel.of(base, "academy", m).reward(f);
      assertThat(RewardModel.of(decoded, "academy", m).reward(f)).isEqualTo(before);
      assertThat(RewardModel.of(decoded, "academy", m).baseVersion()).isEqualTo(3);
    }
    // an unknown user now starts from the new generic model
    assertThat(RewardModel.of(decoded, "academy", null).reward(f))
        .isNotEqualTo(RewardModel.of(base, "academy", null).reward(f));
  }

  @Test
  void aSecondRefitBeforeTheLearnerMovedTheKeysDoesNotCountTheirCommonPartTwice() {
    float[] common = gaussian(0.5f);
    List<IndividualModel> academy = users("academy", 200, common, base, 16);
    BaseModel v4 = GenericRefit.refit(base, academy, GenericRefit.Config.defaults(), 1L).base();
    GenericRefit.Result again = GenericRefit.refit(v4, academy, GenericRefit.Config.defaults(), 2L);
    float[] g4 = v4.generic("academy");
    float[] g5 = again.base().generic("academy");
    for (int i = 0; i < D; i++) {
      assertThat(g5[i]).as("weight %d", i).isCloseTo(g4[i], within(1e-5f));
    }
    assertThat(again.base().ancestors()).extracting(BaseModel::version).containsExactly(4L, 3L);
    assertThat(again.unanchored()).isZero();
  }

  @Test
  void smallDomainsAndNearEmptyModelsAreLeftAlone() {
    List<IndividualModel> models = new ArrayList<>(users("academy", 9, gaussian(0.5f), base, 100));
    models.addAll(users("literature", 50, gaussian(0.5f), base, 7));
    models.add(new IndividualModel("odd", "academy", 1, 3, new float[D + 1], 100, 1, 1L, 1L));
    GenericRefit.Result r = GenericRefit.refit(base, models, GenericRefit.Config.defaults(), 5L);
    assertThat(r.changed()).isFalse();
    assertThat(r.base()).isSameAs(base);
    assertThat(r.skipped()).isEqualTo(51);
    assertThat(r.domains()).singleElement().satisfies(d -> {
      assertThat(d.domain()).isEqualTo("academy");
      assertThat(d.users()).isEqualTo(9);
      assertThat(d.refitted()).isFalse();
    });
  }

  @Test
  void theLineageKeepsAtMostTheConfiguredNumberOfVersions() {
    BaseModel b = base;
    GenericRefit.Config keepTwo = new GenericRefit.Config(1, 1, 2);
    for (int round = 0; round < 4; round++) {
      b = GenericRefit.refit(b, users("academy", 3, gaussian(0.5f), b, 10), keepTwo, round).base();
    }
    assertThat(b.version()).isEqualTo(7);
    assertThat(b.ancestors()).extracting(BaseModel::version).containsExactly(6L, 5L);
    assertThat(b.lineage(4)).isNull();
    // a model from a version no longer kept counts as a residual on the current one
    GenericRefit.Result r = GenericRefit.refit(b, users("academy", 3, gaussian(0.5f), base, 10), keepTwo, 9L);
    assertThat(r.unanchored()).isEqualTo(3);
  }

  /** n users of each taste: the taste's offset plus noise 0.2 per weight. */
  private List<IndividualModel> tasteGroups(String domain, List<float[]> tastes, int n) {
    List<IndividualModel> out = new ArrayList<>();
    for (int u = 0; u < n; u++) {
      for (int t = 0; t < tastes.size(); t++) {
        float[] w = gaussian(0.2f);
        for (int i = 0; i < D; i++) {
          w[i] += tastes.get(t)[i];
        }
        out.add(new IndividualModel(domain + "-" + t + "-" + u, domain, 1, base.version(), w, 32, 32, 5L, 6L));
      }
    }
    return out;
  }

  @Test
  void usersOfDistinctTastesBecomeUserTypesAroundTheNewGenericPart() {
    List<float[]> tastes = List.of(gaussian(0.6f), gaussian(0.6f), gaussian(0.6f), gaussian(0.6f));
    List<IndividualModel> models = tasteGroups("academy", tastes, 30);
    GenericRefit.Config four = GenericRefit.Config.defaults().withTypes(4);
    GenericRefit.Result r = GenericRefit.refit(base, models, four, 99L);
    BaseModel next = r.base();
    float[] g = next.generic("academy");
    List<float[]> types = next.types("academy");
    assertThat(types).hasSize(4);
    // every taste is found once: generic + type lands within noise of the taste (30 users of noise 0.2: ~0.04)
    boolean[] used = new boolean[4];
    for (float[] taste : tastes) {
      int best = -1;
      double bestErr = Double.MAX_VALUE;
      for (int k = 0; k < 4; k++) {
        double err = 0;
        for (int i = 0; i < D; i++) {
          double d = g[i] + types.get(k)[i] - taste[i];
          err += d * d;
        }
        if (err < bestErr) {
          bestErr = err;
          best = k;
        }
      }
      assertThat(used[best]).as("each type matches one taste").isFalse();
      used[best] = true;
      assertThat(Math.sqrt(bestErr / D)).as("per-weight error of the recovered taste").isLessThan(0.08);
    }
    assertThat(r.domains()).singleElement().satisfies(d -> {
      assertThat(d.typeSizes()).containsExactlyInAnyOrder(30, 30, 30, 30);
      assertThat(d.typeExplained()).isGreaterThan(0.8);
    });
    // deterministic, and the types survive the record
    BaseModel again = GenericRefit.refit(base, models, four, 99L).base();
    assertThat(((BaseModel) CheckpointCodec.decode(CheckpointCodec.encode(next))).sameWeights(again)).isTrue();
  }

  @Test
  void oneSharedTasteExplainsLittleAndTypesAreOffByDefault() {
    GenericRefit.Result shared = GenericRefit.refit(base, users("academy", 120, gaussian(0.5f), base, 32),
        GenericRefit.Config.defaults().withTypes(4), 99L);
    assertThat(shared.domains().get(0).typeExplained()).as("clusters of noise explain little of it")
        .isLessThan(0.25);

    List<float[]> tastes = List.of(gaussian(0.6f), gaussian(0.6f));
    GenericRefit.Result off = GenericRefit.refit(base, tasteGroups("academy", tastes, 30),
        GenericRefit.Config.defaults(), 99L);
    assertThat(off.base().typesByDomain()).isEmpty();
    assertThat(off.domains().get(0).typeSizes()).isEmpty();
  }

  @Test
  void theClusteringSeesABoundedSampleAndDropsGroupsTooSmallToSpeakForATaste() {
    List<float[]> tastes = List.of(gaussian(0.6f), gaussian(0.6f));
    List<IndividualModel> models = new ArrayList<>(tasteGroups("academy", tastes, 200));
    GenericRefit.Config config = new GenericRefit.Config(10, 8, 4, 2, 3, 50);
    GenericRefit.Result r = GenericRefit.refit(base, models, config, 99L);
    assertThat(r.domains().get(0).users()).isEqualTo(400);
    assertThat(r.domains().get(0).typeSizes().stream().mapToInt(Integer::intValue).sum())
        .as("k-means ran on the 50-model sample").isEqualTo(50);

    // two users of an odd taste next to 40 of a common one: their group of 2 is under minTypeUsers, so fewer than two
    // types remain and the domain gets none (one type would be the generic part itself)
    List<IndividualModel> lopsided = new ArrayList<>(tasteGroups("academy", List.of(gaussian(0.6f)), 40));
    lopsided.addAll(tasteGroups("academy", List.of(gaussian(3f)), 2));
    GenericRefit.Result r2 = GenericRefit.refit(base, lopsided, new GenericRefit.Config(10, 8, 4, 2, 3, 1000), 99L);
    assertThat(r2.base().types("academy")).isEmpty();
  }

  @Test
  void aRefitStartsFromTheCurrentTypesSoTheirNumbersStay() {
    List<float[]> tastes = List.of(gaussian(0.6f), gaussian(0.6f), gaussian(0.6f));
    GenericRefit.Config config = GenericRefit.Config.defaults().withTypes(3);
    BaseModel v4 = GenericRefit.refit(base, tasteGroups("academy", tastes, 30), config, 99L).base();
    // the same tastes again, fresh noise, models trained on v4: type k of v5 is still type k of v4
    List<IndividualModel> later = new ArrayList<>();
    for (IndividualModel m : tasteGroups("academy", tastes, 30)) {
      float[] w = m.weights().clone();
      float[] was = base.frozen("academy");
      float[] now = v4.frozen("academy");
      for (int i = 0; i < D; i++) {
        w[i] += was[i] - now[i]; // the same total model, as a part on v4
      }
      later.add(new IndividualModel(m.userId(), m.domain(), 2, v4.version(), w, 32, 32, 5L, 6L));
    }
    BaseModel v5 = GenericRefit.refit(v4, later, config, 100L).base();
    for (int k = 0; k < 3; k++) {
      double err = 0;
      for (int i = 0; i < D; i++) {
        double d = v5.frozen("academy")[i] + v5.types("academy").get(k)[i] - v4.frozen("academy")[i]
            - v4.types("academy").get(k)[i];
        err += d * d;
      }
      assertThat(Math.sqrt(err / D)).as("type " + k + " stays the same taste").isLessThan(0.08);
    }
  }
}
