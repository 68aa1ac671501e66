package io.prefstream.model.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prefstream.model.checkpoint.ModelDirectory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** train-base → customize → eval on real data slices, with the fast hashing encoder. */
@ExtendWith(NoDiskCaches.class)
class OfflineCommandsTest {
  static Path data = Path.of(System.getProperty("prefstream.data.dir", "../../shared/data"));
  /** Every n-th line of a file, so slices cover every user and domain. */
  static Path slice(Path src, Path dir, String name, int every, int offset) throws Exception {
    List<String> lines = Files.readAllLines(src, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (int i = offset; i < lines.size(); i += every) {
      out.add(lines.get(i));
    }
    Path f = dir.resolve(name);
    Files.write(f, out, StandardCharsets.UTF_8);
    return f;
  }

  static String run(Object command, String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = new CommandLine(command).execute(args);
    } finally {
      System.setOut(old);
    }
    assertThat(rc).as("exit code of %s", List.of(args)).isZero();
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void trainBaseCustomizeAndEvalEndToEnd(@TempDir Path tmp) throws Exception {
    Path general = slice(data.resolve("general/helpful-dev.events.jsonl"), tmp, "general.jsonl", 4, 0);
    Path dspTrain = slice(data.resolve("dsp/dsp-dev.events.jsonl"), tmp, "dsp-train.jsonl", 5, 0);
    Path dspTest = slice(data.resolve("dsp/dsp-dev.events.jsonl"), tmp, "dsp-test.jsonl", 17, 1);
    Path baseDir = tmp.resolve("base");
    Path customDir = tmp.resolve("custom");

    run(new TrainBaseCommand(), "--data", general.toString(), "--out", baseDir.toString(),
        "--encoder", "hashing-ngram-v1-d128", "--steps", "60");
    assertThat(baseDir.resolve("base.psrm")).exists();
    assertThat(baseDir.resolve("model.json")).exists();
    assertThat(baseDir.resolve("enrichment.jsonl")).exists();

    run(new CustomizeCommand(), "--base", baseDir.toString(), "--data", dspTrain.toString(),
        "--out", customDir.toString(), "--epochs", "1", "--batch-size", "64", "--steps", "20",
        "--generic-steps", "100");
    ModelDirectory.Contents c = ModelDirectory.load(customDir);
    assertThat(c.individuals()).hasSize(4);
    assertThat(c.base().genericByDomain().keySet())
        .containsExactlyInAnyOrder("academy", "business", "entertainment", "literature");
    assertThat(ModelDirectory.individualFile(customDir, "dsp-academy", "academy")).exists();

    ObjectMapper m = new ObjectMapper();
    JsonNode custom = m.readTree(run(new EvalCommand(), "--model", customDir.toString(), "--data",
        dspTest.toString(), "--json"));
    JsonNode baseOnly = m.readTree(run(new EvalCommand(), "--model", baseDir.toString(), "--data",
        dspTest.toString(), "--json"));
    assertThat(custom.get("groups")).hasSize(4);
    assertThat(custom.get("groups").get(0).has("userId")).isTrue();
    assertThat(custom.get("overall").get("pairs").asInt()).isEqualTo(Files.readAllLines(dspTest).size());
    // customization must beat the general base on the users' own styles
    assertThat(custom.get("overall").get("accuracy").asDouble())
        .isGreaterThan(baseOnly.get("overall").get("accuracy").asDouble() + 0.1)
        .isGreaterThan(0.6);

    JsonNode as = m.readTree(run(new EvalCommand(), "--model", customDir.toString(), "--data",
        general.toString(), "--as-user", "dsp-academy", "--as-domain", "academy", "--json"));
    assertThat(as.get("groups")).hasSize(1);
    assertThat(as.get("groups").get(0).get("userId").asText()).isEqualTo("dsp-academy");
    assertThat(as.get("groups").get(0).get("domain").asText()).isEqualTo("academy");
  }
}
