package io.prefstream.protocol.topic;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Every per-user record (events, batches, checkpoints, scoring requests) goes to the partition of its userId, computed
 * as Kafka's default partitioner does for a key equal to the userId's UTF-8 bytes. With equal partition counts, the
 * learner and scorer instance that owns partition p of one topic owns every record of the same users in the others.
 */
public final class UserPartitioning {
  private UserPartitioning() {}

  public static int partitionFor(String userId, int numPartitions) {
    if (numPartitions < 1) {
      throw new IllegalArgumentException("numPartitions " + numPartitions + " must be at least 1");
    }
    return Utils.toPositive(Utils.murmur2(userId.getBytes(StandardCharsets.UTF_8))) % numPartitions;
  }
}
