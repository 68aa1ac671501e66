package io.prefstream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFolderTest {
  @Test
  void aFolderThatCannotBeCreatedIsAClearErrorNamingTheFlag(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
    Path data = file.resolve("local");
    assertThatThrownBy(() -> DataFolder.prepare(data))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(data.toAbsolutePath().toString())
        .hasMessageContaining("--data-dir");
    assertThat(Files.readString(file)).as("nothing written over what was there").isEqualTo("x");
  }

  @Test
  void aWritableFolderIsCreatedAndLeftClean(@TempDir Path dir) {
    Path data = dir.resolve("a/b/local");
    DataFolder.prepare(data);
    assertThat(data).isDirectory().isEmptyDirectory();
  }
}
