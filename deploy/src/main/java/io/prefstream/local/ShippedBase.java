package io.prefstream.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * The general base models shipped inside the application for local mode (see the README beside them), so a first
 * start does not spend minutes embedding the general data. The learner publishes one only when {@code models} holds
 * no base yet.
 */
final class ShippedBase {
  private static final String ROOT = "/io/prefstream/local/base/";
  private static final List<String> FILES = List.of("base.psrm", "model.json");

  private ShippedBase() {}

  /** Copies the shipped base for {@code encoder} into {@code dir}/{@code encoder} and returns that folder, if any. */
  static Optional<Path> extract(String encoder, Path dir) {
    if (ShippedBase.class.getResource(ROOT + encoder + "/base.psrm") == null) {
      return Optional.empty();
    }
    Path target = dir.resolve(encoder);
    try {
      Files.createDirectories(target);
      for (String file : FILES) {
        try (InputStream in = ShippedBase.class.getResourceAsStream(ROOT + encoder + "/" + file)) {
          if (in == null) {
            throw new IllegalStateException("the shipped base for " + encoder + " lacks " + file);
          }
          Files.copy(in, target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the shipped base model to " + target.toAbsolutePath(), e);
    }
    return Optional.of(target);
  }
}
