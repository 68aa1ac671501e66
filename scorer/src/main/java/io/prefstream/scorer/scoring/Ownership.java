package io.prefstream.scorer.scoring;

import io.prefstream.protocol.topic.UserPartitioning;
import java.util.Set;

/**
 * Which users this instance serves: all of them (global view) or those whose partition it owns (partitioned view,
 * using the same user → partition function as every per-user topic).
 */
public final class Ownership {
  private final Set<Integer> partitions;
  private final int numPartitions;

  private Ownership(Set<Integer> partitions, int numPartitions) {
    this.partitions = partitions;
    this.numPartitions = numPartitions;
  }

  public static Ownership global() {
    return new Ownership(null, 0);
  }

  public static Ownership partitioned(Set<Integer> owned, int numPartitions) {
    for (int p : owned) {
      if (p < 0 || p >= numPartitions) {
        throw new IllegalArgumentException("owned partition " + p + " does not exist; the topic has "
            + numPartitions + " partitions (0.." + (numPartitions - 1) + ")");
      }
    }
    return new Ownership(Set.copyOf(owned), numPartitions);
  }

  public boolean isGlobal() {
    return partitions == null;
  }

  public boolean owns(String userId) {
    return partitions == null || partitions.contains(partitionOf(userId));
  }

  public int partitionOf(String userId) {
    return partitions == null ? -1 : UserPartitioning.partitionFor(userId, numPartitions);
  }

  public Set<Integer> partitions() {
    return partitions == null ? Set.of() : partitions;
  }

  public int numPartitions() {
    return numPartitions;
  }

  @Override
  public String toString() {
    return partitions == null ? "global" : "partitions " + partitions + " of " + numPartitions;
  }
}
