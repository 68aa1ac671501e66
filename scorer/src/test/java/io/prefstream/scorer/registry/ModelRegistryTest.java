package io.prefstream.scorer.registry;

import static io.prefstream.scorer.Checkpoints.DIM;
import static io.prefstream.scorer.Checkpoints.ENCODER;
import static io.prefstream.scorer.Checkpoints.MODEL_ENCODER_ID;
import static io.prefstream.scorer.Checkpoints.base;
import static io.prefstream.scorer.Checkpoints.bytes;
import static io.prefstream.scorer.Checkpoints.individual;
import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.protocol.topic.ModelKey;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {
  private final ModelRegistry registry = new ModelRegistry(MODEL_ENCODER_ID, DIM);

  private ApplyOutcome put(String user, String domain, long version, long baseVersion) {
    return registry.apply(ModelKey.of(user, domain).bytes(), bytes(individual(user, domain, version, baseVersion)));
  }

  private ApplyOutcome putBase(long version) {
    return registry.apply(ModelKey.BASE.bytes(), bytes(base(version, "dsp")));
  }

  @Test
  void servesNothingUntilABaseArrivesThenServesItWithTheCustomizedModelsThatWaited() throws Exception {
    assertThat(registry.current()).isNull();
    assertThat(put("ann", "dsp", 1, 1)).isEqualTo(ApplyOutcome.INDIVIDUAL_PENDING);
    assertThat(registry.modelsLoaded()).isZero();
    assertThat(registry.awaitBase(1, java.util.concurrent.TimeUnit.MILLISECONDS)).isFalse();

    assertThat(putBase(1)).isEqualTo(ApplyOutcome.BASE_SWAPPED);
    assertThat(registry.awaitBase(1, java.util.concurrent.TimeUnit.MILLISECONDS)).isTrue();
    assertThat(registry.current().base().version()).isEqualTo(1);
    assertThat(registry.current().individual("ann", "dsp").version()).isEqualTo(1);
    assertThat(registry.modelsLoaded()).isEqualTo(1);
  }

  @Test
  void theBaseWrittenToEveryPartitionSwapsOnceAndAnOlderBaseIsIgnored() {
    assertThat(putBase(2)).isEqualTo(ApplyOutcome.BASE_SWAPPED);
    assertThat(putBase(2)).isEqualTo(ApplyOutcome.BASE_DUPLICATE);
    assertThat(putBase(1)).isEqualTo(ApplyOutcome.BASE_STALE);
    assertThat(registry.baseSwaps()).isEqualTo(1);
    assertThat(registry.baseVersion()).isEqualTo(2);
  }

  @Test
  void aNewBaseSwapsAsOneUnitWithTheCustomizedModelsBuiltOnIt() {
    putBase(1);
    put("ann", "dsp", 1, 1);
    put("bob", "dsp", 1, 1);
    ServingState before = registry.current();

    // Built on base 2, which has not arrived: base 1 keeps serving with ann v1.
    assertThat(put("ann", "dsp", 2, 2)).isEqualTo(ApplyOutcome.INDIVIDUAL_PENDING);
    assertThat(registry.current().individual("ann", "dsp").version()).isEqualTo(1);

    assertThat(putBase(2)).isEqualTo(ApplyOutcome.BASE_SWAPPED);
    ServingState after = registry.current();
    assertThat(after.base().version()).isEqualTo(2);
    assertThat(after.individual("ann", "dsp").version()).isEqualTo(2);
    // bob has no model on base 2 yet: his residual carries over.
    assertThat(after.individual("bob", "dsp").version()).isEqualTo(1);
    // A request that read the old state still sees the old pair, untouched.
    assertThat(before.base().version()).isEqualTo(1);
    assertThat(before.individual("ann", "dsp").version()).isEqualTo(1);
  }

  @Test
  void anOlderCheckpointOfAKeyIsIgnoredAndATombstoneForgetsTheUser() {
    putBase(1);
    assertThat(put("ann", "dsp", 5, 1)).isEqualTo(ApplyOutcome.INDIVIDUAL_SWAPPED);
    assertThat(put("ann", "dsp", 4, 1)).isEqualTo(ApplyOutcome.INDIVIDUAL_STALE);
    assertThat(registry.current().individual("ann", "dsp").version()).isEqualTo(5);
    assertThat(registry.apply(ModelKey.of("ann", "dsp").bytes(), null)).isEqualTo(ApplyOutcome.DELETED);
    assertThat(registry.current().individual("ann", "dsp")).isNull();
    assertThat(registry.modelsLoaded()).isZero();
  }

  @Test
  void aCorruptCheckpointIsRefusedCountedAndThePreviousVersionKeepsServing() {
    putBase(1);
    put("ann", "dsp", 1, 1);
    byte[] corrupt = bytes(individual("ann", "dsp", 2, 1));
    corrupt[corrupt.length / 2] ^= 0x5a;
    assertThat(registry.apply(ModelKey.of("ann", "dsp").bytes(), corrupt)).isEqualTo(ApplyOutcome.REFUSED);
    byte[] truncated = java.util.Arrays.copyOf(bytes(base(2)), 40);
    assertThat(registry.apply(ModelKey.BASE.bytes(), truncated)).isEqualTo(ApplyOutcome.REFUSED);
    byte[] garbage = "not a checkpoint".getBytes(StandardCharsets.UTF_8);
    assertThat(registry.apply(ModelKey.BASE.bytes(), garbage)).isEqualTo(ApplyOutcome.REFUSED);

    assertThat(registry.refused(RefusalReason.CORRUPT)).isEqualTo(3);
    assertThat(registry.current().base().version()).isEqualTo(1);
    assertThat(registry.current().individual("ann", "dsp").version()).isEqualTo(1);
  }

  @Test
  void refusesBasesOfAnotherEncoderOrSizeAndMismatchedKeys() {
    putBase(1);
    assertThat(registry.apply(ModelKey.BASE.bytes(), bytes(base(2, "hashing-ngram-v1-d32", 64))))
        .isEqualTo(ApplyOutcome.REFUSED);
    assertThat(registry.apply(ModelKey.BASE.bytes(), bytes(base(3, MODEL_ENCODER_ID, DIM + 2))))
        .isEqualTo(ApplyOutcome.REFUSED);
    // the same encoder with the former pairwise feature layout is another model: refused, not misread
    assertThat(registry.apply(ModelKey.BASE.bytes(), bytes(base(6, ENCODER, DIM))))
        .isEqualTo(ApplyOutcome.REFUSED);
    assertThat(registry.apply(ModelKey.of("ann", "dsp").bytes(), bytes(individual("ann", "dsp", 1, 1, DIM / 2))))
        .isEqualTo(ApplyOutcome.REFUSED);
    assertThat(registry.apply(ModelKey.of("bob", "dsp").bytes(), bytes(individual("ann", "dsp", 1, 1))))
        .isEqualTo(ApplyOutcome.REFUSED);
    assertThat(registry.apply(ModelKey.of("ann", "dsp").bytes(), bytes(base(4, "dsp"))))
        .isEqualTo(ApplyOutcome.REFUSED);
    assertThat(registry.apply("nonsense".getBytes(StandardCharsets.UTF_8), bytes(base(5))))
        .isEqualTo(ApplyOutcome.REFUSED);

    assertThat(registry.refused(RefusalReason.ENCODER_MISMATCH)).isEqualTo(2);
    assertThat(registry.refused(RefusalReason.INCOMPATIBLE)).isEqualTo(2);
    assertThat(registry.refused(RefusalReason.BAD_KEY)).isEqualTo(3);
    assertThat(registry.baseVersion()).isEqualTo(1);
    assertThat(registry.modelsLoaded()).isZero();
  }

  @Test
  void anIndividualOnAnOlderBaseArrivingLateIsServedOnTheCurrentBase() {
    // Replay order across partitions is arbitrary: base 2 may be read before ann's model trained on base 1.
    putBase(2);
    assertThat(put("ann", "dsp", 3, 1)).isEqualTo(ApplyOutcome.INDIVIDUAL_SWAPPED);
    assertThat(registry.current().individual("ann", "dsp").baseVersion()).isEqualTo(1);
  }
}
