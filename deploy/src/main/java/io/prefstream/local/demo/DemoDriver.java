package io.prefstream.local.demo;

import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.producer.PreferenceEventProducer;
import io.prefstream.protocol.score.ScoreReply;
import io.prefstream.protocol.score.ScoreRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's traffic: simulated users publish preference events through the real producer path, a scoring client
 * asks the scorer to rank the five responses of held-back queries, and a probe measures freshness. Three daemon
 * threads; {@link #close()} stops them.
 */
public final class DemoDriver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoDriver.class);
  /** A user id the learner never sees: the scorer answers it with the generic model. */
  static final String GENERIC_PROBE_USER = "demo-generic-probe";

  private final DemoConfig config;
  private final DspQueries queries;
  private final SimulatedUsers users;
  private final PreferenceEventProducer producer;
  private final ScorerHttpClient scorer;
  private final TopAnswerStats stats;
  private final FreshnessProbe freshness;
  private final AtomicLong eventsSent = new AtomicLong();
  private final AtomicLong sendErrors = new AtomicLong();
  private final AtomicLong scoreErrors = new AtomicLong();
  private final LatencyWindow scoreLatencies = new LatencyWindow(100_000);
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  public DemoDriver(DemoConfig config, PreferenceEventProducer producer, ScorerHttpClient scorer) {
    this.config = config;
    this.queries = DspQueries.load(config.rawQueries());
    this.users = new SimulatedUsers(config.users(), config.domains(), queries, config.seed(),
        "demo-" + Long.toHexString(System.currentTimeMillis()));
    this.producer = producer;
    this.scorer = scorer;
    this.stats = new TopAnswerStats(config.windowMs());
    this.freshness = new FreshnessProbe(scorer, 16, config.windowMs());
  }

  public void start() {
    threads.add(daemon("demo-events", this::produceLoop));
    threads.add(daemon("demo-scoring", this::scoreLoop));
    threads.add(daemon("demo-freshness", this::freshnessLoop));
    threads.forEach(Thread::start);
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  private void produceLoop() {
    long intervalNanos = (long) (1e9 / config.eventsPerSecond());
    long next = System.nanoTime();
    while (running) {
      long now = System.currentTimeMillis();
      PreferenceEvent e = users.nextEvent(now);
      try {
        producer.send(e).whenComplete((md, err) -> {
          if (err != null) {
            sendErrors.incrementAndGet();
          }
        });
        eventsSent.incrementAndGet();
        freshness.track(e.userId(), e.domain(), e.timestampMs(), now);
      } catch (IllegalArgumentException invalid) {
        log.debug("skipping a demo event the protocol refuses: {}", invalid.getMessage());
      } catch (RuntimeException sendFailure) {
        sendErrors.incrementAndGet();
      }
      next += intervalNanos;
      long sleep = next - System.nanoTime();
      if (sleep > 0) {
        sleepNanos(sleep);
      } else if (sleep < -1_000_000_000L) {
        next = System.nanoTime(); // fell behind by over a second: do not burst to catch up
      }
    }
  }

  private void scoreLoop() {
    Random random = new Random(config.seed() + 1);
    long intervalNanos = (long) (1e9 / config.scoresPerSecond());
    long requestNo = 0;
    while (running) {
      long t0 = System.nanoTime();
      String user = users.users().get(random.nextInt(users.users().size()));
      String domain = users.domains().get(random.nextInt(users.domains().size()));
      String style = users.taste(user, domain);
      DspQueries.Query q = queries.heldBack().get(random.nextInt(queries.heldBack().size()));
      List<String> order = new ArrayList<>(q.responses().keySet());
      Collections.shuffle(order, random);
      List<String> candidates = order.stream().map(q.responses()::get).toList();
      try {
        long sentAt = System.nanoTime();
        ScoreReply mine = scorer.score(new ScoreRequest("demo-" + (requestNo++), user, domain, q.prompt(), candidates));
        scoreLatencies.record(System.nanoTime() - sentAt);
        ScoreReply generic = scorer.score(
            new ScoreRequest("demo-" + (requestNo++), GENERIC_PROBE_USER, domain, q.prompt(), candidates));
        if (mine.error() == null && generic.error() == null) {
          boolean mineRight = order.get(mine.ranking().get(0)).equals(style);
          boolean genericRight = order.get(generic.ranking().get(0)).equals(style);
          stats.record(style, mineRight, genericRight, System.currentTimeMillis());
        } else {
          scoreErrors.incrementAndGet();
        }
      } catch (java.io.IOException e) {
        scoreErrors.incrementAndGet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long sleep = intervalNanos - (System.nanoTime() - t0);
      if (sleep > 0) {
        sleepNanos(sleep);
      }
    }
  }

  private void freshnessLoop() {
    while (running) {
      try {
        freshness.poll();
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void sleepNanos(long nanos) {
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  public long eventsSent() {
    return eventsSent.get();
  }

  public long sendErrors() {
    return sendErrors.get();
  }

  public long scoreErrors() {
    return scoreErrors.get();
  }

  public Map<String, Double> topAccuracyByStyle() {
    return stats.byStyle(System.currentTimeMillis());
  }

  public double genericTopAccuracy() {
    return stats.generic(System.currentTimeMillis());
  }

  public long scoredSamples() {
    return stats.samples(System.currentTimeMillis());
  }

  /** The customized scoring requests' round-trip times over HTTP (the generic probes are not recorded). */
  public LatencyWindow scoreLatencies() {
    return scoreLatencies;
  }

  public FreshnessProbe freshness() {
    return freshness;
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : threads) {
      t.interrupt();
    }
    for (Thread t : threads) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
