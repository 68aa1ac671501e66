package io.prefstream.scorer;

import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.FeatureLayout;
import io.prefstream.model.reward.IndividualModel;
import java.util.Map;
import java.util.Random;

/** Real checkpoints with seeded random weights, for tests. */
public final class Checkpoints {
  /** The encoder spec the scorers under test run. */
  public static final String ENCODER = "hashing-ngram-v1-d64";
  /** What models trained on that encoder's features are called: the encoder plus the default feature layout. */
  public static final String MODEL_ENCODER_ID = ENCODER + FeatureLayout.style().suffix();
  public static final int DIM = FeatureLayout.style().dimension(64);

  private Checkpoints() {}

  public static BaseModel base(long version, String... genericDomains) {
    return base(version, MODEL_ENCODER_ID, DIM, genericDomains);
  }

  public static BaseModel base(long version, String encoderId, int dim, String... genericDomains) {
    Random rnd = new Random(version * 31 + 7);
    Map<String, float[]> generic = new java.util.TreeMap<>();
    for (String d : genericDomains) {
      generic.put(d, vector(rnd, dim, 0.5f));
    }
    return new BaseModel(version, encoderId, dim, vector(rnd, dim, 1f), generic, 100, System.currentTimeMillis());
  }

  public static IndividualModel individual(String user, String domain, long version, long baseVersion) {
    return individual(user, domain, version, baseVersion, DIM);
  }

  public static IndividualModel individual(String user, String domain, long version, long baseVersion, int dim) {
    Random rnd = new Random((user + "/" + domain).hashCode() * 1_000_003L + version);
    // Values on the fp16 grid, so the scorer's fp16 copy holds exactly these numbers.
    float[] w = vector(rnd, dim, 2f);
    for (int i = 0; i < w.length; i++) {
      w[i] = io.prefstream.scorer.registry.Fp16.toFloat(io.prefstream.scorer.registry.Fp16.fromFloat(w[i]));
    }
    return new IndividualModel(user, domain, version, baseVersion, w, version * 10, version, 1_000_000L + version,
        System.currentTimeMillis());
  }

  public static byte[] bytes(io.prefstream.model.reward.ModelCheckpoint m) {
    return CheckpointCodec.encode(m);
  }

  private static float[] vector(Random rnd, int dim, float scale) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }
}
