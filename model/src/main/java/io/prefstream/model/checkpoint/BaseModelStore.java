package io.prefstream.model.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.ModelCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A base model on disk: {@code dir/base.psrm} (the checkpoint) and {@code dir/model.json} (a
 * human-readable summary that is never read back). Writes are atomic (temp file + rename).
 */
public final class BaseModelStore {
  public static final String BASE_FILE = "base.psrm";
  public static final String SUMMARY_FILE = "model.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BaseModelStore() {}

  public static void save(BaseModel base, Path dir) {
    try {
      Files.createDirectories(dir);
      writeAtomically(dir.resolve(BASE_FILE), CheckpointCodec.encode(base));
      ObjectNode s = JSON.createObjectNode();
      s.put("kind", "base");
      s.put("version", base.version());
      s.put("encoderId", base.encoderId());
      s.put("featureDim", base.featureDim());
      s.putPOJO("genericDomains", base.genericByDomain().keySet());
      s.put("trainedPairs", base.trainedPairs());
      s.put("createdAtMs", base.createdAtMs());
      s.put("checkpoint", BASE_FILE);
      writeAtomically(dir.resolve(SUMMARY_FILE), JSON.writeValueAsBytes(s));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save base model to " + dir + ": " + e.getMessage(), e);
    }
  }

  public static BaseModel load(Path dir) {
    Path file = dir.resolve(BASE_FILE);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CheckpointException("no base model at " + file.toAbsolutePath()
          + " (expected a directory written by train-base or customize)");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    ModelCheckpoint m;
    try {
      m = CheckpointCodec.decode(bytes);
    } catch (CorruptCheckpointException e) {
      throw new CorruptCheckpointException(file + ": " + e.getMessage(), e);
    }
    if (m instanceof BaseModel b) {
      return b;
    }
    throw new IncompatibleCheckpointException(file + " holds an individual model, not a base model");
  }

  static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
