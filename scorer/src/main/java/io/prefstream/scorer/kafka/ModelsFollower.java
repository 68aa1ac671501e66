package io.prefstream.scorer.kafka;

import io.prefstream.scorer.registry.ModelRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Materializes the compacted {@code models} topic into a {@link ModelRegistry} and keeps following it, on its own
 * thread: every start reads from the beginning (the topic is the scorer's only state), {@code read_committed} so a
 * learner transaction that aborts is never served. A plain consumer with {@code assign()}: every partition (global
 * view) or only the owned ones (partitioned view; the base is on every partition).
 */
public final class ModelsFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelsFollower.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final Set<Integer> ownedOrEmpty;
  private final ModelRegistry registry;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final CountDownLatch assigned = new CountDownLatch(1);
  private volatile int numPartitions = -1;
  private volatile boolean running = true;
  private volatile Throwable failure;
  private boolean started;

  /**
   * @param owned the partitions to follow; empty = all (global view)
   */
  public ModelsFollower(Map<String, Object> kafka, String topic, Set<Integer> owned, ModelRegistry registry) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.remove("group.id");
    props.putIfAbsent("client.id", "prefstream-scorer-models-" + System.identityHashCode(this));
    this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.topic = topic;
    this.ownedOrEmpty = Set.copyOf(owned);
    this.registry = registry;
    this.thread = new Thread(this::run, "scorer-models-follower");
    thread.setDaemon(true);
  }

  public synchronized void start() {
    started = true;
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> partitions = discover();
      if (partitions == null) {
        return;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
      assigned.countDown();
      log.info("following {} partitions {} from the beginning", topic, partitions);
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          registry.apply(r.key(), r.value(), r.headers());
        }
        if (caughtUp.getCount() > 0) {
          try {
            end.entrySet().removeIf(e -> consumer.position(e.getKey(), Duration.ofSeconds(1)) >= e.getValue());
          } catch (org.apache.kafka.common.errors.TimeoutException e) {
            // the broker is away while we catch up: keep serving what is loaded, ask again after the next poll
          }
          if (end.isEmpty()) {
            caughtUp.countDown();
            log.info("caught up with {}: base v{}, {} customized models", topic, registry.baseVersion(),
                registry.modelsLoaded());
          }
        }
      }
    } catch (WakeupException e) {
      // close() asked us to stop
    } catch (RuntimeException e) {
      failure = e;
      log.error("the models follower stopped; the scorer keeps serving what it has loaded", e);
    } finally {
      assigned.countDown();
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** Waits for the topic to exist (the learner may create it after the scorer starts). */
  private List<TopicPartition> discover() {
    while (running) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        infos = null;
      }
      if (infos != null && !infos.isEmpty()) {
        numPartitions = infos.size();
        List<TopicPartition> out = new ArrayList<>();
        for (PartitionInfo p : infos) {
          if (ownedOrEmpty.isEmpty() || ownedOrEmpty.contains(p.partition())) {
            out.add(new TopicPartition(topic, p.partition()));
          }
        }
        for (int p : ownedOrEmpty) {
          if (p >= infos.size()) {
            throw new IllegalStateException("owned partition " + p + " does not exist: " + topic + " has "
                + infos.size() + " partitions (0.." + (infos.size() - 1) + ")");
          }
        }
        return out;
      }
      log.info("waiting for topic {} to exist", topic);
      sleep(1000);
    }
    return null;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True once every record present at start has been applied. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  /** The partition count of the models topic once known (for the partitioned view), else -1. */
  public int awaitPartitionCount(Duration timeout) throws InterruptedException {
    assigned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return numPartitions;
  }

  public boolean alive() {
    return thread.isAlive() && failure == null;
  }

  public Throwable failure() {
    return failure;
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    if (!started) {
      consumer.close(Duration.ZERO);
      return;
    }
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
