package io.prefstream.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks local mode's data folder before anything writes to it, so a read-only or full disk is a clear error at start
 * rather than a broker or state store failing half-way through a write.
 */
final class DataFolder {
  /** Below this much free space the broker's log segments and state stores cannot be written safely. */
  static final long MIN_FREE_BYTES = 256L * 1024 * 1024;

  private DataFolder() {}

  static void prepare(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the data folder " + dir.toAbsolutePath() + ": " + e
          + " (choose a writable folder with --data-dir)", e);
    }
    if (!Files.isWritable(dir)) {
      throw new IllegalStateException("the data folder " + dir.toAbsolutePath()
          + " is not writable (choose a writable folder with --data-dir)");
    }
    Path probe = dir.resolve(".write-probe");
    try {
      Files.writeString(probe, "ok");
      Files.delete(probe);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write to the data folder " + dir.toAbsolutePath() + ": " + e
          + " (choose a writable folder with --data-dir)", e);
    }
    try {
      FileStore store = Files.getFileStore(dir);
      long free = store.getUsableSpace();
      if (free < MIN_FREE_BYTES) {
        throw new IllegalStateException("the data folder " + dir.toAbsolutePath() + " has only " + (free >> 20)
            + " MiB free; local mode needs at least " + (MIN_FREE_BYTES >> 20) + " MiB");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the free space of " + dir.toAbsolutePath(), e);
    }
  }
}
