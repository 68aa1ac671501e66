package io.prefstream.learner.refit;

import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.kafka.TopicReader;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.checkpoint.CheckpointException;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.train.GenericRefit;
import io.prefstream.protocol.checkpoint.CheckpointSigner;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.topic.ModelKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the slow-cadence refit: reads the compacted {@code models} topic (the newest base and every customized
 * model), computes the next base version with {@link GenericRefit}, and publishes it to every partition of
 * {@code models} in one transaction, signed like the learner's records. Running learners switch to it between
 * transactions and scorers swap it in; nothing needs a restart. Safe to run on a schedule: a run that finds too few
 * users in every domain publishes nothing.
 */
public final class BaseRefitJob {
  private static final Logger log = LoggerFactory.getLogger(BaseRefitJob.class);
  /** Below the broker's and producer's 1 MiB defaults, with room for headers. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1_000_000;

  private final LearnerConfig config;
  private final GenericRefit.Config refit;
  private final int maxRecordBytes;
  private final Duration timeout;

  public BaseRefitJob(LearnerConfig config, GenericRefit.Config refit, int maxRecordBytes, Duration timeout) {
    if (maxRecordBytes < 1024) {
      throw new IllegalArgumentException("maxRecordBytes must be >= 1024, got " + maxRecordBytes);
    }
    this.config = config;
    this.refit = refit;
    this.maxRecordBytes = maxRecordBytes;
    this.timeout = timeout;
  }

  /**
   * What a run found and did.
   *
   * @param previousVersion the base version found on {@code models}
   * @param base the new base (the previous one when nothing changed)
   * @param models customized models read; {@code unreadable}: records skipped (corrupt, unsigned, ...)
   * @param recordBytes size of the new base record (0 when not changed)
   * @param published whether it was written to {@code models}
   */
  public record Report(long previousVersion, BaseModel base, GenericRefit.Result refit, int models, int unreadable,
      int recordBytes, boolean published) {}

  /** @param publish false: compute and report only (a dry run) */
  public Report run(boolean publish) {
    try (Prepared prepared = prepare(publish)) {
      return publish ? prepared.publish() : prepared.report();
    }
  }

  /**
   * Reads {@code models} and computes the next base. When it will publish, it first takes the job's transactional id
   * ({@code initTransactions}): a second run started later fences this one, whose {@link Prepared#publish()} then
   * fails, so two overlapping runs never publish two different bases of the same version; and a run started after
   * another committed reads that run's base.
   */
  public Prepared prepare(boolean forPublishing) {
    Map<String, Object> client = new HashMap<>(config.kafka());
    client.put("bootstrap.servers", config.bootstrapServers());
    String topic = config.topics().models();
    int partitions;
    try (Admin admin = Admin.create(client)) {
      partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(),
          java.util.concurrent.TimeUnit.MILLISECONDS).get(topic).partitions().size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic '" + topic + "'", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot describe topic '" + topic + "' at " + config.bootstrapServers()
          + ": " + e.getMessage(), e);
    }
    KafkaProducer<byte[], byte[]> producer = forPublishing ? transactionalProducer(client) : null;
    try {
      return new Prepared(compute(client, topic, partitions), producer, topic, partitions);
    } catch (RuntimeException e) {
      if (producer != null) {
        producer.close(Duration.ZERO);
      }
      throw e;
    }
  }

  /**
   * Two passes per partition, so memory holds one partition's keys (a string and an offset each), never the models:
   * the first finds the newest base and the offset of each key's current record (the last one that verifies; a
   * tombstone removes the key), the second decodes just those records into the refit's per-domain sums. Keys are
   * partition-local and every base record goes to every partition, so partitions can be taken one at a time.
   */
  private Report compute(Map<String, Object> client, String topic, int partitions) {
    CheckpointVerifier verifier = config.checkpointSigningKey() == null ? null
        : new CheckpointVerifier(List.of(config.checkpointSigningKey()));
    byte[] baseKey = ModelKey.BASE.bytes();
    int[] unreadable = new int[1];
    int models = 0;
    GenericRefit.Accumulator acc = null;
    for (int p = 0; p < partitions; p++) {
      List<TopicPartition> one = List.of(new TopicPartition(topic, p));
      Map<String, Long> current = new HashMap<>();
      BaseModel[] newestBase = new BaseModel[1];
      TopicReader.readToEnd(client, one, timeout, r -> {
        if (verifier != null && verifier.verify(r.key(), r.value(), r.headers()) != CheckpointVerifier.Verdict.VALID) {
          unreadable[0]++; // as the scorer does: an unsigned or forged record is not the key's current value
          return;
        }
        if (Arrays.equals(r.key(), baseKey)) {
          BaseModel b = decodeBase(r.value());
          if (b != null && (newestBase[0] == null || b.version() > newestBase[0].version())) {
            newestBase[0] = b;
          }
          return;
        }
        String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
          current.remove(key);
        } else {
          current.put(key, r.offset());
        }
      });
      if (newestBase[0] == null) {
        throw new IllegalStateException("no base model on '" + topic + "' (partition " + p
            + "): start a learner first (it publishes one to every partition)");
      }
      if (acc == null) {
        acc = new GenericRefit.Accumulator(newestBase[0], refit);
      } else if (newestBase[0].version() != acc.base().version()) {
        throw new IllegalStateException("partitions of '" + topic + "' hold different newest bases (v"
            + acc.base().version() + " and v" + newestBase[0].version() + " in partition " + p
            + "); a base is being published: run again");
      }
      GenericRefit.Accumulator sums = acc;
      int[] counted = new int[1];
      TopicReader.readToEnd(client, one, timeout, r -> {
        if (r.value() == null || Arrays.equals(r.key(), baseKey)) {
          return;
        }
        Long at = current.get(new String(r.key(), StandardCharsets.UTF_8));
        if (at == null || at != r.offset()) {
          return;
        }
        try {
          if (CheckpointCodec.decode(r.value()) instanceof IndividualModel m) {
            sums.add(m);
            counted[0]++;
          }
        } catch (CheckpointException e) {
          unreadable[0]++;
        }
      });
      models += counted[0];
    }
    BaseModel current = acc.base();
    GenericRefit.Result result = acc.finish(System.currentTimeMillis());
    if (!result.changed()) {
      log.info("base v{}: no domain has {} models with >= {} events; nothing published", current.version(),
          refit.minUsers(), refit.minEvents());
      return new Report(current.version(), current, result, models, unreadable[0], 0, false);
    }
    BaseModel next = result.base();
    byte[] bytes = CheckpointCodec.encode(next);
    while (bytes.length > maxRecordBytes && !next.ancestors().isEmpty()) {
      // The oldest ancestor goes first: its models fall back to scoring as residuals on the newest version.
      next = next.withAncestors(next.ancestors().size() - 1);
      bytes = CheckpointCodec.encode(next);
    }
    if (bytes.length > maxRecordBytes) {
      throw new IllegalStateException("base v" + next.version() + " is " + bytes.length + " bytes even without "
          + "ancestors, over the " + maxRecordBytes + "-byte record limit; raise --max-record-bytes together with "
          + "the topic's max.message.bytes and the producer's max.request.size");
    }
    return new Report(current.version(), next, result, models, unreadable[0], bytes.length, false);
  }

  private static BaseModel decodeBase(byte[] value) {
    try {
      return CheckpointCodec.decode(value) instanceof BaseModel b ? b : null;
    } catch (CheckpointException e) {
      log.warn("skipping an unreadable base record: {}", e.getMessage());
      return null;
    }
  }

  private KafkaProducer<byte[], byte[]> transactionalProducer(Map<String, Object> client) {
    Map<String, Object> p = new HashMap<>(client);
    String id = config.topics().prefix() + "refit-base";
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, id);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(maxRecordBytes + 64 * 1024, 1_048_576));
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
        new ByteArraySerializer());
    try {
      producer.initTransactions();
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw new IllegalStateException("cannot take transactional id '" + id + "': " + e.getMessage(), e);
    }
    return producer;
  }

  /** A computed refit, holding the job's transactional id when it is to be published. */
  public final class Prepared implements AutoCloseable {
    private final Report report;
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;

    private Prepared(Report report, KafkaProducer<byte[], byte[]> producer, String topic, int partitions) {
      this.report = report;
      this.producer = producer;
      this.topic = topic;
      this.partitions = partitions;
    }

    /** What was computed (not published). */
    public Report report() {
      return report;
    }

    /**
     * Writes the new base to every partition of {@code models} in one transaction; nothing when no domain changed.
     *
     * @throws IllegalStateException when another run took the transactional id since {@link #prepare}
     */
    public Report publish() {
      if (producer == null) {
        throw new IllegalStateException("prepared as a dry run; prepare(true) to publish");
      }
      if (!report.refit().changed()) {
        return report;
      }
      byte[] bytes = CheckpointCodec.encode(report.base());
      CheckpointSigner signer = config.checkpointSigner();
      byte[] key = ModelKey.BASE.bytes();
      try {
        producer.beginTransaction();
        for (int part = 0; part < partitions; part++) {
          ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, part, key, bytes);
          if (signer != null) {
            signer.sign(rec.headers(), key, bytes);
          }
          producer.send(rec);
        }
        producer.commitTransaction();
      } catch (KafkaException e) {
        if (fenced(e) || fenced(e.getCause())) {
          throw new IllegalStateException("another refit-base run took transactional id '" + config.topics().prefix()
              + "refit-base' after this one read the topic; this run published nothing", e);
        }
        throw new IllegalStateException("publishing base v" + report.base().version() + " failed: " + e, e);
      }
      log.info("published base v{} ({} bytes, ancestors {}) to all {} partitions of {}", report.base().version(),
          bytes.length, report.base().ancestors().stream().map(BaseModel::version).toList(), partitions, topic);
      return new Report(report.previousVersion(), report.base(), report.refit(), report.models(),
          report.unreadable(), report.recordBytes(), true);
    }

    /** Another producer took the id: fenced at once, or (transactions v2) on its next send with the old epoch. */
    private static boolean fenced(Throwable e) {
      return e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException;
    }

    @Override
    public void close() {
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
      }
    }
  }
}
