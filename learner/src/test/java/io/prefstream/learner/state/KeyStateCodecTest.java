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
  void heldBackPairsAreRoundedToHalfPrecisionToNearestEven() {
    HeldPair p = new HeldPair(new float[] {1.0f, 0.1f, -2.5f, 65504f, 65519f, 65520f, 1e6f, 1e-6f, 1e-9f, Float.NaN}, 0f);
    float[] d = p.diff();
    assertThat(d[0]).isEqualTo(1.0f);
    assertThat(d[1]).isEqualTo(0.099975586f);
    assertThat(d[2]).isEqualTo(-2.5f);
    assertThat(d[3]).isEqualTo(65504f);
    assertThat(d[4]).isEqualTo(65504f);
    assertThat(d[5]).isEqualTo(Float.POSITIVE_INFINITY); // halfway to 65536 rounds to the even, overflowing, value
    assertThat(d[6]).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(d[7]).isCloseTo(1e-6f, org.assertj.core.data.Offset.offset(3e-8f));
    assertThat(d[8]).isEqualTo(0f);
    assertThat(Float.isNaN(d[9])).isTrue();
  }

  @Test
  void theGateSumsBothModelsExactlyAsOneAtATime() {
    Random rnd = new Random(5);
    float[] diff = new float[768];
    float[] a = new float[768];
    float[] b = new float[768];
    for (int i = 0; i < diff.length; i++) {
      diff[i] = (float) rnd.nextGaussian() * 0.1f;
      a[i] = (float) rnd.nextGaussian();
      b[i] = (float) rnd.nextGaussian();
    }
    HeldPair p = new HeldPair(diff, 0.5f);
    double[] both = p.gaps(a, b);
    assertThat(both[0]).isEqualTo(p.gap(a));
    assertThat(both[1]).isEqualTo(p.gap(b));
    double sum = 0;
    for (int i = 0; i < diff.length; i++) {
      sum += (double) a[i] * p.diff()[i];
    }
    assertThat(p.gap(a)).isEqualTo(sum);
  }

  /**
   * The record bytes of a fixed state, pinned by their SHA-256: records written by earlier releases sit on the compacted
   * topic, so a faster encoder must write exactly what the format says (modified UTF-8 strings, big-endian fields,
   * raw float bits, half-precision held-back pairs), byte for byte.
   */
  @Test
  void theEncodingOfAFixedStateIsPinned() throws Exception {
    Random rnd = new Random(11);
    KeyState s = KeyState.fresh("us\u00e9r-\u2713\u0000", "literature", 32, 10);
    float[] w = new float[32];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    w[5] = Float.intBitsToFloat(0x7fc00123); // a NaN payload survives
    w[6] = -0f;
    s.setWorking(w);
    s.markPublished(4, w.clone());
    s.countEvents(41, 99L);
    s.countSteps(7);
    s.rebase(3, null);
    for (int i = 0; i < 6; i++) {
      float[] d = new float[32];
      for (int j = 0; j < d.length; j++) {
        d[j] = (float) (rnd.nextGaussian() * Math.pow(10, j % 9 - 6));
      }
      s.holdBack(new HeldPair(d, 0.25f * i), 4);
    }
    for (int i = 0; i < 21; i++) {
      s.tally().record(i % 4 != 0);
      s.rememberBatch("batch-" + i);
    }
    s.anchorOn(1, true);
    s.typeEvidence(3)[2] = 0.75f;
    byte[] bytes = KeyStateCodec.encode(s);
    String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    assertThat(bytes).hasSize(PINNED_LENGTH);
    assertThat(sha).isEqualTo(PINNED_SHA256);
    assertThat(KeyStateCodec.encode(KeyStateCodec.decode(bytes))).isEqualTo(bytes);
  }

  private static final int PINNED_LENGTH = 840;
  private static final String PINNED_SHA256 = "65c2b7d7b929b1901a3068d7a00b2874d43200cb5c1e67ce7141035e13fdc976";
}
