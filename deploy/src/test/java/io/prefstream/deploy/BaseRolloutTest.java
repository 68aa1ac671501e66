package io.prefstream.deploy;

import static io.prefstream.deploy.faults.FaultTestSupport.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.cli.PrefstreamCommand;
import io.prefstream.deploy.faults.FaultTestSupport;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.learner.refit.BaseRefitJob;
import io.prefstream.local.LocalTopics;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.train.GenericRefit;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow-cadence step on a running deployment: after users of a domain have been learned, {@code refit-base}
 * publishes a base version whose generic part holds what they share; the learner and the scorer switch to it without a
 * restart, no existing user's scores move, an unknown user starts from the new generic model, and a key trained again
 * is moved onto the new version.
 */
class BaseRolloutTest {
  private static final String DOMAIN = "literature";
  private static final int USERS = 12;
  private static final int EVENTS_PER_USER = 16;
  private static final int HELD_OUT = 120;
  private static final Duration WAIT = Duration.ofSeconds(120);

  @Test
  void aRefittedBaseRollsOutWithoutMovingExistingUsers(@TempDir Path dir) throws Exception {
    List<PreferenceEvent> pool = FaultTestSupport.dspEvents().get(DOMAIN);
    List<TrainingBatch> batches = new ArrayList<>();
    for (int u = 0; u < USERS; u++) {
      List<PreferenceEvent> own = rekey(pool.subList(u * EVENTS_PER_USER, (u + 1) * EVENTS_PER_USER), "reader-" + u);
      batches.add(batch(own.subList(0, 8)));
      batches.add(batch(own.subList(8, 16)));
    }
    List<PreferenceEvent> heldOut = pool.subList(USERS * EVENTS_PER_USER + 16, USERS * EVENTS_PER_USER + 16 + HELD_OUT);
    Path baseDir = FaultTestSupport.smallBase(dir);

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dir.resolve("kafka")))) {
      String bs = broker.bootstrapServers();
      Topics topics = new Topics("rollout.");
      broker.createTopics(LocalTopics.all(topics, 2));
      LearnerConfig learnerConfig = LearnerConfig.defaults(bs, dir.resolve("learner")).withTopics(topics)
          .withEncoder(FaultTestSupport.HASHING).withBase(baseDir, List.of());
      ScorerConfig scorerConfig = ScorerConfig.defaults(bs).withTopics(topics).withEncoder(FaultTestSupport.HASHING)
          .withHttpPort(-1).withKafkaRequests(false, "rollout-scorer").withDataDir(dir.resolve("scorer"));
      SimpleMeterRegistry learnerMeters = new SimpleMeterRegistry();
      try (LearnerService learner = new LearnerService(learnerConfig, learnerMeters);
          ScorerService scorer = new ScorerService(scorerConfig, new SimpleMeterRegistry())) {
        Path properties = dir.resolve("refit.properties");
        Files.writeString(properties, "topic.prefix=" + topics.prefix() + "\n");
        Cli tooEarly = Cli.run("refit-base", "--bootstrap-servers", bs, "--config", properties.toString());
        assertThat(tooEarly.exit()).as("no base on a fresh topic yet").isEqualTo(1);
        assertThat(tooEarly.err()).contains("no base model on 'rollout.models'");
        Cli badOption = Cli.run("refit-base", "--bootstrap-servers", bs, "--min-users", "0");
        assertThat(badOption.exit()).isEqualTo(2);
        assertThat(badOption.err()).contains("--min-users must be at least 1, got 0");
        learner.start();
        scorer.start();
        FaultTestSupport.produceBatches(bs, topics.batches(), batches);
        awaitTrue(WAIT, () -> learner.eventsLearned() == USERS * EVENTS_PER_USER, "the learner learns every event");
        Map<String, Long> newest = newestVersions(bs, topics);
        assertThat(newest).hasSize(USERS);
        awaitTrue(WAIT, () -> newest.entrySet().stream().allMatch(e -> served(scorer, e.getKey()).model()
            .customVersion().equals(e.getValue())), "the scorer serves every user's newest checkpoint");
        assertThat(learner.baseVersion()).isEqualTo(1);

        Map<String, List<Double>> before = new HashMap<>();
        newest.keySet().forEach(u -> before.put(u, served(scorer, u).rewards()));
        double genericBefore = accuracy(scorer, "newcomer", heldOut);

        BaseRefitJob job = new BaseRefitJob(learnerConfig, new GenericRefit.Config(10, 8, 4),
            BaseRefitJob.DEFAULT_MAX_RECORD_BYTES, Duration.ofSeconds(60));
        // the command line, as the CronJob runs it, in dry-run mode: the report, nothing published
        Cli dryRun = Cli.run("refit-base", "--bootstrap-servers", bs, "--config", properties.toString(), "--dry-run",
            "--json");
        assertThat(dryRun.exit()).as(dryRun.err()).isZero();
        JsonNode dry = new ObjectMapper().readTree(dryRun.out().trim());
        assertThat(dry.path("previousVersion").asLong()).isEqualTo(1);
        assertThat(dry.path("version").asLong()).isEqualTo(2);
        assertThat(dry.path("changed").asBoolean()).isTrue();
        assertThat(dry.path("published").asBoolean()).isFalse();
        assertThat(dry.path("models").asInt()).isEqualTo(USERS);
        assertThat(dry.path("domains").get(0).path("domain").asText()).isEqualTo(DOMAIN);
        assertThat(scorer.baseVersion()).as("a dry run publishes nothing").isEqualTo(1);
        BaseRefitJob.Report report;
        try (BaseRefitJob.Prepared overtaken = job.prepare(true)) {
          // a second run started meanwhile takes the transactional id: the first can no longer publish
          report = job.run(true);
          assertThatThrownBy(overtaken::publish).isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("another refit-base run");
        }
        assertThat(report.published()).isTrue();
        assertThat(report.previousVersion()).isEqualTo(1);
        assertThat(report.models()).isEqualTo(USERS);
        assertThat(report.base().version()).isEqualTo(2);
        assertThat(report.base().ancestors()).extracting(BaseModel::version).containsExactly(1L);
        assertThat(report.refit().domains()).singleElement().satisfies(d -> {
          assertThat(d.domain()).isEqualTo(DOMAIN);
          assertThat(d.users()).isEqualTo(USERS);
          assertThat(d.refitted()).isTrue();
        });
        BaseModel onTopic = (BaseModel) CheckpointCodec.decode(
            FaultTestSupport.latest(bs, topics.models()).get(ModelKey.BASE.encode()));
        assertThat(onTopic.version()).isEqualTo(2);
        // the job counted each user's current checkpoint (the topic still holds the older ones too)
        List<IndividualModel> current = new ArrayList<>();
        BaseModel v1 = onTopic.lineage(1);
        FaultTestSupport.latest(bs, topics.models()).forEach((k, v) -> {
          if (!k.equals(ModelKey.BASE.encode())) {
            current.add((IndividualModel) CheckpointCodec.decode(v));
          }
        });
        float[] expected = GenericRefit.refit(v1, current, new GenericRefit.Config(10, 8, 4), 0L).base().generic(DOMAIN);
        float[] published = onTopic.generic(DOMAIN);
        for (int i = 0; i < expected.length; i++) {
          assertThat(published[i]).as("generic weight %d", i).isCloseTo(expected[i], within(1e-6f));
        }

        awaitTrue(WAIT, () -> scorer.baseVersion() == 2 && learner.baseVersion() == 2,
            "the scorer and the learner switch to base v2");
        for (String u : newest.keySet()) {
          ScoreReply reply = served(scorer, u);
          assertThat(reply.rewards()).as("scores of %s after the refit", u).isEqualTo(before.get(u));
          assertThat(reply.model().baseVersion()).as("%s still scores on the version it was trained on", u)
              .isEqualTo(1);
        }
        double genericAfter = accuracy(scorer, "newcomer", heldOut);
        System.out.printf("generic model on %d held-out %s pairs: %.3f before the refit, %.3f after%n", HELD_OUT,
            DOMAIN, genericBefore, genericAfter);
        assertThat(genericAfter).as("an unknown user starts from the users' common taste")
            .isGreaterThan(genericBefore + 0.05);
        assertThat(served(scorer, "newcomer").model().baseVersion()).isEqualTo(2);

        // the next batch of reader-0 moves its model onto v2
        String user = "reader-0";
        long versionBefore = newest.get(user);
        FaultTestSupport.produceBatches(bs, topics.batches(),
            List.of(batch(rekey(pool.subList(USERS * EVENTS_PER_USER, USERS * EVENTS_PER_USER + 8), user))));
        awaitTrue(WAIT, () -> learner.eventsLearned() == USERS * EVENTS_PER_USER + 8, "the learner learns the batch");
        IndividualModel moved = (IndividualModel) CheckpointCodec.decode(
            FaultTestSupport.latest(bs, topics.models()).get(ModelKey.of(user, DOMAIN).encode()));
        assertThat(moved.version()).isGreaterThan(versionBefore);
        assertThat(moved.baseVersion()).isEqualTo(2);
        assertThat(learnerMeters.get("prefstream.learner.keys.rebased").counter().count()).isEqualTo(1.0);
        assertThat(learnerMeters.get("prefstream.learner.base.switches").counter().count()).isEqualTo(1.0);
        awaitTrue(WAIT, () -> Long.valueOf(moved.version()).equals(served(scorer, user).model().customVersion()),
            "the scorer serves " + user + "'s checkpoint on v2");
        assertThat(served(scorer, user).model().baseVersion()).isEqualTo(2);
        assertThat(scorer.checkpointsRefused()).isZero();

        // a restarted learner finds v2 on the topic and still moves a key restored from its v1 state exactly
        learner.close();
        String second = "reader-1";
        SimpleMeterRegistry restartedMeters = new SimpleMeterRegistry();
        try (LearnerService restarted = new LearnerService(learnerConfig, restartedMeters)) {
          restarted.start();
          assertThat(restarted.baseVersion()).isEqualTo(2);
          FaultTestSupport.produceBatches(bs, topics.batches(), List.of(batch(rekey(
              pool.subList(USERS * EVENTS_PER_USER + 8, USERS * EVENTS_PER_USER + 16), second))));
          awaitTrue(WAIT, () -> restarted.eventsLearned() == 8, "the restarted learner learns the batch");
          assertThat(restartedMeters.get("prefstream.learner.keys.rebased").counter().count()).isEqualTo(1.0);
          IndividualModel movedAfterRestart = (IndividualModel) CheckpointCodec.decode(
              FaultTestSupport.latest(bs, topics.models()).get(ModelKey.of(second, DOMAIN).encode()));
          assertThat(movedAfterRestart.baseVersion()).isEqualTo(2);
          assertThat(restarted.keyStats(second, DOMAIN).orElseThrow().eventsApplied()).isEqualTo(EVENTS_PER_USER + 8);
        }
      }
    }
  }

  /** One run of the command line with its exit code and captured output. */
  private record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream stdout = System.out;
      PrintStream stderr = System.err;
      try {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit = new CommandLine(new PrefstreamCommand()).execute(args);
        return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
      } finally {
        System.setOut(stdout);
        System.setErr(stderr);
      }
    }
  }

  /** Two candidates scored for {@code user}: any texts show whether a model's rewards moved. */
  private static ScoreReply served(ScorerService scorer, String user) {
    return scorer.score(new ScoreRequest("probe-" + user, user, DOMAIN, "Describe the sea at night.",
        List.of("The sea at night is a dark mirror where moonlight writes silver verses on the waves.",
            "At night the sea is dark. You can see the moon. It is quiet.")));
  }

  /** Share of pairs whose chosen response the scorer ranks first for {@code user}. */
  private static double accuracy(ScorerService scorer, String user, List<PreferenceEvent> pairs) {
    int right = 0;
    for (PreferenceEvent e : pairs) {
      ScoreReply reply = scorer.score(new ScoreRequest("acc-" + e.eventId(), user, DOMAIN, e.prompt(),
          List.of(e.chosen(), e.rejected())));
      assertThat(reply.error()).isNull();
      if (reply.rewards().get(0) > reply.rewards().get(1)) {
        right++;
      }
    }
    return (double) right / pairs.size();
  }

  private static Map<String, Long> newestVersions(String bs, Topics topics) {
    Map<String, Long> out = new HashMap<>();
    FaultTestSupport.latest(bs, topics.models()).forEach((k, v) -> {
      if (!k.equals(ModelKey.BASE.encode())) {
        IndividualModel m = (IndividualModel) CheckpointCodec.decode(v);
        out.put(m.userId(), m.version());
      }
    });
    return out;
  }

  private static List<PreferenceEvent> rekey(List<PreferenceEvent> events, String user) {
    List<PreferenceEvent> out = new ArrayList<>();
    for (PreferenceEvent e : events) {
      out.add(PreferenceEvent.of(user + "-" + e.eventId(), user, DOMAIN, e.prompt(), e.chosen(), e.rejected(),
          e.strength(), 1_700_000_000_000L + out.size()));
    }
    return out;
  }

  private static TrainingBatch batch(List<PreferenceEvent> events) {
    String user = events.get(0).userId();
    return new TrainingBatch(user + "/" + events.get(0).eventId(), user, DOMAIN, events.get(0).timestampMs(),
        events.get(events.size() - 1).timestampMs() + 1, true, events);
  }
}
