package io.prefstream.learner;

import io.prefstream.learner.kafka.TopicReader;
import io.prefstream.learner.train.GeneralPair;
import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.ModelCheckpoint;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.PreferenceLoss;
import io.prefstream.model.train.BaseTrainer;
import io.prefstream.model.train.BaseTrainerConfig;
import io.prefstream.model.train.TrainingPair;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.topic.ModelKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the {@code models} topic holds the general base, once: if no partition has one, the base is loaded from
 * {@code learner.base.dir} (a {@code train-base --out} folder), else trained from the general data files
 * ({@code learner.base.data}), and published in one transaction to EVERY partition of {@code models}, so the scorer
 * and learner instances find it in whichever partitions they own.
 */
public final class BaseBootstrap {
  private static final Logger log = LoggerFactory.getLogger(BaseBootstrap.class);

  private BaseBootstrap() {}

  /** The newest base found on {@code models}, or null. */
  public static BaseModel findPublished(Map<String, Object> clientProps, String modelsTopic, int partitions,
      Duration timeout) {
    return findPublished(clientProps, modelsTopic, partitions, timeout, null);
  }

  /**
   * As {@link #findPublished(Map, String, int, Duration)}, but with a verifier (signing configured) a base record
   * whose signature does not verify is skipped with a warning: a learner must not customize from a base someone
   * else wrote to {@code models}, or publish checkpoints signed over it.
   */
  public static BaseModel findPublished(Map<String, Object> clientProps, String modelsTopic, int partitions,
      Duration timeout, CheckpointVerifier verifier) {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(modelsTopic, p));
    }
    byte[] baseKey = ModelKey.BASE.bytes();
    AtomicReference<BaseModel> newest = new AtomicReference<>();
    TopicReader.readToEnd(clientProps, tps, timeout, r -> {
      if (r.value() != null && Arrays.equals(r.key(), baseKey)) {
        if (verifier != null) {
          CheckpointVerifier.Verdict verdict = verifier.verify(r.key(), r.value(), r.headers());
          if (verdict != CheckpointVerifier.Verdict.VALID) {
            log.warn("skipping the base record at {}-{}@{}: signature {} (trusted key ids {})", r.topic(),
                r.partition(), r.offset(), verdict, verifier.keyIds());
            return;
          }
        }
        ModelCheckpoint m = CheckpointCodec.decode(r.value());
        if (m instanceof BaseModel b && (newest.get() == null || b.version() >= newest.get().version())) {
          newest.set(b);
        }
      }
    });
    return newest.get();
  }

  /** Loads or trains the base (not yet published). */
  public static BaseModel obtain(Path baseDir, List<Path> baseData, PairFeaturizer featurizer, float marginScale,
      long nowMs) {
    if (baseDir != null) {
      BaseModel b = BaseModelStore.load(baseDir);
      log.info("base model v{} loaded from {} (encoder {}, D={})", b.version(), baseDir, b.encoderId(),
          b.featureDim());
      return b;
    }
    List<GeneralPair> general = GeneralPair.read(baseData, Integer.MAX_VALUE);
    if (general.isEmpty()) {
      log.warn("no base model on the models topic, no learner.base.dir and no general data in {}: starting from a "
          + "zero base (customized models will still learn, but start from chance)", baseData);
      return new BaseModel(1, featurizer.encoderId(), featurizer.dimension(), new float[featurizer.dimension()],
          Map.of(), 0, nowMs);
    }
    long t0 = System.nanoTime();
    List<TrainingPair> pairs = new ArrayList<>(general.size());
    for (GeneralPair g : general) {
      List<float[]> e = featurizer.encoder().encodeAll(List.of(g.prompt(), g.chosen(), g.rejected()));
      pairs.add(new TrainingPair(0, featurizer.combine(e.get(0), e.get(1), g.chosen()),
          featurizer.combine(e.get(0), e.get(2), g.rejected()),
          PreferenceLoss.margin(g.strength(), marginScale), 1f));
    }
    try (BaseTrainer trainer = new BaseTrainer(BaseTrainerConfig.defaults())) {
      BaseModel b = trainer.train(1, featurizer.encoderId(), featurizer.dimension(), pairs, Map.of(), nowMs);
      log.info("base model trained on {} general pairs from {} in {} ms on {}", pairs.size(), baseData,
          (System.nanoTime() - t0) / 1_000_000, trainer.device());
      return b;
    }
  }

  /** Sends the base to every partition of {@code models} inside the caller's open transaction. */
  public static void publish(Producer<byte[], byte[]> producer, String modelsTopic, int partitions, BaseModel base) {
    byte[] bytes = CheckpointCodec.encode(base);
    for (int p = 0; p < partitions; p++) {
      producer.send(new ProducerRecord<>(modelsTopic, p, ModelKey.BASE.bytes(), bytes));
    }
  }
}
