package io.prefstream.model.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the commands look for the shared data and the embedding cache when not told. */
final class DataDirs {
  private DataDirs() {}

  /** -Dprefstream.data.dir, else $PREFSTREAM_DATA_DIR, else ../shared/data or shared/data. */
  static Path data() {
    String p = System.getProperty("prefstream.data.dir");
    if (p == null) {
      p = System.getenv("PREFSTREAM_DATA_DIR");
    }
    if (p != null) {
      return Path.of(p);
    }
    for (String c : new String[] {"../shared/data", "shared/data", "/work/shared/data"}) {
      if (Files.isDirectory(Path.of(c))) {
        return Path.of(c);
      }
    }
    return Path.of("../shared/data");
  }

  /** The DSP responses by style ({@code dsp/dsp-dev.raw.jsonl}) in the data directory, or null when it has none. */
  static Path dspRaw(Path data) {
    Path raw = data.resolve("dsp/dsp-dev.raw.jsonl");
    return Files.isRegularFile(raw) ? raw : null;
  }

  /** -Dprefstream.embedding.cache, else ~/.cache/prefstream/embeddings. */
  static Path embeddingCache() {
    String p = System.getProperty("prefstream.embedding.cache");
    if (p != null) {
      return p.isBlank() ? null : Path.of(p);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "prefstream", "embeddings");
  }

  /** -Dprefstream.hidden.cache, else ~/.cache/prefstream/hidden (frozen-layer activations for encoder tuning). */
  static Path hiddenCache() {
    String p = System.getProperty("prefstream.hidden.cache");
    if (p != null) {
      return p.isBlank() ? null : Path.of(p);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "prefstream", "hidden");
  }
}
