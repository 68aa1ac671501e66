package io.prefstream.learner.bench;

import io.prefstream.learner.LearningConfig;
import io.prefstream.learner.state.KeyState;
import io.prefstream.learner.state.KeyStateCodec;
import io.prefstream.learner.train.BatchLearner;
import io.prefstream.learner.train.EnrichmentPool;
import io.prefstream.learner.train.GeneralPair;
import io.prefstream.model.encoder.CachingEncoder;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.ModelKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Measures the learner's apply rate with embeddings cached: the DSP events spread over many simulated users, cut into
 * batches, learned block by block exactly as the service does (progressive scoring, hold-back, enrichment, batched
 * trainer call, gate, checkpoint and state encoding), minus Kafka I/O. Reports it next to the rate of the trainer
 * calls alone on the same shapes, so the learner's own overhead is visible. After one untimed warm-up pass over all
 * batches, {@link #TIMED_PASSES} passes are timed from fresh key states and the median pass is reported.
 */
public final class LearnerBenchmark {

  /** What to run. */
  public record Options(Path dspEvents, List<Path> generalData, String encoder, int usersPerStyle, int batchSize,
      int blockBatches, LearningConfig learning) {}

  /** Measured numbers. */
  public record Result(long events, int keys, int trainCalls, double seconds, double eventsPerSec,
      double rawStepEventsPerSec, double embedSecondsCached, long stateRecords, double stateRecordMeanBytes,
      double stateRecordEncodeMicros, String device, String encoder) {

    public String toJson() {
      return String.format(java.util.Locale.ROOT,
          "{\"eventsPerSec\":%.1f,\"rawStepEventsPerSec\":%.1f,\"events\":%d,\"keys\":%d,\"trainCalls\":%d,"
              + "\"seconds\":%.3f,\"embedSecondsCached\":%.3f,\"stateRecords\":%d,\"stateRecordMeanBytes\":%.0f,"
              + "\"stateRecordEncodeMicros\":%.2f,\"device\":\"%s\",\"encoder\":\"%s\"}",
          eventsPerSec, rawStepEventsPerSec, events, keys, trainCalls, seconds, embedSecondsCached, stateRecords,
          stateRecordMeanBytes, stateRecordEncodeMicros, device, encoder);
    }
  }

  /** Timed passes over the whole stream; the median one is reported. */
  public static final int TIMED_PASSES = 5;

  private LearnerBenchmark() {}

  public static Result run(Options o) {
    List<TrainingBatch> batches = batches(o.dspEvents(), o.usersPerStyle(), o.batchSize());
    try (TextEncoder enc = new CachingEncoder(Encoders.open(o.encoder()), 1_000_000);
        BatchedIndividualTrainer trainer = new BatchedIndividualTrainer(o.learning().trainer())) {
      PairFeaturizer f = new PairFeaturizer(enc);
      // Fill the cache: the benchmark measures learning with embeddings cached.
      for (TrainingBatch b : batches) {
        for (PreferenceEvent e : b.events()) {
          enc.encodeAll(List.of(e.prompt(), e.chosen(), e.rejected()));
        }
      }
      float marginScale = o.learning().trainer().marginScale();
      EnrichmentPool pool = EnrichmentPool.of(GeneralPair.read(o.generalData(), o.learning().enrichmentPoolSize()), f,
          marginScale);
      Random rnd = new Random(1);
      float[] w = new float[f.dimension()];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) rnd.nextGaussian() * 0.05f;
      }
      BaseModel base = new BaseModel(1, f.encoderId(), f.dimension(), w, Map.of(), 0, 0);
      BatchLearner learner = new BatchLearner(base, f, trainer, pool, o.learning());
      // One full untimed pass warms up the JIT and the engine on every shape the timed passes see; then
      // TIMED_PASSES passes from fresh key states, and the median pass (by learner rate) is reported,
      // because a single ~1 s pass on a shared box is mostly scheduling noise.
      once(learner, batches, o);
      List<Result> passes = new ArrayList<>();
      for (int i = 0; i < TIMED_PASSES; i++) {
        passes.add(once(learner, batches, o));
      }
      passes.sort(java.util.Comparator.comparingDouble(Result::eventsPerSec));
      Result r = passes.get(passes.size() / 2);
      return new Result(r.events(), r.keys(), r.trainCalls(), r.seconds(), r.eventsPerSec(),
          r.rawStepEventsPerSec(), r.embedSecondsCached(), r.stateRecords(), r.stateRecordMeanBytes(),
          r.stateRecordEncodeMicros(), trainer.device(), enc.id());
    }
  }

  private static Result once(BatchLearner learner, List<TrainingBatch> batches, Options o) {
    Map<ModelKey, KeyState> states = new HashMap<>();
    int dim = learner.featureDim();
    int window = o.learning().progressiveWindow();
    long events = 0;
    long trainNanos = 0;
    long embedNanos = 0;
    int calls = 0;
    long bytes = 0;
    long records = 0;
    long encodeNanos = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < batches.size(); i += o.blockBatches()) {
      BatchLearner.Outcome out = learner.learn(batches.subList(i, Math.min(batches.size(), i + o.blockBatches())),
          k -> states.computeIfAbsent(k, kk -> KeyState.fresh(kk.userId(), kk.domain(), dim, window)), 0L);
      // What the service sends per block: the touched keys' state records (checkpoints are encoded by learn()).
      long e0 = System.nanoTime();
      for (KeyState s : out.touched.values()) {
        bytes += KeyStateCodec.encode(s).length;
        records++;
      }
      encodeNanos += System.nanoTime() - e0;
      events += out.events();
      trainNanos += out.trainNanos;
      embedNanos += out.embedNanos;
      calls += out.trainCalls;
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(events, states.size(), calls, seconds, events / seconds, events / (trainNanos / 1e9),
        embedNanos / 1e9, records, records == 0 ? 0 : (double) bytes / records,
        records == 0 ? 0 : encodeNanos / 1e3 / records, "", "");
  }

  /** DSP events; the k-th event of style S goes to user {@code bench-S-(k mod usersPerStyle)} in domain S. */
  static List<TrainingBatch> batches(Path dspEvents, int usersPerStyle, int batchSize) {
    Map<String, List<PreferenceEvent>> byUser = new LinkedHashMap<>();
    Map<String, Integer> perStyle = new HashMap<>();
    try {
      long t = 1_700_000_000_000L;
      for (String line : Files.readAllLines(dspEvents, StandardCharsets.UTF_8)) {
        ParseResult r = EventParser.parse(line.getBytes(StandardCharsets.UTF_8), t++);
        if (!(r instanceof ParseResult.Valid v)) {
          continue;
        }
        PreferenceEvent e = v.event();
        int k = perStyle.merge(e.domain(), 1, Integer::sum);
        String user = "bench-" + e.domain() + "-" + (k % usersPerStyle);
        byUser.computeIfAbsent(user, u -> new ArrayList<>()).add(new PreferenceEvent(e.eventId() + "-" + k, user,
            e.domain(), e.prompt(), e.chosen(), e.rejected(), e.strength(), e.timestampMs(), null, Map.of()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dspEvents, e);
    }
    List<List<TrainingBatch>> perUser = new ArrayList<>();
    for (List<PreferenceEvent> list : byUser.values()) {
      List<TrainingBatch> bs = new ArrayList<>();
      for (int i = 0; i < list.size(); i += batchSize) {
        List<PreferenceEvent> part = list.subList(i, Math.min(list.size(), i + batchSize));
        PreferenceEvent first = part.get(0);
        bs.add(new TrainingBatch(first.userId() + "/" + first.domain() + "/" + i, first.userId(), first.domain(),
            first.timestampMs(), first.timestampMs() + 1, true, part));
      }
      perUser.add(bs);
    }
    List<TrainingBatch> out = new ArrayList<>();
    for (int i = 0; ; i++) {
      boolean any = false;
      for (List<TrainingBatch> bs : perUser) {
        if (i < bs.size()) {
          out.add(bs.get(i));
          any = true;
        }
      }
      if (!any) {
        return out;
      }
    }
  }
}
