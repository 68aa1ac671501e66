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
}
