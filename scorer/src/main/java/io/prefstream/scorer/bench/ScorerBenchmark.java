package io.prefstream.scorer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.broker.ScratchDirectory;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.protocol.json.Json;
import io.prefstream.protocol.score.ScoreRequest;
import io.prefstream.protocol.score.ScoreRequestParser;
import io.prefstream.protocol.topic.ModelKey;
import io.prefstream.protocol.topic.Topics;
import io.prefstream.protocol.topic.UserPartitioning;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import io.prefstream.scorer.registry.ModelRegistry;
import io.prefstream.scorer.scoring.Ownership;
import io.prefstream.scorer.scoring.Scorer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The scorer benchmark, on the real code path: a real broker (embedded unless one is given), the real service and
 * encoder, real HTTP. Measures (1) p50/p99 at a fixed request rate with candidate embeddings cached, (2) the same
 * during hot-swaps published to the models topic, (3) heap bytes per loaded (user, domain) model with many keys, and
 * (4) the uncached, encoder-bound scoring rate next to the raw encoder rate. Checkpoint weights are random (latency
 * and memory do not depend on their values).
 */
public final class ScorerBenchmark {
  private static final int ROUNDS = 4;
  private static final String[] DOMAINS = {"academy", "business", "entertainment", "literature", "normal"};

  /** @param bootstrapOrNull null starts an embedded broker in a temporary folder */
  public record Config(String encoderSpec, double ratePerSec, Duration phase, int candidates, int swaps,
      int loadedKeys, int users, int prompts, String bootstrapOrNull, Path dspRawOrNull, Duration uncachedPhase,
      int threads) {}

  private final Config config;
  private final PrintStream log;

  public ScorerBenchmark(Config config, PrintStream log) {
    this.config = config;
    this.log = log;
  }

  public ObjectNode run() throws Exception {
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("encoder", config.encoderSpec());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    // Other processes on the same cores inflate tail latency; the load average makes that visible.
    out.put("loadAverageAtStart", round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    try (ScratchDirectory scratch = ScratchDirectory.create("prefstream-bench-scorer")) {
      measure(out, scratch.path()); // the broker inside stops before its folder is removed
    }
    return out;
  }

  private void measure(ObjectNode out, Path tmp) throws Exception {
    EmbeddedKafkaBroker broker = null;
    try (TextEncoder raw = Encoders.open(config.encoderSpec())) {
      String bootstrap = config.bootstrapOrNull();
      if (bootstrap == null) {
        broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(tmp.resolve("kafka")));
        bootstrap = broker.bootstrapServers();
      }
      Topics topics = new Topics("bench-scorer-" + System.currentTimeMillis() + ".");
      createTopics(bootstrap, topics, broker);
      PairFeaturizer featurizer = new PairFeaturizer(raw);
      int dim = featurizer.dimension();
      out.put("featureDim", dim);
      BenchTexts texts = BenchTexts.load(config.dspRawOrNull(), config.prompts());
      out.put("texts", texts.source());

      latency(out, bootstrap, topics, featurizer.encoderId(), dim, texts, tmp);
      memory(out, featurizer.encoderId(), dim);
      uncached(out, raw, texts);
      out.put("loadAverageAtEnd", round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  private void latency(ObjectNode out, String bootstrap, Topics topics, String encoderId, int dim, BenchTexts texts,
      Path tmp) throws Exception {
    Random rnd = new Random(1);
    // Not idempotent (see ScoreRequestLoop); one request in flight keeps each key's versions in order.
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
        "acks", "all", "linger.ms", 5, "enable.idempotence", "false", "max.in.flight.requests.per.connection", 1),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      Publisher pub = new Publisher(producer, topics, rnd, encoderId, dim);
      pub.base(1);
      for (int u = 0; u < config.users(); u++) {
        pub.individual(user(u), domain(u), 1, 1);
      }
      producer.flush();
      ScorerConfig sc = ScorerConfig.defaults(bootstrap).withTopics(topics).withEncoder(config.encoderSpec())
          .withHttpPort(0).withKafkaRequests(false, "bench").withDataDir(tmp.resolve("scorer"));
      // Prometheus histograms are cumulative (a simple registry's are time-windowed), so windows can be diffed.
      io.micrometer.core.instrument.MeterRegistry meters = io.prefstream.runtime.metrics.MetricsEndpoint.newRegistry();
      ServerHistogram serverSide = new ServerHistogram(meters);
      try (ScorerService service = new ScorerService(sc, meters)) {
        service.start();
        if (!service.awaitCaughtUp(Duration.ofMinutes(2)) || !service.awaitBase(Duration.ofSeconds(10))) {
          throw new IllegalStateException("the scorer did not load the benchmark's models");
        }
        log.printf("scorer loaded base v%d and %d customized models%n", service.baseVersion(),
            service.modelsLoaded());
        List<byte[]> bodies = bodies(texts);
        HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4, r -> {
          Thread t = new Thread(r, "bench-http-client");
          t.setDaemon(true);
          return t;
        })).build();
        OpenLoopLoad load = new OpenLoopLoad(client, URI.create("http://localhost:" + service.httpPort()
            + "/v1/score"));
        long w0 = System.nanoTime();
        // Warm-up: every distinct request once, two at a time (fills the embedding cache at the encoder's own
        // pace), then a short run at the target rate for the JIT.
        URI scoreUri = URI.create("http://localhost:" + service.httpPort() + "/v1/score");
        long warmFailed = warmUp(client, scoreUri, bodies);
        load.run(config.ratePerSec(), config.phase().compareTo(Duration.ofSeconds(5)) < 0 ? config.phase()
            : Duration.ofSeconds(5), i -> bodies.get(i % bodies.size()));
        log.printf("warm-up: %d distinct requests (%d failed) and a run at the target rate in %.1f s; cache hit "
            + "rate now %.3f%n", bodies.size(), warmFailed, (System.nanoTime() - w0) / 1e9, service.cacheHitRate());

        out.put("loadAverageBeforeMeasuring",
            round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        // Steady and hot-swap windows alternate, so both see the same background load on a shared machine.
        int rounds = ROUNDS;
        Duration window = config.phase().dividedBy(rounds);
        Latencies steadyLat = new Latencies();
        Latencies swapLat = new Latencies();
        long steadySent = 0;
        long steadyFailed = 0;
        long swapSent = 0;
        long swapFailed = 0;
        double rateSum = 0;
        long swapsBefore = service.swaps();
        long[] versions = {1, 1}; // base, customized
        int published = 0;
        ExecutorService swapper = Executors.newSingleThreadExecutor();
        com.fasterxml.jackson.databind.node.ArrayNode steadyWindows = out.putArray("p99MsByWindow");
        com.fasterxml.jackson.databind.node.ArrayNode swapWindows = out.putArray("p99DuringSwapsMsByWindow");
        double serverSteady = 0;
        double serverSwaps = 0;
        long gcSteady = 0;
        long gcSwaps = 0;
        for (int round = 0; round < rounds; round++) {
          // Odd rounds run the swap window first, so neither kind always follows the other.
          for (int half = 0; half < 2; half++) {
            boolean swapWindow = (half == 1) == (round % 2 == 0);
            if (!swapWindow) {
              long gc0 = gcMillis();
              var h0 = serverSide.snapshot();
              OpenLoopLoad.Result steady = load.run(config.ratePerSec(), window, i -> bodies.get(i % bodies.size()));
              serverSteady = Math.max(serverSteady, ServerHistogram.percentileMs(h0, serverSide.snapshot(), 99));
              steadyLat.addAll(steady.latencies());
              steadyWindows.add(round(steady.latencies().percentileMs(99)));
              gcSteady += gcMillis() - gc0;
              steadySent += steady.sent();
              steadyFailed += steady.failed();
              rateSum += steady.achievedRate();
              continue;
            }
            int swapsNow = config.swaps() / rounds + (round < config.swaps() % rounds ? 1 : 0);
            int firstSwap = published;
            published += swapsNow;
            Future<?> pubs = swapper.submit(() -> {
              long every = window.toMillis() / (swapsNow + 1);
              for (int s = 0; s < swapsNow; s++) {
                Thread.sleep(every);
                if ((firstSwap + s) % 5 == 4) {
                  pub.base(++versions[0]); // a base swap rebuilds the serving state with every customized model
                } else {
                  int u = rnd.nextInt(Math.min(config.users(), bodies.size()));
                  pub.individual(user(u), domain(u), ++versions[1], versions[0]);
                }
                producer.flush();
              }
              return null;
            });
            long gc1 = gcMillis();
            var h1 = serverSide.snapshot();
            OpenLoopLoad.Result swapping = load.run(config.ratePerSec(), window, i -> bodies.get(i % bodies.size()));
            serverSwaps = Math.max(serverSwaps, ServerHistogram.percentileMs(h1, serverSide.snapshot(), 99));
            pubs.get(1, TimeUnit.MINUTES);
            swapLat.addAll(swapping.latencies());
            swapWindows.add(round(swapping.latencies().percentileMs(99)));
            gcSwaps += gcMillis() - gc1;
            swapSent += swapping.sent();
            swapFailed += swapping.failed();
          }
        }
        swapper.shutdown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (service.swaps() - swapsBefore < config.swaps() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        long swaps = service.swaps() - swapsBefore;
        log.printf("steady: %d requests at %.0f/s, p50 %.2f ms, p99 %.2f ms, %d failed%n", steadySent,
            rateSum / rounds, steadyLat.percentileMs(50), steadyLat.percentileMs(99), steadyFailed);
        log.printf("during %d swaps: %d requests, p50 %.2f ms, p99 %.2f ms, %d failed%n", swaps, swapSent,
            swapLat.percentileMs(50), swapLat.percentileMs(99), swapFailed);

        out.put("candidates", config.candidates());
        out.put("targetRatePerSec", config.ratePerSec());
        out.put("achievedRatePerSec", round(rateSum / rounds));
        out.put("requests", steadySent + swapSent);
        out.put("p50Ms", round(steadyLat.percentileMs(50)));
        out.put("p99Ms", round(steadyLat.percentileMs(99)));
        out.put("p50DuringSwapsMs", round(swapLat.percentileMs(50)));
        out.put("p99DuringSwapsMs", round(swapLat.percentileMs(99)));
        out.put("p99SwapRatio", round(swapLat.percentileMs(99) / steadyLat.percentileMs(99)));
        out.put("swapsApplied", swaps);
        out.put("failedRequests", steadyFailed + swapFailed);
        // Server side only (handler start to reply written), the worst window's p99 bucket edge.
        out.put("serverP99MsUpperBound", round(serverSteady));
        out.put("serverP99DuringSwapsMsUpperBound", round(serverSwaps));
        out.put("gcMsSteady", gcSteady);
        out.put("gcMsDuringSwaps", gcSwaps);
        out.put("cacheHitRate", round(service.cacheHitRate()));
        out.put("customizedModelsServing", service.modelsLoaded());
      }
    }
  }

  private static long warmUp(HttpClient client, URI uri, List<byte[]> bodies) throws Exception {
    AtomicLong failed = new AtomicLong();
    AtomicLong next = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      fs.add(pool.submit(() -> {
        for (long i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
          try {
            java.net.http.HttpResponse<byte[]> r = client.send(java.net.http.HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bodies.get((int) i))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
              failed.incrementAndGet();
            }
          } catch (Exception e) {
            failed.incrementAndGet();
          }
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    return failed.get();
  }

  private void memory(ObjectNode out, String encoderId, int dim) throws InterruptedException {
    Random rnd = new Random(2);
    ModelRegistry registry = new ModelRegistry(encoderId, dim);
    registry.apply(ModelKey.BASE.bytes(), CheckpointCodec.encode(randomBase(rnd, 1, encoderId, dim)));
    long before = usedHeapAfterGc();
    for (int k = 0; k < config.loadedKeys(); k++) {
      // The same path the follower takes: encoded checkpoint bytes in, decoded and held by the registry.
      registry.apply(ModelKey.of(user(k), domain(k)).bytes(),
          CheckpointCodec.encode(randomIndividual(rnd, user(k), domain(k), 1, 1, dim)));
    }
    long after = usedHeapAfterGc();
    int loaded = registry.modelsLoaded();
    long perModel = (after - before) / Math.max(1, loaded);
    log.printf("memory: %d customized models (D=%d) hold %.1f MiB of heap: %d bytes each%n", loaded, dim,
        (after - before) / 1048576.0, perModel);
    out.put("loadedKeys", loaded);
    out.put("bytesPerLoadedModel", perModel);
    java.lang.ref.Reference.reachabilityFence(registry);
  }

  private void uncached(ObjectNode out, TextEncoder raw, BenchTexts texts) throws Exception {
    Random rnd = new Random(3);
    PairFeaturizer featurizer = new PairFeaturizer(raw);
    int dim = featurizer.dimension();
    ModelRegistry registry = new ModelRegistry(featurizer.encoderId(), dim);
    registry.apply(ModelKey.BASE.bytes(), CheckpointCodec.encode(randomBase(rnd, 1, featurizer.encoderId(), dim)));
    // The scorer's own code on the raw encoder (no cache): every request encodes its candidates.
    Scorer scorer = new Scorer(registry, featurizer, Ownership.global(), 64);
    AtomicLong counter = new AtomicLong();
    double requestsPerSec = closedLoop(() -> {
      int i = (int) (counter.getAndIncrement() % texts.prompts().size());
      scorer.score(new ScoreRequest("u", "bench", "normal", texts.prompts().get(i),
          texts.responses().get(i).subList(0, config.candidates())));
    });
    AtomicLong t = new AtomicLong();
    double textsPerSec = closedLoop(() -> {
      int i = (int) (t.getAndIncrement() % texts.prompts().size());
      raw.encode(texts.responses().get(i).get((int) (t.get() % 5)));
    });
    log.printf("uncached: %.1f requests/s (%d candidates: %.1f texts/s) vs raw encoder %.1f texts/s%n",
        requestsPerSec, config.candidates(), requestsPerSec * (config.candidates() + 1), textsPerSec);
    out.put("uncachedRequestsPerSec", round(requestsPerSec));
    out.put("uncachedTextsPerSec", round(requestsPerSec * (config.candidates() + 1)));
    out.put("rawEncoderTextsPerSec", round(textsPerSec));
  }

  /** Runs {@code op} on {@code threads} threads for the uncached phase; returns completed operations per second. */
  private double closedLoop(Runnable op) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(config.threads());
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + config.uncachedPhase().toNanos();
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < config.threads(); i++) {
      fs.add(pool.submit(() -> {
        while (System.nanoTime() < end) {
          op.run();
          done.incrementAndGet();
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    return done.get() / ((System.nanoTime() - t0) / 1e9);
  }

  private List<byte[]> bodies(BenchTexts texts) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < texts.prompts().size(); i++) {
      List<String> rs = texts.responses().get(i);
      List<String> cands = new ArrayList<>();
      for (int c = 0; c < config.candidates(); c++) {
        cands.add(rs.get((i + c) % rs.size()));
      }
      int u = i % config.users();
      out.add(ScoreRequestParser.encode(new ScoreRequest("b" + i, user(u), domain(u), texts.prompts().get(i),
          cands)));
    }
    return out;
  }

  private static String user(int u) {
    return "bench-user-" + u;
  }

  private static String domain(int u) {
    return DOMAINS[u % DOMAINS.length];
  }

  private static void createTopics(String bootstrap, Topics topics, EmbeddedKafkaBroker broker) {
    List<NewTopic> list = topics.all().stream().map(n -> new NewTopic(n, 4, (short) 1)).toList();
    if (broker != null) {
      broker.createTopics(list);
      return;
    }
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(list).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the benchmark's topics on " + bootstrap + ": " + e, e);
    }
  }

  static BaseModel randomBase(Random rnd, long version, String encoderId, int dim) {
    Map<String, float[]> generic = new java.util.TreeMap<>();
    for (String d : DOMAINS) {
      generic.put(d, gaussian(rnd, dim, 0.1f));
    }
    return new BaseModel(version, encoderId, dim, gaussian(rnd, dim, 1f), generic, 0, System.currentTimeMillis());
  }

  static IndividualModel randomIndividual(Random rnd, String user, String domain, long version, long baseVersion,
      int dim) {
    return new IndividualModel(user, domain, version, baseVersion, gaussian(rnd, dim, 0.05f), version, version,
        System.currentTimeMillis(), System.currentTimeMillis());
  }

  private static float[] gaussian(Random rnd, int dim, float scale) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }

  /** Total collection time so far, all collectors (pause and concurrent alike; an upper bound on pauses). */
  private static long gcMillis() {
    long ms = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  /** Publishes checkpoints as the learner does: the base on every partition, a user's model on its partition. */
  private record Publisher(KafkaProducer<byte[], byte[]> producer, Topics topics, Random rnd, String encoderId,
      int dim) {
    void base(long version) {
      byte[] value = CheckpointCodec.encode(randomBase(rnd, version, encoderId, dim));
      int n = producer.partitionsFor(topics.models()).size();
      for (int p = 0; p < n; p++) {
        producer.send(new ProducerRecord<>(topics.models(), p, ModelKey.BASE.bytes(), value));
      }
    }

    void individual(String user, String domain, long version, long baseVersion) {
      int n = producer.partitionsFor(topics.models()).size();
      producer.send(new ProducerRecord<>(topics.models(), UserPartitioning.partitionFor(user, n),
          ModelKey.of(user, domain).bytes(),
          CheckpointCodec.encode(randomIndividual(rnd, user, domain, version, baseVersion, dim))));
    }
  }
}
