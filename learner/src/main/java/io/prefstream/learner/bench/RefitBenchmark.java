package io.prefstream.learner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.broker.ScratchDirectory;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.refit.BaseRefitJob;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.train.GenericRefit;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What one {@code refit-base} run costs on a large {@code models} topic: an in-process broker gets a base and
 * {@code keys} customized checkpoints ({@code versionsPerKey} versions each, as an uncompacted topic holds them), then
 * the real job runs while a sampler records the heap in use. The heap figure is an upper bound (it includes garbage
 * not yet collected); running the command under a small {@code -Xmx} shows what the job needs.
 */
public final class RefitBenchmark {
  private static final List<String> DOMAINS = List.of("assistant", "writing", "support", "code");

  /** @param keys (user, domain) keys; {@code dim} the feature dimension (768 for the default layout) */
  public record Options(int keys, int versionsPerKey, int dim, int partitions) {
    public Options {
      if (keys < 1 || versionsPerKey < 1 || dim < 1 || partitions < 1) {
        throw new IllegalArgumentException("keys, versions per key, dim and partitions must be >= 1, got " + keys
            + ", " + versionsPerKey + ", " + dim + ", " + partitions);
      }
    }
  }

  private RefitBenchmark() {}

  public static ObjectNode run(Options o) throws Exception {
    try (ScratchDirectory tmp = ScratchDirectory.create("prefstream-bench-refit");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(tmp.resolve("kafka")))) {
      Topics topics = new Topics("bench-refit.");
      broker.createTopics(List.of(new NewTopic(topics.models(), o.partitions(), (short) 1)
          .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", "2000000"))));
      String bs = broker.bootstrapServers();
      long t0 = System.nanoTime();
      long bytes = fill(bs, topics.models(), o);
      double fillSeconds = (System.nanoTime() - t0) / 1e9;

      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      System.gc();
      long baseline = memory.getHeapMemoryUsage().getUsed();
      AtomicLong peak = new AtomicLong(baseline);
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-refit-heap-sampler");
      sampler.setDaemon(true);
      sampler.start();
      LearnerConfig config = LearnerConfig.defaults(bs, tmp.resolve("learner")).withTopics(topics);
      long t1 = System.nanoTime();
      BaseRefitJob.Report report = new BaseRefitJob(config, new GenericRefit.Config(10, 1, 4),
          BaseRefitJob.DEFAULT_MAX_RECORD_BYTES, Duration.ofMinutes(10)).run(true);
      double seconds = (System.nanoTime() - t1) / 1e9;
      sampler.interrupt();
      sampler.join();

      ObjectNode out = Json.MAPPER.createObjectNode();
      out.put("keys", o.keys());
      out.put("records", (long) o.keys() * o.versionsPerKey());
      out.put("topicMiB", Math.round(bytes / 1048576.0));
      out.put("partitions", o.partitions());
      out.put("featureDim", o.dim());
      out.put("fillSeconds", Math.round(fillSeconds * 10) / 10.0);
      out.put("refitSeconds", Math.round(seconds * 10) / 10.0);
      out.put("recordsReadPerSec", Math.round(2.0 * o.keys() * o.versionsPerKey() / seconds));
      out.put("modelsCounted", report.models());
      out.put("published", report.published());
      out.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / 1048576);
      out.put("heapBeforeMiB", baseline / 1048576);
      out.put("peakHeapUsedMiB", peak.get() / 1048576);
      return out;
    }
  }

  /** A random base, then every key's versions in order; returns the bytes written. */
  private static long fill(String bs, String topic, Options o) {
    Random rnd = new Random(1);
    float[] head = new float[o.dim()];
    for (int i = 0; i < head.length; i++) {
      head[i] = (float) rnd.nextGaussian() * 0.1f;
    }
    byte[] base = CheckpointCodec.encode(new BaseModel(1, "bench", o.dim(), head, Map.of(), 0, 1L));
    long bytes = 0;
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bs, "acks", "1",
        "linger.ms", 20, "batch.size", 1 << 20, "compression.type", "lz4", "max.request.size", 2_000_000),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int part = 0; part < o.partitions(); part++) {
        p.send(new ProducerRecord<>(topic, part, ModelKey.BASE.bytes(), base));
      }
      float[] w = new float[o.dim()];
      for (int v = 1; v <= o.versionsPerKey(); v++) {
        for (int k = 0; k < o.keys(); k++) {
          for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.05f;
          }
          String user = "user-" + k / DOMAINS.size();
          String domain = DOMAINS.get(k % DOMAINS.size());
          byte[] value = CheckpointCodec.encode(new IndividualModel(user, domain, v, 1, w, 10L * v, v, 1L, 1L));
          bytes += value.length;
          p.send(new ProducerRecord<>(topic, UserPartitioning.partitionFor(user, o.partitions()),
              ModelKey.of(user, domain).bytes(), value));
        }
      }
      p.flush();
    }
    return bytes;
  }

}
