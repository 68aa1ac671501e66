package io.prefstream.learner.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.LearnerService;
import io.prefstream.runtime.config.Settings;
import io.prefstream.runtime.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream learner}: runs the learner service until stopped, with /metrics and /health. */
@Command(name = "learner", mixinStandardHelpOptions = true,
    description = "Consume training batches, fine-tune customized reward models, publish checkpoints to 'models'.")
public class LearnerCommand implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (config key bootstrap.servers)")
  String bootstrapServers;

  @Option(names = "--config", description = "properties file (see learner/README.md for keys)")
  Path config;

  @Option(names = "--metrics-port", defaultValue = "9402", description = "port of /metrics and /health (0 = any)")
  int metricsPort;

  @Option(names = "--data-dir", description = "local working folder (config key data.dir)")
  Path dataDir;

  @Option(names = "--base-dir", description = "a train-base --out folder to bootstrap the base from")
  Path baseDir;

  public LearnerCommand() {}

  @Override
  public Integer call() throws Exception {
    Map<String, String> overrides = new HashMap<>();
    overrides.put("bootstrap.servers", bootstrapServers);
    overrides.put("data.dir", dataDir == null ? null : dataDir.toString());
    overrides.put("learner.base.dir", baseDir == null ? null : baseDir.toString());
    LearnerConfig cfg = LearnerConfig.from(Settings.load(config, System.getenv(), overrides));
    PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
    LearnerService service = new LearnerService(cfg, registry);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "learner-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    service.start();
    try (MetricsEndpoint endpoint = new MetricsEndpoint("0.0.0.0", metricsPort, registry, service::health)) {
      System.out.println("learner " + cfg.instanceId() + " running on " + service.device() + "; metrics on :"
          + endpoint.port());
      while (!stopped.await(1, TimeUnit.SECONDS)) {
        if (!service.running()) {
          System.err.println("learner stopped: " + service.health().detail());
          return 1;
        }
      }
    }
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new LearnerCommand()).execute(args));
  }
}
