package io.prefstream.learner.kafka;

import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.checkpoint.CheckpointException;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.ModelCheckpoint;
import io.prefstream.protocol.checkpoint.CheckpointVerifier;
import io.prefstream.protocol.topic.ModelKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches {@code models} for base versions published while the learner runs (a {@code refit-base} run, or another
 * learner's bootstrap). Every base record goes to every partition, so partition 0 alone is followed; it starts at the
 * partition's end as of construction, which callers do before reading the newest base, so no version published in
 * between is missed. The processing thread picks a newer base up with {@link #takeNewer()} between transactions.
 */
public final class BaseFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BaseFollower.class);
  private static final byte[] BASE_KEY = ModelKey.BASE.bytes();

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final TopicPartition partition;
  private final CheckpointVerifier verifier;
  private final AtomicReference<BaseModel> newer = new AtomicReference<>();
  private final AtomicLong unreadable = new AtomicLong();
  private volatile long highestSeen = Long.MIN_VALUE;
  private volatile boolean running;
  private Thread thread;

  /**
   * @param verifierOrNull when set, a base record whose signature it does not accept is skipped
   */
  public BaseFollower(Map<String, Object> clientProps, String modelsTopic, CheckpointVerifier verifierOrNull,
      Duration timeout) {
    Map<String, Object> props = new HashMap<>(clientProps);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.partition = new TopicPartition(modelsTopic, 0);
    this.verifier = verifierOrNull;
    try {
      consumer.assign(List.of(partition));
      consumer.seek(partition, consumer.endOffsets(List.of(partition), timeout).get(partition));
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
  }

  /** Starts following; bases of {@code currentVersion} or older are ignored. */
  public synchronized void start(long currentVersion) {
    if (thread != null) {
      throw new IllegalStateException("base follower already started");
    }
    highestSeen = currentVersion;
    running = true;
    thread = new Thread(this::run, "learner-base-follower");
    thread.setDaemon(true);
    thread.start();
  }

  /** The newest base seen since the last call that is newer than every earlier one, or null. */
  public BaseModel takeNewer() {
    return newer.getAndSet(null);
  }

  /** Base records that could not be used (bad signature, corrupt or incompatible). */
  public long unreadable() {
    return unreadable.get();
  }

  private void run() {
    try {
      while (running) {
        try {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            if (r.value() != null && Arrays.equals(r.key(), BASE_KEY)) {
              accept(r);
            }
          }
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          // The consumer reconnects by itself; the learner's own broker watch reports the outage.
          log.debug("base follower poll failed, retrying: {}", e.toString());
          sleep(1_000);
        }
      }
    } catch (WakeupException e) {
      // closing
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    if (verifier != null) {
      CheckpointVerifier.Verdict verdict = verifier.verify(r.key(), r.value(), r.headers());
      if (verdict != CheckpointVerifier.Verdict.VALID) {
        unreadable.incrementAndGet();
        log.warn("ignoring the base record at {}-{}@{}: signature {} (trusted key ids {})", r.topic(), r.partition(),
            r.offset(), verdict, verifier.keyIds());
        return;
      }
    }
    ModelCheckpoint m;
    try {
      m = CheckpointCodec.decode(r.value());
    } catch (CheckpointException e) {
      unreadable.incrementAndGet();
      log.warn("ignoring an unreadable base record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
          e.getMessage());
      return;
    }
    if (m instanceof BaseModel b && b.version() > highestSeen) {
      highestSeen = b.version();
      newer.set(b);
      log.info("base v{} published on {}", b.version(), r.topic());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (t == null || !t.isAlive()) {
      consumer.close(Duration.ofSeconds(1));
    }
  }
}
