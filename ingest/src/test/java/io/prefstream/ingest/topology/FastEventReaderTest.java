package io.prefstream.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.ingest.testdata.Events;
import io.prefstream.ingest.testdata.JsonlEvents;
import io.prefstream.protocol.event.EventLimits;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast path must never accept what the protocol's parser rejects, and must build the identical event. */
class FastEventReaderTest {
  private static final long RECORD_TS = 1_800_000_000_123L;

  /** @return true when the fast path took it (and then agreed with the protocol's parser) */
  private static boolean agrees(byte[] value) {
    PreferenceEvent fast = FastEventReader.tryRead(value, RECORD_TS);
    if (fast == null) {
      return false;
    }
    ParseResult full = EventParser.parse(value, RECORD_TS);
    assertThat(full).as(new String(value, StandardCharsets.UTF_8)).isInstanceOf(ParseResult.Valid.class);
    assertThat(fast).isEqualTo(((ParseResult.Valid) full).event());
    return true;
  }

  @Test
  void takesTheFastPathForPlainValidEventsAndBuildsTheSameEvent() {
    List<byte[]> dsp = JsonlEvents.read("dsp/dsp-dev.events.jsonl");
    int fast = 0;
    int valid = 0;
    for (byte[] v : dsp) {
      fast += agrees(v) ? 1 : 0;
      valid += EventParser.parse(v, RECORD_TS) instanceof ParseResult.Valid ? 1 : 0;
    }
    // every valid DSP event (no extensions, no string timestamps) takes the fast path
    assertThat(fast).as("DSP events on the fast path").isEqualTo(valid).isGreaterThan(7000);
    String base = "{\"eventId\":\"e1\",\"userId\":\"u1\",\"domain\":\"support\",\"prompt\":\"p\",\"chosen\":\"a\","
        + "\"rejected\":\"b\"";
    for (String tail : List.of("}", ",\"strength\":0.25}", ",\"timestamp\":0}", ",\"timestamp\":1700000000000}",
        ",\"schemaVersion\":1}", ",\"strength\":1.0,\"timestamp\":5,\"schemaVersion\":1}", ",\"strength\":1e-300}",
        ",\"strength\":5E-1}", ",\"timestamp\":9223372036854775807}")) {
      assertThat(agrees((base + tail).getBytes(StandardCharsets.UTF_8))).as(tail).isTrue();
    }
    // non-ASCII text, escapes and surrogate pairs
    assertThat(agrees(Events.bytes(Events.node("é-1", "ユーザー", "support").put("prompt", "naïve \uD83D\uDE00 \"q\"\n")
        .put("chosen", "\u0000\u0007 ok")))).isTrue();
    // text exactly at the byte limit, counted in UTF-8 bytes
    assertThat(agrees(Events.bytes(Events.node("lim", "u", "support").put("prompt",
        "é".repeat(EventLimits.MAX_TEXT_BYTES / 2))))).isTrue();
  }

  @Test
  void leavesEverythingUnusualToTheProtocolParser() {
    String base = "{\"eventId\":\"e1\",\"userId\":\"u1\",\"domain\":\"support\",\"prompt\":\"p\",\"chosen\":\"a\","
        + "\"rejected\":\"b\"";
    for (String tail : List.of(",\"strength\":1}", ",\"strength\":0.0}", ",\"strength\":-0.0}", ",\"strength\":1.0000001}",
        ",\"strength\":null}", ",\"timestamp\":-1}", ",\"timestamp\":9223372036854775808}", ",\"timestamp\":1.5}",
        ",\"timestamp\":\"2026-01-31T12:00:00Z\"}", ",\"schemaVersion\":2}", ",\"schemaVersion\":1.0}",
        ",\"extra\":{\"a\":1}}", ",\"eventId\":\"again\"}", ",\"strength\":0.5,\"strength\":0.6}", "} trailing",
        "}{}", ",\"prompt\":null}", "")) {
      assertThat(FastEventReader.tryRead((base + tail).getBytes(StandardCharsets.UTF_8), RECORD_TS)).as(tail).isNull();
    }
    assertThat(FastEventReader.tryRead(Events.bytes(Events.node("x", "u", "support").put("rejected", "a worse answer to x")
        .put("chosen", "a worse answer to x")), RECORD_TS)).isNull();
    assertThat(FastEventReader.tryRead(Events.bytes(Events.node("x", "u", "Bad")), RECORD_TS)).isNull();
    assertThat(FastEventReader.tryRead(Events.bytes(Events.node("x", "u", "support").put("prompt",
        "é".repeat(EventLimits.MAX_TEXT_BYTES / 2 + 1))), RECORD_TS)).isNull();
    byte[] badUtf8 = Events.valid("x", "u", "support");
    badUtf8[badUtf8.length - 4] = (byte) 0xC0; // an overlong start byte inside a string
    assertThat(FastEventReader.tryRead(badUtf8, RECORD_TS)).isNull();
    byte[] surrogate = "{\"eventId\":\"x\",\"userId\":\"u\",\"domain\":\"d\",\"prompt\":\"\",\"chosen\":\"a\",\"rejected\":\"b\"}"
        .getBytes(StandardCharsets.UTF_8);
    byte[] cesu = new byte[surrogate.length + 3];
    int at = new String(surrogate, StandardCharsets.UTF_8).indexOf("\"\",") + 1;
    System.arraycopy(surrogate, 0, cesu, 0, at);
    cesu[at] = (byte) 0xED; // an encoded surrogate: Jackson reads it, the protocol's strict decoder does not
    cesu[at + 1] = (byte) 0xA0;
    cesu[at + 2] = (byte) 0x80;
    System.arraycopy(surrogate, at, cesu, at + 3, surrogate.length - at);
    assertThat(EventParser.parse(cesu, RECORD_TS)).isInstanceOf(ParseResult.Invalid.class);
    assertThat(FastEventReader.tryRead(cesu, RECORD_TS)).isNull();
  }

  @Test
  void seededMutationsOfValidEventsNeverDisagree() {
    Random random = new Random(20261123L);
    List<byte[]> seeds = new ArrayList<>();
    seeds.add(Events.bytes(Events.node("m-1", "user-1", "support").put("strength", 0.5).put("timestamp", 1234L)));
    seeds.add(Events.bytes(Events.node("m-2", "ユーザー", "legal").put("prompt", "naïve \uD83D\uDE00").put("schemaVersion", 1)));
    seeds.addAll(JsonlEvents.read("dsp/dsp-dev.events.jsonl").subList(0, 20));
    int fast = 0;
    int mutated = 30_000;
    for (int i = 0; i < mutated; i++) {
      byte[] v = seeds.get(random.nextInt(seeds.size())).clone();
      for (int k = 1 + random.nextInt(3); k > 0; k--) {
        int pos = random.nextInt(v.length);
        switch (random.nextInt(4)) {
          case 0 -> v[pos] = (byte) random.nextInt(256);
          case 1 -> v[pos] = (byte) "{}[]\":,.0123456789-eE+ \\ntfu".charAt(random.nextInt(27));
          case 2 -> v[pos] = (byte) (0x80 + random.nextInt(0x80));
          default -> v[pos] = (byte) ('a' + random.nextInt(26));
        }
      }
      fast += agrees(v) ? 1 : 0;
    }
    System.out.printf("fast path: %d of %d mutated events taken (and identical to the protocol parser's)%n", fast,
        mutated);
    assertThat(fast).as("some mutations stay valid and take the fast path").isPositive();
  }
}
