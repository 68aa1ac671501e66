package io.prefstream.protocol.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.protocol.event.PreferenceEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingBatchCodecTest {
  private static PreferenceEvent event(String id, String user, long ts) {
    return PreferenceEvent.of(id, user, "support", "prompt " + id, "good " + id, "bad " + id, 0.5, ts);
  }

  @Test
  void roundTripsEventsInOrder() {
    TrainingBatch batch = new TrainingBatch("u/support/1000/0", "u", "support", 1000, 2000, true,
        List.of(event("b", "u", 7), event("a", "u", 9), event("c", "u", 8)));
    TrainingBatch back = TrainingBatchCodec.decode(TrainingBatchCodec.encode(batch));
    assertThat(back).isEqualTo(batch);
    assertThat(back.events()).extracting(PreferenceEvent::eventId).containsExactly("b", "a", "c");
    assertThat(back.newestEventTimeMs()).isEqualTo(9);
  }

  @Test
  void refusesMalformedBatchesWithAReason() {
    assertThatThrownBy(() -> TrainingBatchCodec.decode("{".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBatchException.class).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> TrainingBatchCodec.decode("{\"formatVersion\":9}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedBatchException.class).hasMessageContaining("formatVersion");
    TrainingBatch mixed = new TrainingBatch("x", "u", "support", 0, 1, false,
        List.of(event("a", "u", 1), event("b", "someone-else", 2)));
    assertThatThrownBy(() -> TrainingBatchCodec.decode(TrainingBatchCodec.encode(mixed)))
        .isInstanceOf(MalformedBatchException.class).hasMessageContaining("someone-else");
  }
}
