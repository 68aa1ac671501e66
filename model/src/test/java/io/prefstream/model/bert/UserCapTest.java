package io.prefstream.model.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.prefstream.model.data.PreferenceRecord;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserCapTest {
  private static List<PreferenceRecord> pairs(String user, int n) {
    List<PreferenceRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new PreferenceRecord(user, user == null ? "general" : "d-" + user, "p" + i, "c" + i, "r" + i, 1.0));
    }
    return out;
  }

  private static double total(List<PreferenceRecord> all, double[] w, String user) {
    double s = 0;
    for (int i = 0; i < all.size(); i++) {
      if (java.util.Objects.equals(all.get(i).userId(), user)) {
        s += w[i];
      }
    }
    return s;
  }

  @Test
  void aFloodingUserWeighsNoMoreThanTheMedianUser() {
    for (int flood : new int[] {40, 400, 4000}) {
      List<PreferenceRecord> all = new ArrayList<>();
      all.addAll(pairs("a", 10));
      all.addAll(pairs("b", 12));
      all.addAll(pairs("c", 8));
      all.addAll(pairs("flooder", flood));
      all.addAll(pairs(null, 50));
      double[] w = UserCap.median().weights(all);
      // counts 8, 10, 12, flood -> median (10 + 12) / 2 = 11
      assertThat(total(all, w, "flooder")).isCloseTo(11.0, within(1e-9));
      assertThat(total(all, w, "b")).isCloseTo(11.0, within(1e-9));
      assertThat(total(all, w, "a")).isEqualTo(10.0);
      assertThat(total(all, w, "c")).isEqualTo(8.0);
      assertThat(total(all, w, null)).as("general pairs are not capped").isEqualTo(50.0);
      // The shared parameters' gradient is Σ w_i ∇ℓ_i / n: the flooder's part is at most 11 pairs' worth,
      // whether it sends 40 or 4,000 pairs.
      double flooderShare = total(all, w, "flooder") / (10 + 11 + 8 + 11 + 50);
      assertThat(flooderShare).isLessThan(0.125);
    }
  }

  @Test
  void fixedAndNoCap() {
    List<PreferenceRecord> all = new ArrayList<>(pairs("a", 3));
    all.addAll(pairs("big", 300));
    assertThat(total(all, UserCap.fixed(30).weights(all), "big")).isCloseTo(30.0, within(1e-9));
    assertThat(total(all, UserCap.fixed(30).weights(all), "a")).isEqualTo(3.0);
    assertThat(total(all, UserCap.none().weights(all), "big")).isEqualTo(300.0);
  }
}
