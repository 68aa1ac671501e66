package io.prefstream.deploy.faults;

import static io.prefstream.deploy.faults.FaultTestSupport.awaitTrue;
import static io.prefstream.deploy.faults.FaultTestSupport.counters;
import static io.prefstream.deploy.faults.FaultTestSupport.dspEvents;
import static io.prefstream.deploy.faults.FaultTestSupport.generalData;
import static io.prefstream.deploy.faults.FaultTestSupport.latest;
import static io.prefstream.deploy.faults.FaultTestSupport.produceBatches;
import static io.prefstream.deploy.faults.FaultTestSupport.smallBase;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.learner.state.KeyState;
import io.prefstream.learner.state.KeyStateCodec;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.runtime.config.Settings;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner's side of a broker restart, made certain to hit it mid-work: with a backlog of batches the learner is
 * inside a transaction nearly all the time, and the broker is stopped once a quarter of the backlog is committed, for
 * longer than the learner's transaction timeout and its clients' timeouts. The learner must recover by itself (new
 * producer, replay from the committed offsets and state) and end bit-identical, count for count, to an uninterrupted
 * run over the same batches on the same broker.
 */
class LearnerBrokerRestartTest {
  private static final int PARTITIONS = 2;
  private static final int USERS = 4;
  private static final int EVENTS_PER_USER = 600;
  private static final int BATCH_SIZE = 2;
  private static final Duration OUTAGE = Duration.ofSeconds(15);

  @Test
  void aLearnerCutOffMidTransactionEndsIdenticalToAnUninterruptedRun(@TempDir Path dir) throws Exception {
    Path baseDir = smallBase(dir);
    List<TrainingBatch> batches = batches();
    Path kafkaDir = dir.resolve("kafka");
    EmbeddedKafkaBroker[] broker = {EmbeddedKafkaBroker.start(BrokerConfig.defaults(kafkaDir))};
    String bs = broker[0].bootstrapServers();
    int port = Integer.parseInt(bs.substring(bs.lastIndexOf(':') + 1));
    try {
      Topics ref = new Topics("ref.");
      Topics cut = new Topics("cut.");
      for (Topics t : List.of(ref, cut)) {
        broker[0].createTopics(topics(t));
        produceBatches(bs, t.batches(), batches);
      }

      LearnerConfig refConfig = config(bs, dir.resolve("ref"), ref, "ref", baseDir);
      try (LearnerService learner = new LearnerService(refConfig, new SimpleMeterRegistry())) {
        learner.start();
        awaitTrue(Duration.ofSeconds(180), () -> committed(bs, refConfig.groupId()) >= batches.size(),
            "the reference run to commit every batch");
      }

      LearnerConfig cutConfig = config(bs, dir.resolve("cut"), cut, "cut", baseDir);
      MeterRegistry meters = new SimpleMeterRegistry();
      ConcurrentLinkedQueue<MetricsEndpoint.Health> healthSeen = new ConcurrentLinkedQueue<>();
      AtomicBoolean watching = new AtomicBoolean(true);
      try (LearnerService learner = new LearnerService(cutConfig, meters)) {
        learner.start();
        Thread watcher = new Thread(() -> {
          while (watching.get()) {
            healthSeen.add(learner.health());
            try {
              Thread.sleep(200);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "learner-health-watch");
        watcher.setDaemon(true);
        watcher.start();
        long target = batches.size() / 4;
        long atStop;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
          awaitTrue(Duration.ofSeconds(120), () -> committed(admin, cutConfig.groupId()) >= target,
              "the learner to commit a quarter of the batches");
          atStop = committed(admin, cutConfig.groupId());
        }
        assertThat(atStop).as("still working when the broker stops").isLessThan(batches.size() * 3L / 4);
        broker[0].close();
        Thread.sleep(OUTAGE.toMillis());
        broker[0] = EmbeddedKafkaBroker.start(BrokerConfig.defaults(kafkaDir).withPort(port));
        awaitTrue(Duration.ofSeconds(180), () -> committed(bs, cutConfig.groupId()) >= batches.size(),
            "the learner to commit every batch after the restart");
        watching.set(false);
        watcher.join(5_000);
        System.out.printf("learner: stopped the broker at %d of %d batches committed; kafka retries %s, producers "
                + "recreated %s; health states seen %s; health now %s%n", atStop, batches.size(),
            counters(meters, LearnerService.KAFKA_RETRIES), counters(meters, LearnerService.PRODUCER_RECREATED),
            healthSeen.stream().map(MetricsEndpoint.Health::status).distinct().toList(), learner.health());
        assertThat(learner.running()).isTrue();
        assertThat(learner.health().status()).isEqualTo(MetricsEndpoint.Health.Status.UP);
        assertThat(counters(meters, LearnerService.PRODUCER_RECREATED).values().stream().mapToDouble(d -> d).sum())
            .as("the outage hit an open transaction and the producer was replaced").isGreaterThanOrEqualTo(1);
        assertThat(healthSeen).as("health while the broker was away")
            .anyMatch(h -> h.status() == MetricsEndpoint.Health.Status.DEGRADED)
            .noneMatch(h -> h.status() == MetricsEndpoint.Health.Status.DOWN);
      }

      Map<String, byte[]> refModels = latest(bs, ref.models());
      Map<String, byte[]> cutModels = latest(bs, cut.models());
      Map<String, byte[]> refState = latest(bs, refConfig.stateTopic());
      Map<String, byte[]> cutState = latest(bs, cutConfig.stateTopic());
      assertThat(cutModels.keySet()).isEqualTo(refModels.keySet());
      int keys = 0;
      for (Map.Entry<String, byte[]> e : refModels.entrySet()) {
        if (!(CheckpointCodec.decode(e.getValue()) instanceof IndividualModel a)) {
          continue;
        }
        keys++;
        IndividualModel b = (IndividualModel) CheckpointCodec.decode(cutModels.get(e.getKey()));
        assertThat(b.version()).as(e.getKey()).isEqualTo(a.version());
        assertThat(b.eventsApplied()).as(e.getKey()).isEqualTo(a.eventsApplied()); // the gate may hold the last one back
        assertThat(b.steps()).as(e.getKey()).isEqualTo(a.steps());
        assertThat(b.weights()).as(e.getKey()).containsExactly(a.weights());
      }
      assertThat(keys).isEqualTo(USERS);
      assertThat(cutState.keySet()).isEqualTo(refState.keySet());
      for (Map.Entry<String, byte[]> e : refState.entrySet()) {
        KeyState s = KeyStateCodec.decode(e.getValue());
        // no event lost or applied twice
        assertThat(s.eventsApplied()).as(e.getKey()).isEqualTo(EVENTS_PER_USER);
        assertThat(cutState.get(e.getKey())).as("state of %s", e.getKey()).isEqualTo(e.getValue());
      }
    } finally {
      broker[0].close();
    }
  }

  private static LearnerConfig config(String bs, Path data, Topics topics, String instance, Path baseDir)
      throws java.io.IOException {
    // Client timeouts well under the outage (see BrokerRestartTest); small blocks: many short transactions.
    return LearnerConfig.from(Settings.of(Map.ofEntries(
            Map.entry("bootstrap.servers", bs),
            Map.entry("topic.prefix", topics.prefix()),
            Map.entry("instance.id", instance),
            Map.entry("data.dir", data.toString()),
            Map.entry("learner.encoder", FaultTestSupport.HASHING),
            Map.entry("learner.block.records", "8"),
            Map.entry("learner.max.poll.records", "40"),
            Map.entry("learner.transaction.timeout", "10s"),
            Map.entry("kafka.request.timeout.ms", "5000"),
            Map.entry("kafka.default.api.timeout.ms", "8000"),
            Map.entry("kafka.max.block.ms", "8000"),
            Map.entry("kafka.delivery.timeout.ms", "10000"),
            Map.entry("kafka.reconnect.backoff.max.ms", "1000"))))
        .withBase(baseDir, generalData());
  }

  /** {@link #EVENTS_PER_USER} DSP events of each style's user, in batches of two, keys interleaved. */
  private static List<TrainingBatch> batches() throws java.io.IOException {
    Map<String, List<PreferenceEvent>> byStyle = dspEvents();
    List<List<TrainingBatch>> perKey = new ArrayList<>();
    long t0 = 1_700_000_000_000L;
    for (String style : FaultTestSupport.STYLES.subList(0, USERS)) {
      List<PreferenceEvent> events = byStyle.get(style);
      List<TrainingBatch> list = new ArrayList<>();
      for (int i = 0; i < EVENTS_PER_USER; i += BATCH_SIZE) {
        List<PreferenceEvent> part = new ArrayList<>();
        for (int j = i; j < i + BATCH_SIZE; j++) {
          PreferenceEvent e = events.get(j % events.size());
          part.add(PreferenceEvent.of("e" + j + "-" + e.eventId(), e.userId(), e.domain(), e.prompt(), e.chosen(),
              e.rejected(), 1.0, t0 + j));
        }
        PreferenceEvent first = part.get(0);
        list.add(new TrainingBatch(first.userId() + "/" + first.domain() + "/" + i + "/0", first.userId(),
            first.domain(), t0 + i, t0 + i + BATCH_SIZE, true, part));
      }
      perKey.add(list);
    }
    List<TrainingBatch> out = new ArrayList<>();
    for (int i = 0; i < EVENTS_PER_USER / BATCH_SIZE; i++) {
      for (List<TrainingBatch> list : perKey) {
        out.add(list.get(i));
      }
    }
    return out;
  }

  private static List<NewTopic> topics(Topics t) {
    Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    return List.of(new NewTopic(t.batches(), PARTITIONS, (short) 1),
        new NewTopic(t.batchesDlq(), PARTITIONS, (short) 1),
        new NewTopic(t.models(), PARTITIONS, (short) 1).configs(compacted),
        new NewTopic(t.prefix() + "learner-state", PARTITIONS, (short) 1).configs(compacted));
  }

  private static long committed(String bs, String group) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
      return committed(admin, group);
    }
  }

  /** The sum of the group's committed offsets (batches are plain records: offsets count them). */
  private static long committed(Admin admin, String group) {
    try {
      Map<TopicPartition, OffsetAndMetadata> m =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
      return m.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
    } catch (Exception e) {
      return 0;
    }
  }
}
