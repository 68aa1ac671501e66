package io.prefstream.ingest.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.utils.Bytes;

/**
 * Key layout of the pending-batch store. Per (userId, domain): one header entry (window start and the sequence
 * number of the open batch in that window) and one entry per slot of the open batch, so that buffering an event
 * writes only that event, not the whole batch again.
 *
 * <pre>
 *   [u16 len][userId utf-8][u8 len][domain] 0x00              -> header: i64 windowStart, i32 seq
 *   [u16 len][userId utf-8][u8 len][domain] 0x01 [i32 slot]   -> event: 0x01, i64 windowStart, i32 seq,
 *                                                                 i64 record timestamp, original value
 * </pre>
 *
 * An event entry is live only while its (windowStart, seq) tag equals the header's: emitting a batch rewrites (or
 * deletes) the header instead of deleting every event entry, and the next batch of the pair overwrites the slots.
 * Values written before the tag existed start with the timestamp's high byte (0x00) and count as live.
 */
final class PendingKeys {
  static final byte HEADER = 0;
  static final byte EVENT = 1;

  private PendingKeys() {}

  static Bytes header(String userId, String domain) {
    byte[] p = pair(userId, domain);
    return Bytes.wrap(ByteBuffer.allocate(p.length + 1).put(p).put(HEADER).array());
  }

  static Bytes event(String userId, String domain, int index) {
    byte[] p = pair(userId, domain);
    return Bytes.wrap(ByteBuffer.allocate(p.length + 5).put(p).put(EVENT).putInt(index).array());
  }

  static byte[] headerValue(long windowStartMs, int seq) {
    return ByteBuffer.allocate(12).putLong(windowStartMs).putInt(seq).array();
  }

  static final byte TAGGED = 1;
  static final int TAGGED_PREFIX = 1 + 8 + 4 + 8;

  static byte[] eventValue(long windowStartMs, int seq, long recordTimestampMs, byte[] raw) {
    return ByteBuffer.allocate(TAGGED_PREFIX + raw.length).put(TAGGED).putLong(windowStartMs).putInt(seq)
        .putLong(recordTimestampMs).put(raw).array();
  }

  /** An event entry taken apart; {@code tagged} is false for the untagged format (always live). */
  record EventValue(boolean tagged, long windowStartMs, int seq, long recordTimestampMs, byte[] raw) {}

  static EventValue parseEventValue(byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    if (value.length > 0 && value[0] == TAGGED) {
      b.get();
      long windowStart = b.getLong();
      int seq = b.getInt();
      long ts = b.getLong();
      return new EventValue(true, windowStart, seq, ts, Arrays.copyOfRange(value, TAGGED_PREFIX, value.length));
    }
    long ts = b.getLong();
    return new EventValue(false, 0, 0, ts, Arrays.copyOfRange(value, 8, value.length));
  }

  /** A store key taken apart. */
  record Parsed(String userId, String domain, byte kind, int index) {}

  static Parsed parse(Bytes key) {
    ByteBuffer b = ByteBuffer.wrap(key.get());
    byte[] user = new byte[Short.toUnsignedInt(b.getShort())];
    b.get(user);
    byte[] domain = new byte[Byte.toUnsignedInt(b.get())];
    b.get(domain);
    byte kind = b.get();
    int index = kind == EVENT ? b.getInt() : -1;
    return new Parsed(new String(user, StandardCharsets.UTF_8), new String(domain, StandardCharsets.US_ASCII), kind,
        index);
  }

  private static byte[] pair(String userId, String domain) {
    byte[] user = userId.getBytes(StandardCharsets.UTF_8);
    byte[] dom = domain.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(3 + user.length + dom.length)
        .putShort((short) user.length).put(user).put((byte) dom.length).put(dom).array();
  }
}
