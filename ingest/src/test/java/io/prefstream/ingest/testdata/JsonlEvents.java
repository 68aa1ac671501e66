package io.prefstream.ingest.testdata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the shared preference data ({@code prefstream.data.dir}, set by surefire) as raw record values, one JSON
 * object per line, exactly as the file holds them: tests then see the same bytes a producer would send.
 */
public final class JsonlEvents {
  private JsonlEvents() {}

  /** The shared data folder; fails with the property name when it is not set or missing. */
  public static Path dataDir() {
    String dir = System.getProperty("prefstream.data.dir");
    if (dir == null || !Files.isDirectory(Path.of(dir))) {
      throw new IllegalStateException("system property prefstream.data.dir = " + dir
          + " is not a folder; run the tests through Maven (surefire sets it) or pass -Dprefstream.data.dir=...");
    }
    return Path.of(dir);
  }

  /** The non-blank lines of {@code relative} (e.g. {@code dsp/dsp-dev.events.jsonl}) as UTF-8 bytes. */
  public static List<byte[]> read(String relative) {
    Path file = dataDir().resolve(relative);
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(l -> !l.isBlank())
          .map(l -> l.getBytes(StandardCharsets.UTF_8))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
