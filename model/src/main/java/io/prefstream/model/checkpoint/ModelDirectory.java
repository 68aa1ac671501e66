package io.prefstream.model.checkpoint;

import io.prefstream.model.customize.UserDomain;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.ModelCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A model directory as {@code train-base} and {@code customize} write it: the base
 * ({@link BaseModelStore}: base.psrm + model.json) and, for customized models,
 * {@code individual/<domain>/<url-encoded userId>.psrm}. Loading accepts either layout.
 */
public final class ModelDirectory {
  public static final String INDIVIDUAL_DIR = "individual";

  private ModelDirectory() {}

  public record Contents(BaseModel base, Map<UserDomain, IndividualModel> individuals) {
    public IndividualModel individual(String userId, String domain) {
      return userId == null || domain == null ? null : individuals.get(new UserDomain(userId, domain));
    }
  }

  public static void save(Path dir, BaseModel base, Collection<IndividualModel> individuals) {
    BaseModelStore.save(base, dir);
    try {
      for (IndividualModel m : individuals) {
        Path f = individualFile(dir, m.userId(), m.domain());
        Files.createDirectories(f.getParent());
        BaseModelStore.writeAtomically(f, CheckpointCodec.encode(m));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write individual models under " + dir + ": " + e.getMessage(), e);
    }
  }

  public static Path individualFile(Path dir, String userId, String domain) {
    return dir.resolve(INDIVIDUAL_DIR).resolve(encode(domain)).resolve(encode(userId) + ".psrm");
  }

  public static Contents load(Path dir) {
    BaseModel base = BaseModelStore.load(dir);
    Map<UserDomain, IndividualModel> out = new TreeMap<>();
    Path ind = dir.resolve(INDIVIDUAL_DIR);
    if (Files.isDirectory(ind)) {
      List<Path> files;
      try (Stream<Path> s = Files.walk(ind, 2)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".psrm")).sorted().toList();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + ind + ": " + e.getMessage(), e);
      }
      for (Path f : files) {
        ModelCheckpoint m;
        try {
          m = CheckpointCodec.decode(Files.readAllBytes(f));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (CorruptCheckpointException e) {
          throw new CorruptCheckpointException(f + ": " + e.getMessage(), e);
        }
        if (!(m instanceof IndividualModel im)) {
          throw new IncompatibleCheckpointException(f + " holds a base model where an individual model belongs");
        }
        if (im.weights().length != base.featureDim()) {
          throw new IncompatibleCheckpointException(f + " has dimension " + im.weights().length
              + " but the base in " + dir + " has featureDim " + base.featureDim());
        }
        out.put(new UserDomain(im.userId(), im.domain()), im);
      }
    }
    return new Contents(base, out);
  }

  /** URL-encoding keeps '/' out of names; "." and ".." (valid domains) are escaped so they stay inside. */
  private static String encode(String s) {
    String e = URLEncoder.encode(s, StandardCharsets.UTF_8);
    return e.equals(".") || e.equals("..") ? e.replace(".", "%2E") : e;
  }

  static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
