package io.prefstream.model.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * General preference pairs kept next to a base model ({@code DIR/enrichment.jsonl}) and replayed while
 * customizing, so customized models keep the base's general ability (Cheng et al.'s enrichment).
 * A fixed-seed sample of the base's training data.
 */
public final class EnrichmentSet {
  public static final String FILE = "enrichment.jsonl";
  public static final int DEFAULT_SIZE = 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private EnrichmentSet() {}

  public static void write(Path dir, List<PreferenceRecord> general, int size) {
    List<PreferenceRecord> sample = new ArrayList<>(general);
    Collections.shuffle(sample, new Random(42));
    sample = sample.subList(0, Math.min(size, sample.size()));
    try {
      Files.createDirectories(dir);
      try (Writer w = Files.newBufferedWriter(dir.resolve(FILE), StandardCharsets.UTF_8)) {
        for (PreferenceRecord r : sample) {
          ObjectNode o = JSON.createObjectNode();
          o.putNull("userId");
          o.put("domain", r.domain());
          o.put("prompt", r.prompt());
          o.put("chosen", r.chosen());
          o.put("rejected", r.rejected());
          o.put("strength", r.strength());
          w.write(JSON.writeValueAsString(o));
          w.write('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
    }
  }

  /** The model directory's enrichment pairs, empty when it has none. */
  public static List<PreferenceRecord> read(Path dir) {
    Path f = dir.resolve(FILE);
    return Files.isRegularFile(f) ? EventFiles.read(f) : List.of();
  }

  public static void copy(Path from, Path to) {
    Path f = from.resolve(FILE);
    if (Files.isRegularFile(f)) {
      try {
        Files.createDirectories(to);
        Files.copy(f, to.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot copy " + f + ": " + e.getMessage(), e);
      }
    }
  }
}
