package io.prefstream.learner.kafka;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * Holds polled batch records per partition and releases them in fixed offset blocks ({@code [j·n, (j+1)·n)}), so that
 * how records are grouped into trainer calls depends only on the log, never on where a poll happened to end. That is
 * what makes a replay after a crash produce the same bits as an uninterrupted run. A block is released when the
 * consumer has read past its end, or when the consumer has caught up with the partition (nothing more to wait for).
 *
 * <p>Not thread-safe: owned by the processing thread.
 */
public final class BlockBuffer {
  private final int blockRecords;
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffers =
      new TreeMap<>(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));

  public BlockBuffer(int blockRecords) {
    if (blockRecords < 1) {
      throw new IllegalArgumentException("block size " + blockRecords + " must be >= 1");
    }
    this.blockRecords = blockRecords;
  }

  public void add(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      ArrayDeque<ConsumerRecord<byte[], byte[]>> q = buffers.computeIfAbsent(tp, t -> new ArrayDeque<>());
      q.addAll(records.records(tp));
    }
  }

  public void drop(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      buffers.remove(tp);
    }
  }

  public void clear() {
    buffers.clear();
  }

  public int buffered() {
    int n = 0;
    for (ArrayDeque<ConsumerRecord<byte[], byte[]>> q : buffers.values()) {
      n += q.size();
    }
    return n;
  }

  /**
   * Removes and returns the blocks that are ready, in partition and offset order.
   *
   * @param position the consumer's position in a partition (the next offset it will read)
   * @param caughtUp whether the consumer has read everything currently in a partition
   */
  public List<Block> takeReady(ToLongFunction<TopicPartition> position, Predicate<TopicPartition> caughtUp) {
    List<Block> out = new ArrayList<>();
    for (Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> e : buffers.entrySet()) {
      TopicPartition tp = e.getKey();
      ArrayDeque<ConsumerRecord<byte[], byte[]>> q = e.getValue();
      if (q.isEmpty()) {
        continue;
      }
      long pos = position.applyAsLong(tp);
      boolean upToDate = caughtUp.test(tp);
      while (!q.isEmpty()) {
        long first = q.peekFirst().offset();
        long blockEnd = (first / blockRecords + 1) * blockRecords;
        if (pos < blockEnd && !upToDate) {
          break;
        }
        List<ConsumerRecord<byte[], byte[]>> block = new ArrayList<>();
        while (!q.isEmpty() && q.peekFirst().offset() < blockEnd) {
          block.add(q.removeFirst());
        }
        // The offset to commit once this block is done: the next buffered record, or the position when none is.
        long next = q.isEmpty() ? pos : q.peekFirst().offset();
        out.add(new Block(tp, block, next));
      }
    }
    return out;
  }

  /** Records of one partition's offset block, and the offset to commit after processing them. */
  public record Block(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records, long nextOffset) {}
}
