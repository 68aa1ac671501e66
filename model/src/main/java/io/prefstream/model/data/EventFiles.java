package io.prefstream.model.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads preference-event JSONL files (as in shared/data) into {@link PreferenceRecord}s. */
public final class EventFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EventFiles() {}

  public static List<PreferenceRecord> read(List<Path> files) {
    List<PreferenceRecord> out = new ArrayList<>();
    for (Path f : files) {
      out.addAll(read(f));
    }
    return out;
  }

  /** The name of the data set in a file, its file name up to the first '-' ("helpful-dev.events.jsonl": helpful). */
  public static String setName(Path file) {
    String name = file.getFileName().toString();
    return name.contains("-") ? name.substring(0, name.indexOf('-')) : name;
  }

  public static List<PreferenceRecord> read(Path file) {
    List<PreferenceRecord> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode o = JSON.readTree(line);
          JsonNode user = o.get("userId");
          JsonNode strength = o.get("strength");
          out.add(new PreferenceRecord(
              user == null || user.isNull() ? null : user.asText(),
              text(o, "domain"), text(o, "prompt"), text(o, "chosen"), text(o, "rejected"),
              strength == null || strength.isNull() ? 1.0 : strength.asDouble()));
        } catch (IOException | IllegalArgumentException e) {
          throw new IllegalArgumentException(file + " line " + n + ": " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static String text(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      throw new IllegalArgumentException("missing field '" + field + "'");
    }
    return n.asText();
  }
}
