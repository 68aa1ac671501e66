package io.prefstream.ingest.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.UserRateLimit;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Pushes N valid events through ingest on an embedded broker and, on the same broker in the same run, N identical
 * records straight from a producer to a consumer. Both rates are end to end: from the first send until the last
 * record (for ingest: the last event inside a committed batch) has been read back.
 */
public final class IngestBenchmark {
  private static final byte[] EVENT_ID_KEY = "\"eventId\":".getBytes(StandardCharsets.US_ASCII);
  private static final String[] DOMAINS = {"support", "legal", "medical", "coding"};

  /** What the reference application of {@code --floor} does with each event (see {@link FloorTopology}). */
  public enum FloorWork { NONE, PARSE, DURABLE }

  /**
   * @param events how many events to push
   * @param users how many distinct users they are spread over (round robin)
   * @param textChars characters in each of prompt, chosen and rejected; sets the record size
   * @param floor null to run ingest; else run {@link FloorTopology} doing that much of ingest's work, with ingest's
   *     Kafka Streams settings, to measure what an exactly-once Streams application doing it can reach here
   * @param streamsOverrides Kafka Streams and client settings put over ingest's ({@code --set key=value})
   * @param warmup events pushed through each path (other ids) before the timed run, so that both are timed with
   *     compiled code rather than partly interpreted; 0 times them cold
   */
  public record Options(int events, int users, int partitions, int textChars, int streamThreads, Duration window,
      int earlyEmit, Duration commitInterval, long seed, FloorWork floor, Map<String, String> streamsOverrides,
      int warmup) {
    public Options {
      if (events < 1 || users < 1 || partitions < 1 || textChars < 1 || streamThreads < 1) {
        throw new IllegalArgumentException("events, users, partitions, text size and threads must be positive, got "
            + events + ", " + users + ", " + partitions + ", " + textChars + ", " + streamThreads);
      }
    }
  }

  /** Measured numbers; rates in records (events) per second. */
  public record Result(int events, double avgRecordBytes, int partitions, int users, double rawRecordsPerSec,
      double rawSeconds, double ingestEventsPerSec, double ingestSeconds, long batches, double ratio, String mode,
      int warmupEvents) {

    public String toJson() {
      return String.format(java.util.Locale.ROOT,
          "{\"events\":%d,\"avgRecordBytes\":%.1f,\"partitions\":%d,\"users\":%d,\"rawRecordsPerSec\":%.1f,"
              + "\"rawSeconds\":%.3f,\"ingestEventsPerSec\":%.1f,\"ingestSeconds\":%.3f,\"batches\":%d,\"ratio\":%.3f,"
              + "\"mode\":\"%s\",\"warmupEvents\":%d}",
          events, avgRecordBytes, partitions, users, rawRecordsPerSec, rawSeconds, ingestEventsPerSec, ingestSeconds,
          batches, ratio, mode, warmupEvents);
    }
  }

  private IngestBenchmark() {}

  public static Result run(Options o, Path workDir) throws InterruptedException {
    List<byte[][]> records = generate(o);
    List<byte[][]> warm = o.warmup() > 0 ? generate(o, o.warmup(), "w-", o.seed() + 1) : List.of();
    double avgBytes = records.stream().mapToInt(r -> r[1].length).average().orElse(0);
    BrokerConfig brokerConfig = BrokerConfig.defaults(workDir.resolve("kafka"));
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(brokerConfig)) {
      String bootstrap = broker.bootstrapServers();
      broker.createTopics(List.of(new NewTopic("bench.raw", o.partitions(), (short) 1)));
      if (!warm.isEmpty()) {
        pushAndDrain(bootstrap, "bench.raw", "bench.raw", o.partitions(), warm, r -> 1);
      }
      double rawSeconds = pushAndDrain(bootstrap, "bench.raw", "bench.raw", o.partitions(), records, r -> 1);

      IngestConfig config = IngestConfig.defaults(bootstrap, workDir.resolve("data"))
          .withTopics(new Topics("bench."))
          .withPartitions(o.partitions())
          .withStreamThreads(o.streamThreads())
          .withWindow(o.window())
          .withEarlyEmit(o.earlyEmit())
          .withCommitInterval(o.commitInterval())
          .withClientConfig(new java.util.HashMap<>(o.streamsOverrides() == null ? Map.of() : o.streamsOverrides()))
          // the rate-limit step stays in the topology (its cost is measured) but never rejects a benchmark event
          .withUserRateLimit(new UserRateLimit(UserRateLimit.DEFAULT.perSecond(),
              Math.max(UserRateLimit.DEFAULT.burst(), (o.events() + o.warmup() + o.users() - 1) / o.users()),
              UserRateLimit.DEFAULT.maxTrackedUsers()));
      AtomicLong batches = new AtomicLong();
      double ingestSeconds;
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      if (o.floor() != null) {
        ingestSeconds = runFloor(config, o.floor(), bootstrap, warm, records, batches, registry);
      } else {
        try (IngestService ingest = new IngestService(config, registry)) {
          ingest.start();
          if (!ingest.awaitRunning(Duration.ofSeconds(120))) {
            throw new IllegalStateException("ingest did not start: " + ingest.health().detail());
          }
          if (!warm.isEmpty()) {
            pushAndDrain(bootstrap, config.topics().events(), config.topics().batches(), o.partitions(), warm,
                value -> value == null ? 0 : count(value, EVENT_ID_KEY));
          }
          ingestSeconds = pushAndDrain(bootstrap, config.topics().events(), config.topics().batches(),
              o.partitions(), records, value -> {
                batches.incrementAndGet();
                return value == null ? 0 : count(value, EVENT_ID_KEY);
              });
          printStreamThreadRatios(registry);
        }
      }
      double raw = o.events() / rawSeconds;
      double ing = o.events() / ingestSeconds;
      return new Result(o.events(), avgBytes, o.partitions(), o.users(), raw, rawSeconds, ing, ingestSeconds,
          batches.get(), ing / raw, o.floor() == null ? "ingest" : "floor-" + o.floor().name().toLowerCase(java.util.Locale.ROOT), warm.size());
    }
  }

  /** {@link FloorTopology} with ingest's Kafka Streams settings, timed like ingest. */
  private static double runFloor(IngestConfig config, FloorWork work, String bootstrap, List<byte[][]> warm, List<byte[][]> records,
      AtomicLong outputs, SimpleMeterRegistry registry) throws InterruptedException {
    io.prefstream.ingest.admin.TopicProvisioner.ensureTopics(config);
    java.util.Properties props = IngestService.streamsProperties(config,
        new io.prefstream.ingest.metrics.IngestMetrics(registry));
    try (org.apache.kafka.streams.KafkaStreams streams = new org.apache.kafka.streams.KafkaStreams(
        FloorTopology.build(config.topics().events(), config.topics().batches(), work), props)) {
      io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics m =
          new io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics(streams);
      m.bindTo(registry);
      streams.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (streams.state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("floor topology did not start: " + streams.state());
        }
        Thread.sleep(50);
      }
      if (!warm.isEmpty()) {
        pushAndDrain(bootstrap, config.topics().events(), config.topics().batches(), config.partitions(), warm,
            FloorTopology::items);
      }
      double seconds = pushAndDrain(bootstrap, config.topics().events(), config.topics().batches(),
          config.partitions(), records, value -> {
            outputs.incrementAndGet();
            return FloorTopology.items(value);
          });
      printStreamThreadRatios(registry);
      m.close();
      return seconds;
    }
  }

  private static void printStreamThreadRatios(SimpleMeterRegistry registry) {
    if (verbose()) {
      registry.getMeters().stream()
          .filter(m -> m.getId().getName().matches("kafka\\.stream\\.thread\\..*(ratio|latency\\.avg|records\\.avg)"))
          .forEach(m -> m.measure().forEach(ms -> System.err.println(m.getId().getName() + " "
              + m.getId().getTag("thread.id") + " = " + ms.getValue())));
    }
  }

  /**
   * Sends every record to {@code in} while a consumer reads {@code out} (committed records only) until the counted
   * items reach the number of records sent.
   *
   * @return seconds from the first send until the last item was read
   */
  private static double pushAndDrain(String bootstrap, String in, String out, int partitions, List<byte[][]> records,
      ToIntFunction<byte[]> itemsPerRecord) throws InterruptedException {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "enable.auto.commit", false, "max.poll.records", 5000,
        "fetch.max.bytes", 64 * 1024 * 1024), new ByteArrayDeserializer(), new ByteArrayDeserializer());
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
             "acks", "all", "enable.idempotence", true, "linger.ms", 5, "batch.size", 256 * 1024,
             "compression.type", "lz4"), new ByteArraySerializer(), new ByteArraySerializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        parts.add(new TopicPartition(out, p));
      }
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      parts.forEach(consumer::position); // resolve the end offsets before the clock starts
      long[] received = new long[1];
      Throwable[] failure = new Throwable[1];
      Thread reader = new Thread(() -> {
        try {
          long start = System.nanoTime();
          long nextReport = start + 500_000_000L;
          StringBuilder timeline = new StringBuilder();
          while (received[0] < records.size() && !Thread.currentThread().isInterrupted()) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
              received[0] += itemsPerRecord.applyAsInt(r.value());
            }
            if (verbose() && System.nanoTime() >= nextReport) {
              timeline.append(String.format(java.util.Locale.ROOT, " %.1fs:%d", (nextReport - start) / 1e9,
                  received[0]));
              nextReport += 500_000_000L;
            }
          }
          if (verbose()) {
            System.err.println("read back from " + out + " (time since first send: items):" + timeline);
          }
        } catch (RuntimeException e) {
          failure[0] = e;
        }
      }, "bench-reader");
        ThreadCpu cpu0 = ThreadCpu.snapshot();
      long t0 = System.nanoTime();
      reader.start();
      for (byte[][] r : records) {
        producer.send(new ProducerRecord<>(in, r[0], r[1]));
      }
      producer.flush();
      reader.join(Duration.ofMinutes(10).toMillis());
      long t1 = System.nanoTime();
      if (verbose()) {
        ThreadCpu.snapshot().printSince(cpu0, in, (t1 - t0) / 1e9, System.err);
      }
      if (reader.isAlive()) {
        reader.interrupt();
        reader.join();
        throw new IllegalStateException("read back only " + received[0] + " of " + records.size() + " from " + out
            + " within 10 minutes");
      }
      if (failure[0] != null) {
        throw new IllegalStateException("reading " + out + " failed", failure[0]);
      }
      if (received[0] != records.size()) {
        throw new IllegalStateException("read back " + received[0] + " items from " + out + ", expected "
            + records.size());
      }
      return (t1 - t0) / 1e9;
    }
  }

  /** {@code -Dprefstream.bench.verbose=true} prints where the CPU went and Kafka Streams' thread ratios. */
  private static boolean verbose() {
    return Boolean.getBoolean("prefstream.bench.verbose");
  }

  /** Events in a batch record: each event object holds one {@code "eventId":} key and the generated text no quote. */
  static int count(byte[] haystack, byte[] needle) {
    int n = 0;
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      n++;
      i += needle.length - 1;
    }
    return n;
  }

  static List<byte[][]> generate(Options o) {
    return generate(o, o.events(), "b-", o.seed());
  }

  private static List<byte[][]> generate(Options o, int events, String idPrefix, long seed) {
    Random random = new Random(seed);
    List<byte[][]> out = new ArrayList<>(events);
    long baseTime = System.currentTimeMillis();
    for (int i = 0; i < events; i++) {
      int u = i % o.users();
      String user = "bench-user-" + u;
      PreferenceEvent e = PreferenceEvent.of(idPrefix + i, user, DOMAINS[u % DOMAINS.length], text(random, o.textChars()),
          text(random, o.textChars()), text(random, o.textChars()), 1.0, baseTime + i);
      out.add(new byte[][] {user.getBytes(StandardCharsets.UTF_8), EventParser.toJson(e)});
    }
    return out;
  }

  private static String text(Random random, int chars) {
    StringBuilder sb = new StringBuilder(chars);
    while (sb.length() < chars) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      int len = 2 + random.nextInt(8);
      for (int k = 0; k < len && sb.length() < chars; k++) {
        sb.append((char) ('a' + random.nextInt(26)));
      }
    }
    return sb.toString();
  }
}
