package io.prefstream.local.soak;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer lag of every consumer group on a cluster, as an operator's tooling computes it: the last stable offset
 * (read-committed end, so open transactions do not count) minus the group's committed offset, summed per group.
 */
public final class ConsumerLagProbe implements AutoCloseable {
  private static final long TIMEOUT_MS = 10_000;
  private final Admin admin;

  public ConsumerLagProbe(Map<String, Object> clientConfig) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "prefstream-lag-probe");
    c.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
    c.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
    this.admin = Admin.create(c);
  }

  /** Records behind, per consumer group (groups with no committed offsets yet are left out). */
  public Map<String, Long> lagByGroup() throws InterruptedException {
    try {
      Map<String, Long> lag = new TreeMap<>();
      for (ConsumerGroupListing group : admin.listConsumerGroups().all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group.groupId())
            .partitionsToOffsetAndMetadata().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        committed.forEach((tp, om) -> {
          if (om != null) {
            ask.put(tp, OffsetSpec.latest());
          }
        });
        if (ask.isEmpty()) {
          continue;
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin
            .listOffsets(ask, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
            .all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        long behind = 0;
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
          behind += Math.max(0, e.getValue().offset() - committed.get(e.getKey()).offset());
        }
        lag.put(group.groupId(), behind);
      }
      return lag;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read consumer lag from the cluster: " + e, e);
    }
  }

  @Override
  public void close() {
    admin.close(java.time.Duration.ofSeconds(5));
  }
}
