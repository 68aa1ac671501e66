package io.prefstream.learner.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Makes sure the learner's topics exist and line up: {@code batches}, {@code models} and {@code learner-state} must
 * have the same partition count, because a learner that owns batches partition p finds its keys' checkpoints and
 * state in partition p of the other two (user-aligned partitioning).
 */
public final class TopicSetup {
  private TopicSetup() {}

  /**
   * Creates missing topics ({@code models} and {@code learner-state} compacted) with the batches topic's partition
   * count, or {@code defaultPartitions} when batches does not exist either, and returns that count.
   *
   * @throws IllegalStateException when existing topics disagree on the partition count
   */
  public static int ensure(Map<String, Object> adminProps, String batches, String batchesDlq, String models,
      String state, int defaultPartitions) {
    try (Admin admin = Admin.create(adminProps)) {
      Map<String, TopicDescription> existing = describe(admin, List.of(batches, models, state, batchesDlq));
      int partitions = existing.containsKey(batches) ? existing.get(batches).partitions().size() : defaultPartitions;
      List<NewTopic> create = new ArrayList<>();
      Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
      if (!existing.containsKey(batches)) {
        create.add(new NewTopic(batches, Optional.of(partitions), Optional.empty()));
      }
      if (!existing.containsKey(models)) {
        create.add(new NewTopic(models, Optional.of(partitions), Optional.empty()).configs(compacted));
      }
      if (!existing.containsKey(state)) {
        create.add(new NewTopic(state, Optional.of(partitions), Optional.empty()).configs(compacted));
      }
      if (!existing.containsKey(batchesDlq)) {
        create.add(new NewTopic(batchesDlq, Optional.of(1), Optional.empty()));
      }
      for (NewTopic t : create) {
        try {
          admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
      Map<String, TopicDescription> now = describe(admin, List.of(batches, models, state));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (now.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(100); // a topic created a moment ago may not be listed yet
        now = describe(admin, List.of(batches, models, state));
      }
      if (now.size() < 3) {
        throw new IllegalStateException("topics " + batches + ", " + models + ", " + state
            + " are not all visible 30 s after creating them; found " + now.keySet());
      }
      for (String t : List.of(models, state)) {
        int n = now.get(t).partitions().size();
        if (n != partitions) {
          throw new IllegalStateException("topic " + t + " has " + n + " partitions but " + batches + " has "
              + partitions + "; they must be equal (user-aligned partitioning), recreate " + t + " with "
              + partitions + " partitions");
        }
      }
      return partitions;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out checking topics at " + adminProps.get("bootstrap.servers"), e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot check topics: " + e.getCause().getMessage(), e);
    }
  }

  private static Map<String, TopicDescription> describe(Admin admin, List<String> names)
      throws InterruptedException, ExecutionException, TimeoutException {
    Set<String> all = admin.listTopics().names().get(30, TimeUnit.SECONDS);
    List<String> present = names.stream().filter(all::contains).toList();
    if (present.isEmpty()) {
      return Map.of();
    }
    return admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS);
  }
}
