package io.prefstream.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {
  private final BaseModel base = new BaseModel(2, "hashing-ngram-v1-d2", 4, new float[] {1, 2, 3, 4},
      Map.of("poetry", new float[] {0, 0, 1, 0}), 5, 9);

  @Test
  void savesAndLoadsBaseAndIndividualsIncludingOddUserIds(@TempDir Path dir) {
    IndividualModel a = new IndividualModel("ann/../x y", "poetry", 3, 2, new float[] {0.5f, 0, 0, -1}, 4, 8, 7, 6);
    IndividualModel b = new IndividualModel("bob", "law", 1, 2, new float[] {0, 0.25f, 0, 0}, 1, 2, 3, 4);
    ModelDirectory.save(dir, base, List.of(a, b));
    ModelDirectory.Contents c = ModelDirectory.load(dir);
    assertThat(c.base().sameWeights(base)).isTrue();
    assertThat(c.individuals()).hasSize(2);
    assertThat(c.individual("ann/../x y", "poetry").weights()).containsExactly(0.5f, 0, 0, -1);
    assertThat(c.individual("bob", "law").version()).isEqualTo(1);
    assertThat(c.individual("bob", "poetry")).isNull();
    assertThat(c.individual(null, "poetry")).isNull();
    // the user id cannot escape the directory
    assertThat(ModelDirectory.individualFile(dir, "ann/../x y", "poetry").normalize()).startsWithRaw(dir.resolve("individual"));
    assertThat(ModelDirectory.individualFile(dir, "..", "..").normalize()).startsWithRaw(dir.resolve("individual"));
  }

  @Test
  void aBaseOnlyDirectoryLoadsWithNoIndividuals(@TempDir Path dir) {
    BaseModelStore.save(base, dir);
    assertThat(ModelDirectory.load(dir).individuals()).isEmpty();
  }

  @Test
  void aCorruptOrMismatchedIndividualNamesItsFile(@TempDir Path dir) throws Exception {
    IndividualModel a = new IndividualModel("ann", "poetry", 3, 2, new float[4], 4, 8, 7, 6);
    ModelDirectory.save(dir, base, List.of(a));
    Path f = ModelDirectory.individualFile(dir, "ann", "poetry");
    byte[] bytes = Files.readAllBytes(f);
    bytes[bytes.length - 6] ^= 4;
    Files.write(f, bytes);
    assertThatThrownBy(() -> ModelDirectory.load(dir)).isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("ann.psrm");
    ModelDirectory.save(dir, base, List.of(new IndividualModel("ann", "poetry", 3, 2, new float[6], 4, 8, 7, 6)));
    assertThatThrownBy(() -> ModelDirectory.load(dir)).isInstanceOf(IncompatibleCheckpointException.class)
        .hasMessageContaining("dimension 6").hasMessageContaining("featureDim 4");
  }
}
