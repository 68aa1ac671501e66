package io.prefstream.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.RewardModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointCodecTest {
  private static final int D = 768;

  static float[] random(Random r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * scale;
    }
    return v;
  }

  private final Random rnd = new Random(7);
  private final BaseModel base = new BaseModel(12, "all-minilm-l6-v2-q", D, random(rnd, D, 0.3f),
      Map.of("academy", random(rnd, D, 0.1f), "business", random(rnd, D, 0.1f)), 3468, 1_700_000_000_000L);
  private final IndividualModel individual = new IndividualModel("dsp-academy-with-a-longish-user-id", "academy",
      41, 12, random(rnd, D, 0.05f), 320, 1200, 1_700_000_123_456L, 1_700_000_200_000L);

  @Test
  void baseRoundTripsExactlyAndScoresIdentically() {
    BaseModel back = (BaseModel) CheckpointCodec.decode(CheckpointCodec.encode(base));
    assertThat(back.sameWeights(base)).isTrue();
    assertThat(back.version()).isEqualTo(12);
    assertThat(back.encoderId()).isEqualTo("all-minilm-l6-v2-q");
    assertThat(back.trainedPairs()).isEqualTo(3468);
    assertThat(back.createdAtMs()).isEqualTo(1_700_000_000_000L);
    float[] f = random(rnd, D, 1f);
    for (String domain : new String[] {"academy", "business", "unknown"}) {
      assertThat(RewardModel.of(back, domain, null).reward(f)).isEqualTo(RewardModel.of(base, domain, null).reward(f));
    }
  }

  @Test
  void aBaseWithAncestorsRoundTripsItsWholeLineage() {
    BaseModel v13 = base.successor(Map.of("academy", random(rnd, D, 0.1f), "literature", random(rnd, D, 0.1f)), 4,
        1_700_000_100_000L);
    BaseModel v14 = v13.successor(Map.of("academy", random(rnd, D, 0.1f)), 4, 1_700_000_200_000L);
    BaseModel back = (BaseModel) CheckpointCodec.decode(CheckpointCodec.encode(v14));
    assertThat(back.version()).isEqualTo(14);
    assertThat(back.sameWeights(v14)).isTrue();
    assertThat(back.ancestors()).extracting(BaseModel::version).containsExactly(13L, 12L);
    assertThat(back.lineage(13).sameWeights(v13)).isTrue();
    assertThat(back.lineage(12).sameWeights(base)).isTrue();
    assertThat(back.lineage(12).createdAtMs()).isEqualTo(base.createdAtMs());
    assertThat(back.lineage(11)).isNull();
    // an individual part trained on v12 scores on v12's generic model, as it was trained
    float[] f = random(rnd, D, 1f);
    assertThat(RewardModel.of(back, "academy", individual).reward(f))
        .isEqualTo(RewardModel.of(base, "academy", individual).reward(f));
  }

  @Test
  void userTypesRoundTripAfterTheAncestorsAndAnUnlistedTailIsRefused() {
    BaseModel v13 = base.successor(Map.of("academy", random(rnd, D, 0.1f), "business", random(rnd, D, 0.1f)),
        Map.of("academy", java.util.List.of(random(rnd, D, 0.2f), random(rnd, D, 0.2f), random(rnd, D, 0.2f))), 4,
        1_700_000_100_000L);
    byte[] bytes = CheckpointCodec.encode(v13);
    BaseModel back = (BaseModel) CheckpointCodec.decode(bytes);
    assertThat(back.sameWeights(v13)).isTrue();
    assertThat(back.types("academy")).hasSize(3);
    for (int k = 0; k < 3; k++) {
      assertThat(back.types("academy").get(k)).containsExactly(v13.types("academy").get(k));
    }
    assertThat(back.types("business")).isEmpty();
    assertThat(back.lineage(12).sameWeights(base)).as("the ancestor is intact and carries no types").isTrue();
    assertThat(back.lineage(12).typesByDomain()).isEmpty();
    // the record grows by exactly the three vectors
    int withoutTypes = CheckpointCodec.encode(base.successor(v13.genericByDomain(), 4, 1_700_000_100_000L)).length;
    assertThat(bytes.length - withoutTypes).isBetween(3 * 4 * D, 3 * 4 * D + 40);

    // a record whose metadata lists fewer types than it carries: the reader refuses it, it does not guess
    String meta = "\"types\":{\"academy\":3}";
    String json = new String(bytes, StandardCharsets.ISO_8859_1);
    assertThat(json).contains(meta);
    byte[] lying = json.replace(meta, "\"types\":{\"academy\":2}").getBytes(StandardCharsets.ISO_8859_1);
    reseal(lying);
    assertThatThrownBy(() -> CheckpointCodec.decode(lying)).isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("unexpected bytes");
  }

  @Test
  void typesNeedTheirDomainsGenericPartAndTheRightLength() {
    assertThatThrownBy(() -> base.successor(base.genericByDomain(),
        Map.of("literature", java.util.List.of(random(rnd, D, 0.1f))), 4, 5L))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("literature")
        .hasMessageContaining("need its generic part");
    assertThatThrownBy(() -> base.successor(base.genericByDomain(),
        Map.of("academy", java.util.List.of(new float[3])), 4, 5L))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("featureDim=" + D);
  }

  @Test
  void aTruncatedAncestorIsReportedAsCorrupt() {
    byte[] bytes = CheckpointCodec.encode(base.successor(Map.of(), 1, 5L));
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 4 - 4 * D);
    CRC32C crc = new CRC32C();
    crc.update(cut, 0, cut.length - 4);
    ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putInt(cut.length - 4, (int) crc.getValue());
    assertThatThrownBy(() -> CheckpointCodec.decode(cut)).isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("shorter than its metadata says");
  }

  @Test
  void individualRoundTripsThroughFp16AndFitsInTwoKib() {
    byte[] bytes = CheckpointCodec.encode(individual);
    assertThat(bytes.length).isLessThanOrEqualTo(2048);
    IndividualModel back = (IndividualModel) CheckpointCodec.decode(bytes);
    assertThat(back.userId()).isEqualTo(individual.userId());
    assertThat(back.domain()).isEqualTo("academy");
    assertThat(back.version()).isEqualTo(41);
    assertThat(back.baseVersion()).isEqualTo(12);
    assertThat(back.eventsApplied()).isEqualTo(320);
    assertThat(back.steps()).isEqualTo(1200);
    assertThat(back.newestEventTimeMs()).isEqualTo(1_700_000_123_456L);
    assertThat(back.weights()).containsExactly(Fp16.round(individual.weights()));
    // A second round trip is exact: what the scorer loads is what the learner saved.
    IndividualModel again = (IndividualModel) CheckpointCodec.decode(CheckpointCodec.encode(back));
    assertThat(again.weights()).containsExactly(back.weights());
    float[] f = random(rnd, D, 1f);
    assertThat(RewardModel.of(base, "academy", again).reward(f)).isEqualTo(RewardModel.of(base, "academy", back).reward(f));
    // and fp16 rounding moves the reward only slightly
    float exact = RewardModel.of(base, "academy", individual).reward(f);
    assertThat(Math.abs(RewardModel.of(base, "academy", back).reward(f) - exact)).isLessThan(0.01f);
  }

  @Test
  void everySingleFlippedByteIsDetected() {
    byte[] bytes = CheckpointCodec.encode(individual);
    for (int i = 0; i < bytes.length; i += 7) {
      byte[] bad = bytes.clone();
      bad[i] ^= 0x20;
      assertThatThrownBy(() -> CheckpointCodec.decode(bad)).isInstanceOf(CorruptCheckpointException.class);
    }
  }

  @Test
  void truncatedOrForeignBytesAreCorrupt() {
    byte[] bytes = CheckpointCodec.encode(base);
    assertThatThrownBy(() -> CheckpointCodec.decode(Arrays.copyOf(bytes, bytes.length - 100)))
        .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("checksum");
    assertThatThrownBy(() -> CheckpointCodec.decode(new byte[5])).isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> CheckpointCodec.decode("{\"not\":\"a checkpoint\"}".getBytes()))
        .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("PSRM");
  }

  @Test
  void unknownFormatVersionOrKindIsIncompatibleNotCorrupt() {
    byte[] v2 = CheckpointCodec.encode(individual);
    ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short) 2);
    reseal(v2);
    assertThatThrownBy(() -> CheckpointCodec.decode(v2)).isInstanceOf(IncompatibleCheckpointException.class)
        .hasMessageContaining("format version 2").hasMessageContaining("version 1");
    byte[] kind9 = CheckpointCodec.encode(individual);
    kind9[6] = 9;
    reseal(kind9);
    assertThatThrownBy(() -> CheckpointCodec.decode(kind9)).isInstanceOf(IncompatibleCheckpointException.class)
        .hasMessageContaining("kind 9");
  }

  @Test
  void storeSavesAndLoadsABaseDirectory(@TempDir Path dir) throws Exception {
    BaseModelStore.save(base, dir);
    assertThat(dir.resolve("model.json")).exists();
    assertThat(Files.readString(dir.resolve("model.json"))).contains("all-minilm-l6-v2-q").contains("academy");
    assertThat(BaseModelStore.load(dir).sameWeights(base)).isTrue();
    byte[] bytes = Files.readAllBytes(dir.resolve("base.psrm"));
    bytes[bytes.length / 2] ^= 1;
    Files.write(dir.resolve("base.psrm"), bytes);
    assertThatThrownBy(() -> BaseModelStore.load(dir)).isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("base.psrm");
    assertThatThrownBy(() -> BaseModelStore.load(dir.resolve("missing"))).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("no base model");
  }

  @Test
  void fp16ConversionMatchesKnownValues() {
    assertThat(Fp16.fromFloat(1f)).isEqualTo((short) 0x3c00);
    assertThat(Fp16.fromFloat(-2f)).isEqualTo((short) 0xc000);
    assertThat(Fp16.fromFloat(65504f)).isEqualTo((short) 0x7bff);
    assertThat(Fp16.toFloat(Fp16.fromFloat(1e6f))).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Fp16.toFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
    assertThat(Fp16.toFloat(Fp16.fromFloat(0.1f))).isEqualTo(0.0999755859375f);
    assertThat(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(Float.NaN)))).isTrue();
    for (float f = -3f; f < 3f; f += 0.0137f) {
      assertThat(Math.abs(Fp16.toFloat(Fp16.fromFloat(f)) - f)).isLessThanOrEqualTo(Math.abs(f) / 2048 + 1e-7f);
    }
  }

  private static void reseal(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, (int) crc.getValue());
  }
}
