package io.prefstream.scorer.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.runtime.config.Settings;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import io.prefstream.scorer.ScorerConfig;
import io.prefstream.scorer.ScorerService;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream scorer}: runs the scorer service until stopped (SIGTERM/Ctrl-C). Flags override the config file,
 * which is overridden by {@code PREFSTREAM_*} environment variables only where no flag is given.
 */
@Command(name = "scorer", mixinStandardHelpOptions = true,
    description = "Serve reward scores from the newest models: Kafka (score-requests -> scores) and HTTP "
        + "(POST /v1/score, GET /v1/models/{userId}/{domain}, GET /health, GET /metrics).")
public final class ScorerCommand implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (config: bootstrap.servers)")
  String bootstrapServers;

  @Option(names = "--config", description = "a properties file with the settings (see scorer/README.md)")
  Path config;

  @Option(names = "--http-port", description = "HTTP port for /v1/*, /health and /metrics (default 8080; "
      + "config: scorer.http.port)")
  Integer httpPort;

  @Option(names = "--metrics-port", defaultValue = "9403",
      description = "an extra port serving only /metrics and /health; -1 = none (default ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(names = "--data-dir", description = "data folder (config: data.dir)")
  Path dataDir;

  public ScorerCommand() {}

  @Override
  public Integer call() throws Exception {
    Map<String, String> overrides = new HashMap<>();
    if (bootstrapServers != null) {
      overrides.put("bootstrap.servers", bootstrapServers);
    }
    if (httpPort != null) {
      overrides.put("scorer.http.port", String.valueOf(httpPort));
    }
    if (dataDir != null) {
      overrides.put("data.dir", dataDir.toString());
    }
    ScorerConfig scorerConfig = ScorerConfig.from(Settings.load(config, System.getenv(), overrides));
    PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    // The hook waits (bounded) for the service to close, or the JVM would halt halfway through.
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(scorerConfig.closeTimeout().toMillis() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "scorer-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (ScorerService service = new ScorerService(scorerConfig, registry)) {
      service.start();
      MetricsEndpoint metrics = metricsPort < 0 ? null
          : new MetricsEndpoint("0.0.0.0", metricsPort, registry, service::health);
      System.out.println("scorer: HTTP on port " + service.httpPort()
          + (metrics == null ? "" : ", metrics on port " + metrics.port()));
      try {
        stop.await();
      } finally {
        if (metrics != null) {
          metrics.close();
        }
      }
    } finally {
      stopped.countDown();
    }
    return 0;
  }
}
