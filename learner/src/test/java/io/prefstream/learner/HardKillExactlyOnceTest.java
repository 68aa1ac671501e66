package io.prefstream.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.learner.state.KeyState;
import io.prefstream.learner.state.KeyStateCodec;
import io.prefstream.model.checkpoint.BaseModelStore;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 + 6: the learner, run as a child JVM, is killed hard ({@code destroyForcibly}, SIGKILL) five times at random
 * points of one stream and restarted; its final models and state must equal, bit for bit and count for count, those of
 * an uninterrupted run over the same batches.
 */
class HardKillExactlyOnceTest {
  private static final int PARTITIONS = 4;
  private static final int EVENTS_PER_USER = 400;
  private static final int BATCH_SIZE = 2;
  private static final int KILLS = 5;

  @Test
  void killedFiveTimesEndsBitIdenticalToAnUninterruptedRun(@TempDir Path dir) throws Exception {
    List<PreferenceEvent> events = LearnerTestSupport.firstPerUser(LearnerTestSupport.dspEvents(), EVENTS_PER_USER);
    List<TrainingBatch> batches = LearnerTestSupport.batches(events, BATCH_SIZE);
    Path baseDir = dir.resolve("base");
    try (TextEncoder enc = Encoders.open(LearnerTestSupport.HASHING)) {
      // A small base (the first 300 general pairs) keeps the test quick; both runs load the same one.
      PairFeaturizer f = new PairFeaturizer(enc);
      BaseModel base = BaseBootstrap.obtain(null, List.of(firstLines(LearnerTestSupport.generalData().get(1), 300,
          dir.resolve("general-300.events.jsonl"))), f, LearningConfig.defaults().trainer().marginScale(), 1L);
      BaseModelStore.save(base, baseDir);
    }

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      String bs = broker.bootstrapServers();
      Topics ref = new Topics("ref.");
      Topics killed = new Topics("kill.");
      for (Topics t : List.of(ref, killed)) {
        broker.createTopics(List.of(new NewTopic(t.batches(), PARTITIONS, (short) 1)));
        LearnerTestSupport.produce(bs, t.batches(), batches);
      }

      // The uninterrupted reference run, in this JVM.
      LearnerConfig refConfig = config(bs, dir.resolve("ref"), ref, baseDir);
      try (LearnerService learner = new LearnerService(refConfig, new SimpleMeterRegistry())) {
        learner.start();
        LearnerTestSupport.awaitConsumed(bs, refConfig.groupId(), ref.batches(), Duration.ofSeconds(180));
      }

      // The same stream, learned by a child JVM that is killed with SIGKILL at random points.
      Path props = dir.resolve("kill.properties");
      Files.writeString(props, String.join("\n",
          "topic.prefix=" + killed.prefix(),
          "instance.id=killed",
          "learner.encoder=" + LearnerTestSupport.HASHING,
          "learner.base.dir=" + baseDir,
          "learner.block.records=" + BLOCK,
          "learner.max.poll.records=" + MAX_POLL,
          "learner.transaction.timeout=10s", ""));
      LearnerConfig killConfig = LearnerConfig.from(io.prefstream.runtime.config.Settings.load(props, Map.of(),
          Map.of("bootstrap.servers", bs)));
      Random rnd = new Random(20261123L);
      int total = batches.size();
      int kills = 0;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
        for (int i = 1; i <= KILLS; i++) {
          Process child = startChild(bs, props, dir.resolve("child-" + i + ".log"));
          long target = (long) total * i / (KILLS + 2) + rnd.nextInt(Math.max(1, total / (4 * (KILLS + 2))));
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
          while (committed(admin, killConfig.groupId()) < target && child.isAlive()) {
            assertThat(System.nanoTime()).as("child %d to commit %d batch offsets", i, target).isLessThan(deadline);
            Thread.sleep(10);
          }
          assertThat(child.isAlive()).as("child %d died by itself; see child-%d.log", i, i).isTrue();
          Thread.sleep(rnd.nextInt(30)); // land anywhere, also inside a transaction
          child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
          kills++;
          assertThat(committed(admin, killConfig.groupId())).as("killed before the end").isLessThan(total);
        }
        Process last = startChild(bs, props, dir.resolve("child-final.log"));
        try {
          LearnerTestSupport.awaitConsumed(bs, killConfig.groupId(), killed.batches(), Duration.ofSeconds(180));
        } finally {
          last.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      }
      assertThat(kills).isEqualTo(KILLS);

      Map<Integer, Map<String, byte[]>> refModels = LearnerTestSupport.latest(bs, ref.models(), PARTITIONS);
      Map<Integer, Map<String, byte[]>> killModels = LearnerTestSupport.latest(bs, killed.models(), PARTITIONS);
      Map<Integer, Map<String, byte[]>> refState = LearnerTestSupport.latest(bs, refConfig.stateTopic(), PARTITIONS);
      Map<Integer, Map<String, byte[]>> killState = LearnerTestSupport.latest(bs, killConfig.stateTopic(), PARTITIONS);
      int keys = 0;
      for (int p = 0; p < PARTITIONS; p++) {
        assertThat(killModels.get(p).keySet()).isEqualTo(refModels.get(p).keySet());
        for (Map.Entry<String, byte[]> e : refModels.get(p).entrySet()) {
          if (e.getKey().equals("base")) {
            continue;
          }
          keys++;
          IndividualModel a = (IndividualModel) CheckpointCodec.decode(e.getValue());
          IndividualModel b = (IndividualModel) CheckpointCodec.decode(killModels.get(p).get(e.getKey()));
          assertThat(b.version()).as(e.getKey()).isEqualTo(a.version());
          assertThat(b.eventsApplied()).as(e.getKey()).isEqualTo(a.eventsApplied());
          assertThat(b.steps()).as(e.getKey()).isEqualTo(a.steps());
          assertThat(b.newestEventTimeMs()).as(e.getKey()).isEqualTo(a.newestEventTimeMs());
          assertThat(b.weights()).as(e.getKey()).containsExactly(a.weights());
        }
        assertThat(killState.get(p).keySet()).isEqualTo(refState.get(p).keySet());
        for (Map.Entry<String, byte[]> e : refState.get(p).entrySet()) {
          KeyState s = KeyStateCodec.decode(e.getValue());
          // No event lost or applied twice: every event of the key counted and scored exactly once.
          assertThat(s.eventsApplied()).as(e.getKey()).isEqualTo(EVENTS_PER_USER);
          assertThat(s.tally().scored()).as(e.getKey()).isEqualTo(EVENTS_PER_USER);
          assertThat(killState.get(p).get(e.getKey())).as("state of %s", e.getKey()).isEqualTo(e.getValue());
        }
      }
      assertThat(keys).isEqualTo(4);
    }
  }

  private static final int BLOCK = 8;
  private static final int MAX_POLL = 40;

  private static LearnerConfig config(String bs, Path data, Topics topics, Path baseDir) {
    return LearnerConfig.defaults(bs, data).withTopics(topics).withInstanceId("ref")
        .withEncoder(LearnerTestSupport.HASHING).withBase(baseDir, LearnerTestSupport.generalData())
        .withBlocks(BLOCK, MAX_POLL);
  }

  private static Path firstLines(Path from, int n, Path to) throws IOException {
    try (java.util.stream.Stream<String> lines = Files.lines(from)) {
      Files.write(to, lines.limit(n).toList());
    }
    return to;
  }

  private static long committed(Admin admin, String group) {
    try {
      Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> m =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      long sum = 0;
      for (OffsetAndMetadata o : m.values()) {
        if (o != null) {
          sum += o.offset();
        }
      }
      return sum;
    } catch (Exception e) {
      return 0;
    }
  }

  private static Process startChild(String bs, Path props, Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dprefstream.data.dir=" + LearnerTestSupport.dataDir());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.prefstream.learner.cli.LearnerCommand");
    cmd.add("--bootstrap-servers");
    cmd.add(bs);
    cmd.add("--config");
    cmd.add(props.toString());
    cmd.add("--metrics-port");
    cmd.add("0");
    cmd.add("--data-dir");
    cmd.add(props.getParent().resolve("child-data").toString());
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
