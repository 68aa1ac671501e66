package io.prefstream.model.bert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.model.encoder.Encoders;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A tuned encoder inside a base model directory: {@code DIR/encoder-top.params} (DJL parameter file of the tuned
 * top layers) and {@code DIR/encoder.json} ({@code {"encoderId", "baseEncoder", "topLayers"}}). The encoder id is
 * {@code all-minilm-l6-v2~tuned:<first 12 hex of the params file's SHA-256>}, so a checkpoint trained on it names
 * exactly these weights; the bottom layers always come from the pretrained ONNX file's initializers.
 */
public final class TunedEncoderStore {
  public static final String PARAMS_FILE = "encoder-top.params";
  public static final String META_FILE = "encoder.json";
  public static final String TUNED_PREFIX = Encoders.MINILM + "~tuned:";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TunedEncoderStore() {}

  /** Writes {@code top} into {@code dir}; returns the tuned encoder's id. */
  public static String save(Path dir, TunedTop top) {
    try {
      Files.createDirectories(dir);
      Path params = dir.resolve(PARAMS_FILE);
      top.save(params);
      String id = TUNED_PREFIX + sha256(params).substring(0, 12);
      ObjectNode o = JSON.createObjectNode();
      o.put("encoderId", id);
      o.put("baseEncoder", Encoders.MINILM);
      o.put("topLayers", top.layers());
      JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(META_FILE).toFile(), o);
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save tuned encoder to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code dir} holds a tuned encoder. */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(META_FILE)) && Files.isRegularFile(dir.resolve(PARAMS_FILE));
  }

  /** The tuned encoder id recorded in {@code dir}. */
  public static String encoderId(Path dir) {
    try {
      return JSON.readTree(dir.resolve(META_FILE).toFile()).path("encoderId").asText();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(META_FILE) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens the tuned encoder of {@code dir} (pretrained bottom from the ONNX weights + the tuned top) on the
   * default device; the params file's hash must match the recorded id.
   *
   * @param cache optional activations of the frozen layers (null for a serving encoder)
   */
  public static TunedMiniLmEncoder open(Path dir, HiddenStateCache cache) {
    if (!exists(dir)) {
      throw new IllegalArgumentException("no tuned encoder in " + dir.toAbsolutePath() + " (needs " + META_FILE
          + " and " + PARAMS_FILE + ")");
    }
    int k;
    String id;
    try {
      var meta = JSON.readTree(dir.resolve(META_FILE).toFile());
      k = meta.path("topLayers").asInt(-1);
      id = meta.path("encoderId").asText();
      if (!meta.path("baseEncoder").asText().equals(Encoders.MINILM)) {
        throw new IllegalArgumentException("tuned encoder in " + dir + " is based on '"
            + meta.path("baseEncoder").asText() + "'; only " + Encoders.MINILM + " is supported");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(META_FILE) + ": " + e.getMessage(), e);
    }
    String actual = TUNED_PREFIX + sha256(dir.resolve(PARAMS_FILE)).substring(0, 12);
    if (!actual.equals(id)) {
      throw new IllegalArgumentException("tuned encoder " + dir.resolve(PARAMS_FILE) + " hashes to " + actual
          + " but " + META_FILE + " records " + id + " (file replaced or corrupt)");
    }
    MiniLmEncoder pretrained = MiniLmEncoder.pretrained();
    try {
      TunedTop top = TunedTop.load(dir.resolve(PARAMS_FILE), pretrained.block().config(), k, pretrained.manager());
      return new TunedMiniLmEncoder(id, pretrained, top, cache);
    } catch (RuntimeException e) {
      pretrained.close();
      throw e;
    }
  }

  static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
