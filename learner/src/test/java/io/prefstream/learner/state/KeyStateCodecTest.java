package io.prefstream.learner.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyStateCodecTest {

  private static void reseal(byte[] record) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(record, 0, record.length - 4);
    int c = (int) crc.getValue();
    record[record.length - 4] = (byte) (c >>> 24);
    record[record.length - 3] = (byte) (c >>> 16);
    record[record.length - 2] = (byte) (c >>> 8);
    record[record.length - 1] = (byte) c;
  }

  @Test
  void theBaseVersionRoundTripsAndFormatOneRecordsStillDecode() {
    KeyState s = KeyState.fresh("user-2", "business", 16, 10);
    assertThat(s.baseVersion()).isEqualTo(KeyState.UNKNOWN_BASE);
    float[] shift = new float[16];
    java.util.Arrays.fill(shift, 0.25f);
    s.markPublished(1, new float[16]);
    s.rebase(9, shift);
    assertThat(s.working()).containsOnly(0.25f);
    assertThat(s.published()).containsOnly(0.25f);
    s.anchorOn(2, true);
    s.typeEvidence(4)[3] = 1.5f;
    byte[] v3 = KeyStateCodec.encode(s);
    KeyState back = KeyStateCodec.decode(v3);
    assertThat(back.baseVersion()).isEqualTo(9);
    assertThat(back.typeAnchor()).isEqualTo(2);
    assertThat(back.typeEvidence(4)).containsExactly(0f, 0f, 0f, 1.5f);

    // a record written before states carried user types: format 2, without the anchor, count and 4 sums
    byte[] v2 = java.util.Arrays.copyOf(v3, v3.length - 4 - (4 + 4 + 4 * 4) + 4);
    v2[4] = 2;
    reseal(v2);
    KeyState two = KeyStateCodec.decode(v2);
    assertThat(two.baseVersion()).isEqualTo(9);
    assertThat(two.typeAnchor()).isEqualTo(KeyState.NO_TYPE);

    // a record written before states carried their base version: format 1, without the trailing long
    byte[] v1 = java.util.Arrays.copyOf(v2, v2.length - 4 - 8 + 4);
    v1[4] = 1;
    reseal(v1);
    KeyState old = KeyStateCodec.decode(v1);
    assertThat(old.baseVersion()).isEqualTo(KeyState.UNKNOWN_BASE);
    assertThat(old.working()).containsExactly(s.working());
    assertThat(old.userId()).isEqualTo("user-2");
  }

  @Test
  void roundTripKeepsEveryFieldAndWorkingWeightsBitExact() {
    Random rnd = new Random(3);
    KeyState s = KeyState.fresh("user-1", "academy", 64, 10);
    float[] w = new float[64];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    s.setWorking(w);
    s.markPublished(7, w.clone());
    s.countEvents(23, 1234L);
    s.countSteps(90);
    s.nextEnrichment();
    s.countGateRejection();
    for (int i = 0; i < 5; i++) {
      float[] d = new float[64];
      d[i] = 0.1f * i + 1e-3f;
      s.holdBack(new HeldPair(d, 0.5f), 3);
    }
    for (int i = 0; i < 13; i++) {
      s.tally().record(i % 3 != 0);
      s.rememberBatch("b" + i);
    }
    byte[] bytes = KeyStateCodec.encode(s);
    KeyState t = KeyStateCodec.decode(bytes);
    assertThat(KeyStateCodec.encode(t)).isEqualTo(bytes);
    assertThat(t.working()).containsExactly(w);
    assertThat(t.publishedVersion()).isEqualTo(7);
    assertThat(t.eventsApplied()).isEqualTo(23);
    assertThat(t.steps()).isEqualTo(90);
    assertThat(t.enrichCursor()).isEqualTo(1);
    assertThat(t.heldBack()).hasSize(3);
    assertThat(t.heldBack().get(0).diff()).containsExactly(s.heldBack().get(0).diff());
    assertThat(t.tally().scored()).isEqualTo(13);
    assertThat(t.tally().recent()).isEqualTo(s.tally().recent());
    assertThat(t.tally().first()).isEqualTo(s.tally().first());
    assertThat(t.seenBatch("b12")).isTrue();
    assertThat(t.seenBatch("b0")).isTrue();
  }

  @Test
  void corruptionIsDetected() {
    byte[] bytes = KeyStateCodec.encode(KeyState.fresh("u", "d", 8, 4));
    bytes[12] ^= 1;
    assertThatThrownBy(() -> KeyStateCodec.decode(bytes)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CRC32C");
    assertThatThrownBy(() -> KeyStateCodec.decode(new byte[3])).hasMessageContaining("at least 9");
  }

  @Test
  void halfPrecisionRoundsToNearest() {
    assertThat(Half.round(1.0f)).isEqualTo(1.0f);
    assertThat(Half.round(0.1f)).isEqualTo(0.099975586f);
    assertThat(Half.round(-2.5f)).isEqualTo(-2.5f);
    assertThat(Half.round(65504f)).isEqualTo(65504f);
    assertThat(Half.round(1e6f)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Half.round(1e-6f)).isCloseTo(1e-6f, org.assertj.core.data.Offset.offset(3e-8f));
    assertThat(Half.round(1e-9f)).isEqualTo(0f);
    assertThat(Float.isNaN(Half.round(Float.NaN))).isTrue();
  }
}
