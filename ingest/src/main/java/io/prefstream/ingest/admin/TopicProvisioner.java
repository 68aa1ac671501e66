package io.prefstream.ingest.admin;

import io.prefstream.ingest.IngestConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics ingest reads and writes when they are missing ({@code events}, {@code events.dlq},
 * {@code batches}); existing topics are left as they are. {@code events} and {@code batches} get the same partition
 * count, because the learner and the scorer rely on a user's records sitting in the same partition number of each.
 */
public final class TopicProvisioner {
  /**
   * Events up to 2 MiB reach ingest, so that a record over the protocol's 1 MiB limit lands in the dead-letter topic
   * with a reason instead of being refused at the producer with a bare broker error.
   */
  static final String EVENT_MESSAGE_BYTES = String.valueOf(2 * 1024 * 1024);
  /** Dead letters keep the original record and add headers. */
  static final String DLQ_MESSAGE_BYTES = String.valueOf(4 * 1024 * 1024);
  private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

  private TopicProvisioner() {}

  /** Newly created topics take a moment to reach every broker's metadata; retry until they do. */
  private static Map<String, TopicDescription> describe(Admin client, List<String> names)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return client.describeTopics(names).allTopicNames().get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * @return the partition count of each ingest topic after provisioning
   * @throws IllegalStateException when the cluster cannot be reached or refuses to create a topic
   */
  public static Map<String, Integer> ensureTopics(IngestConfig config) {
    Map<String, Object> admin = new HashMap<>(config.clientConfig());
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    admin.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    Optional<Short> rf = config.replicationFactor() < 0 ? Optional.empty() : Optional.of(config.replicationFactor());
    List<NewTopic> wanted = List.of(
        new NewTopic(config.topics().events(), Optional.of(config.partitions()), rf)
            .configs(Map.of("max.message.bytes", EVENT_MESSAGE_BYTES)),
        new NewTopic(config.topics().batches(), Optional.of(config.partitions()), rf)
            .configs(Map.of("max.message.bytes", EVENT_MESSAGE_BYTES)),
        new NewTopic(config.topics().eventsDlq(), Optional.of(config.dlqPartitions()), rf)
            .configs(Map.of("max.message.bytes", DLQ_MESSAGE_BYTES)));
    try (Admin client = Admin.create(admin)) {
      Set<String> existing = client.listTopics().names().get(60, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (NewTopic t : wanted) {
        if (!existing.contains(t.name())) {
          missing.add(t);
        }
      }
      for (NewTopic t : missing) {
        try {
          client.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
          log.info("created topic {} with {} partitions", t.name(), t.numPartitions());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + t.name() + " on " + config.bootstrapServers()
                + ": " + e.getCause().getMessage(), e.getCause());
          }
        }
      }
      Map<String, TopicDescription> described = describe(client, wanted.stream().map(NewTopic::name).toList());
      Map<String, Integer> counts = new HashMap<>();
      described.forEach((name, d) -> counts.put(name, d.partitions().size()));
      int events = counts.get(config.topics().events());
      int batches = counts.get(config.topics().batches());
      if (events != batches) {
        log.warn("{} has {} partitions but {} has {}: a user's batches will not sit in the same partition number "
                + "as their events; give both the same count", config.topics().events(), events,
            config.topics().batches(), batches);
      }
      return Map.copyOf(counts);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot provision topics on " + config.bootstrapServers() + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out provisioning topics on " + config.bootstrapServers(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning topics", e);
    }
  }
}
