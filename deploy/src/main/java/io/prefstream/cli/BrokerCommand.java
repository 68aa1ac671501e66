package io.prefstream.cli;

import io.prefstream.broker.BrokerConfig;
import io.prefstream.broker.EmbeddedKafkaBroker;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the single-node KRaft broker on its own, for trying the services against a real Kafka by hand. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run a single-node Kafka broker (KRaft) with its data in a local folder, until Ctrl-C.")
public final class BrokerCommand implements Runnable {
  @Option(names = "--data-dir", defaultValue = "data/kafka", description = "Broker data folder (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--port", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}).")
  int port;

  @Override
  public void run() {
    CountDownLatch stopped = new CountDownLatch(1);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.defaults(dataDir).withPort(port))) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        broker.close();
        stopped.countDown();
      }, "broker-shutdown"));
      System.out.println("Kafka broker listening on " + broker.bootstrapServers() + " (data in " + dataDir + ")");
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
