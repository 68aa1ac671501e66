package io.prefstream.learner.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class BlockBufferTest {
  private final TopicPartition tp = new TopicPartition("b", 0);

  @Test
  void blocksDependOnOffsetsNotOnPollBoundaries() {
    BlockBuffer buf = new BlockBuffer(4);
    buf.add(records(0, 6)); // offsets 0..5 polled, position 6
    List<BlockBuffer.Block> ready = buf.takeReady(t -> 6, t -> false);
    assertThat(ready).hasSize(1);
    assertThat(offsets(ready.get(0))).containsExactly(0L, 1L, 2L, 3L);
    assertThat(ready.get(0).nextOffset()).isEqualTo(4);
    buf.add(records(6, 3)); // 6..8, position 9: block [4, 8) is complete, [8, 12) is not
    ready = buf.takeReady(t -> 9, t -> false);
    assertThat(ready).hasSize(1);
    assertThat(offsets(ready.get(0))).containsExactly(4L, 5L, 6L, 7L);
    assertThat(ready.get(0).nextOffset()).isEqualTo(8);
    assertThat(buf.buffered()).isEqualTo(1);
    // Caught up with the partition: the partial block goes too, and the position is committed.
    ready = buf.takeReady(t -> 9, t -> true);
    assertThat(offsets(ready.get(0))).containsExactly(8L);
    assertThat(ready.get(0).nextOffset()).isEqualTo(9);
  }

  private ConsumerRecords<byte[], byte[]> records(long from, int n) {
    List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>();
    for (long o = from; o < from + n; o++) {
      list.add(new ConsumerRecord<>("b", 0, o, new byte[0], new byte[0]));
    }
    return new ConsumerRecords<>(Map.of(tp, list), Map.of());
  }

  private static List<Long> offsets(BlockBuffer.Block b) {
    return b.records().stream().map(ConsumerRecord::offset).toList();
  }
}
