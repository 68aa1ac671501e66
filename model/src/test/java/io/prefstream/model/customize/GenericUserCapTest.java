package io.prefstream.model.customize;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.model.bert.UserCap;
import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.reward.BaseModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue #6: one user flooding a domain cannot take over the generic part every user of that domain starts from. Two
 * ordinary users prefer feature 1; a flooder, with 40x or 400x their pairs, prefers feature 0.
 */
class GenericUserCapTest {
  private static final int D = 4;

  private static float[] unit(int i) {
    float[] v = new float[D];
    v[i] = 1;
    return v;
  }

  private static List<FeaturizedPair> pairs(String user, int n, int preferred, int other) {
    List<FeaturizedPair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new FeaturizedPair(new PreferenceRecord(user, "d", "p" + i, "c" + i, "r" + i, 1.0),
          unit(preferred), unit(other)));
    }
    return out;
  }

  private static float[] generic(int flooderPairs, UserCap cap) {
    List<FeaturizedPair> events = new ArrayList<>();
    events.addAll(pairs("alice", 10, 1, 0));
    events.addAll(pairs("bob", 10, 1, 0));
    events.addAll(pairs("flooder", flooderPairs, 0, 1));
    BaseModel base = new BaseModel(1, "test-encoder", D, new float[D], Map.of(), 0, 0);
    CustomizeConfig config = CustomizeConfig.defaults().withGenericUserCap(cap);
    return new Customizer(config).customize(base, events, List.of(), 0, s -> { }).base().generic("d");
  }

  @Test
  void withoutACapTheFlooderOwnsTheGenericPart() {
    float[] g = generic(400, UserCap.none());
    assertThat(g[0]).as("flooder's feature").isGreaterThan(g[1]);
  }

  @Test
  void withTheDefaultCapTheOrdinaryUsersKeepTheirGenericPartHoweverMuchTheFlooderSends() {
    assertThat(CustomizeConfig.defaults().genericUserCap()).isEqualTo(UserCap.median());
    float[] g400 = generic(400, UserCap.median());
    float[] g4000 = generic(4000, UserCap.median());
    assertThat(g400[1]).as("ordinary users' feature").isGreaterThan(g400[0]);
    // capped, 4,000 pairs weigh what 400 do: the flooder's influence does not grow with its volume
    for (int i = 0; i < D; i++) {
      assertThat(g4000[i]).isCloseTo(g400[i], org.assertj.core.data.Offset.offset(1e-3f));
    }
  }
}
