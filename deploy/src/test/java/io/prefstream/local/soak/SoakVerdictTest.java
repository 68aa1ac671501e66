package io.prefstream.local.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SoakVerdictTest {
  private static SoakSample sample(double t, long lag, double heapMiB, double rssMiB) {
    return new SoakSample(t, 0, 0, 0, 0, 0, 0, 0, 0, Map.of("ingest", lag), 0, 1, 2, 3, 0, 10, 20, heapMiB, rssMiB);
  }

  private static List<SoakSample> run(long[] lags, double[] heaps) {
    List<SoakSample> samples = new ArrayList<>();
    for (int i = 0; i < lags.length; i++) {
      samples.add(sample(30.0 * (i + 1), lags[i], heaps[i], 1000 + heaps[i]));
    }
    return samples;
  }

  @Test
  void aSteadyRunIsBoundedAndFlatAndTheWarmupIsLeftOut() {
    // the first sample (in the warm-up) has a huge lag and heap: it must not count
    List<SoakSample> samples = run(new long[] {90_000, 300, 250, 400, 320, 280, 410},
        new double[] {900, 200, 210, 205, 212, 208, 214});
    SoakVerdict v = SoakVerdict.judge(samples, 30, 200);
    assertThat(v.samplesJudged()).isEqualTo(6);
    assertThat(v.maxLagFirstHalf()).isEqualTo(400);
    assertThat(v.maxLagSecondHalf()).isEqualTo(410);
    assertThat(v.lagBounded()).isTrue();
    assertThat(v.memoryFlat()).isTrue();
  }

  @Test
  void lagThatKeepsGrowingIsNotBounded() {
    List<SoakSample> samples = run(new long[] {0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000},
        new double[] {200, 200, 200, 200, 200, 200, 200});
    SoakVerdict v = SoakVerdict.judge(samples, 30, 200);
    assertThat(v.lagBound()).isEqualTo(4_500); // 1.5 x 3,000 (first half's max) beats 5 s x 200 events/s
    assertThat(v.lagBounded()).isFalse();
  }

  @Test
  void smallLagUnderFiveSecondsOfTrafficIsNoise() {
    List<SoakSample> samples = run(new long[] {0, 10, 20, 30, 400, 900, 990},
        new double[] {200, 200, 200, 200, 200, 200, 200});
    assertThat(SoakVerdict.judge(samples, 30, 200).lagBounded()).isTrue();
  }

  @Test
  void aLeakingHeapIsNotFlat() {
    List<SoakSample> samples = run(new long[] {0, 0, 0, 0, 0, 0, 0},
        new double[] {200, 200, 260, 320, 380, 440, 500});
    SoakVerdict v = SoakVerdict.judge(samples, 30, 200);
    assertThat(v.memoryFlat()).isFalse();
    assertThat(v.liveHeapMiBSecondHalf()).isGreaterThan(v.liveHeapMiBFirstHalf());
  }

  @Test
  void tooFewSamplesAfterTheWarmupIsAClearError() {
    List<SoakSample> samples = run(new long[] {0, 0}, new double[] {1, 1});
    assertThatThrownBy(() -> SoakVerdict.judge(samples, 45, 200))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 1");
  }
}
