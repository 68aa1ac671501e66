package io.prefstream.runtime.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether the Kafka cluster answers, within a few seconds of it going away or coming back: every
 * {@code interval} it asks for the cluster's nodes ({@code describeCluster}) with a short timeout. Consumers never
 * fail while the broker is away (they just get nothing), so without this probe a service cut off from Kafka would
 * look exactly like one on a quiet topic; each service reports DEGRADED from it. Runs on its own daemon thread; {@link #close()} stops it.
 */
public final class BrokerWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BrokerWatch.class);

  private final Admin admin;
  private final Duration interval;
  private final Duration timeout;
  private final Thread thread;
  private final long createdMs = System.currentTimeMillis();
  private volatile boolean running = true;
  private volatile boolean connected;
  private volatile long lastContactMs = -1;
  /** When the current state began: the last change between connected and not, or creation. */
  private volatile long sinceMs = createdMs;
  private volatile String lastError = "no answer yet";
  private boolean started;

  /**
   * @param service who watches (names the client and the thread: scorer, learner, ingest)
   * @param kafka client settings (bootstrap servers, security)
   * @param interval time between probes
   * @param timeout how long one probe may wait for the cluster before it counts as unreachable
   */
  public BrokerWatch(String service, Map<String, Object> kafka, Duration interval, Duration timeout) {
    if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("probe interval " + interval + " and timeout " + timeout
          + " must both be positive");
    }
    this.interval = interval;
    this.timeout = timeout;
    Map<String, Object> props = new HashMap<>(kafka);
    int timeoutMs = (int) Math.max(1, timeout.toMillis());
    props.put("request.timeout.ms", timeoutMs);
    props.put("default.api.timeout.ms", timeoutMs);
    // reconnect quickly once the broker is back, so the state flips back to connected within about one interval
    props.put("reconnect.backoff.max.ms", (int) Math.min(1_000, Math.max(50, interval.toMillis())));
    props.putIfAbsent("client.id", "prefstream-" + service + "-broker-watch-" + System.identityHashCode(this));
    this.admin = Admin.create(props);
    this.thread = new Thread(this::run, service + "-broker-watch");
    thread.setDaemon(true);
  }

  public synchronized void start() {
    if (!started) {
      started = true;
      thread.start();
    }
  }

  private void run() {
    while (running) {
      probe();
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One probe; also callable directly (tests). */
  public void probe() {
    boolean ok;
    String error = null;
    try {
      ok = !admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
          .nodes().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS).isEmpty();
      if (!ok) {
        error = "the cluster reported no nodes";
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      ok = false;
      error = (e.getCause() != null ? e.getCause() : e).toString();
    }
    long now = System.currentTimeMillis();
    boolean firstContact = ok && lastContactMs < 0;
    if (ok) {
      lastContactMs = now;
    } else {
      lastError = error;
    }
    if (ok != connected) {
      connected = ok;
      sinceMs = now;
      if (ok) {
        log.info(firstContact ? "Kafka reachable" : "Kafka reachable again");
      } else {
        log.warn("Kafka unreachable: {}", error);
      }
    }
  }

  /** Whether the last probe got an answer from the cluster (false before the first answer). */
  public boolean connected() {
    return connected;
  }

  /** When the current state (connected or not) began, epoch millis. */
  public long sinceMs() {
    return sinceMs;
  }

  /** When the cluster last answered, epoch millis, or -1 if never. */
  public long lastContactMs() {
    return lastContactMs;
  }

  /**
   * "Kafka unreachable since T (N s; error)" for a health detail, counted from the last answer when there was one: the
   * probe that failed notices only a few seconds after the cluster went away.
   */
  public String outage() {
    long since = lastContactMs > 0 ? lastContactMs : sinceMs;
    return "Kafka unreachable since " + java.time.Instant.ofEpochMilli(since) + " ("
        + (System.currentTimeMillis() - since) / 1000 + " s; " + lastError + ")";
  }

  /** Why the last failed probe failed. */
  public String lastError() {
    return lastError;
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    thread.interrupt();
    try {
      thread.join(timeout.toMillis() + 2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    admin.close(Duration.ofSeconds(1));
  }
}
