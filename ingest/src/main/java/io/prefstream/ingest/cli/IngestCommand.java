package io.prefstream.ingest.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.runtime.config.Settings;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream ingest}: runs the ingest service as its own process until SIGTERM / Ctrl-C, serving
 * {@code /metrics} and {@code /health}. Exit code 0 after a requested stop, 1 when the stream threads failed.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Validate, deduplicate and window preference events into training batches (Kafka Streams, "
        + "exactly-once). Settings: --config file, then PREFSTREAM_* environment variables, then these flags.")
public final class IngestCommand implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (key bootstrap.servers).")
  String bootstrapServers;

  @Option(names = "--config", paramLabel = "FILE", description = "Properties file with settings (see ingest/README.md).")
  Path configFile;

  @Option(names = "--metrics-port", defaultValue = "9401",
      description = "Port of the Prometheus /metrics and /health endpoint; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--metrics-host", defaultValue = "0.0.0.0", description = "Interface of the metrics endpoint (default: ${DEFAULT-VALUE}).")
  String metricsHost;

  @Option(names = "--data-dir", description = "Folder for Kafka Streams state (key data.dir; default ./data).")
  Path dataDir;

  public IngestCommand() {}

  /** The merged settings: file, then environment, then the flags that were given. */
  Settings settings(Map<String, String> env) {
    Map<String, String> flags = new HashMap<>();
    if (bootstrapServers != null) {
      flags.put("bootstrap.servers", bootstrapServers);
    }
    if (dataDir != null) {
      flags.put("data.dir", dataDir.toString());
    }
    return Settings.load(configFile, env, flags);
  }

  @Override
  public Integer call() throws Exception {
    IngestConfig config = IngestConfig.from(settings(System.getenv()));
    PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
    IngestService service = new IngestService(config, registry);
    MetricsEndpoint endpoint = new MetricsEndpoint(metricsHost, metricsPort, registry, service::health);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      service.close();
      endpoint.close();
      stopped.countDown();
    }, "ingest-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      service.start();
      System.out.println("ingest running: " + config.topics().events() + " -> " + config.topics().batches()
          + " (dead letters to " + config.topics().eventsDlq() + "), metrics on http://" + metricsHost + ":"
          + endpoint.port() + "/metrics");
      while (!stopped.await(1, TimeUnit.SECONDS)) {
        if (service.failed()) {
          System.err.println("ingest stopped after an error: " + service.health().detail());
          return 1;
        }
      }
      return 0;
    } finally {
      if (stopped.getCount() > 0) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is already running and closes everything
        }
        service.close();
        endpoint.close();
      }
    }
  }
}
