package io.prefstream.learner.state;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Binary form of {@link KeyState} on the {@code learner-state} topic: magic {@code PSLS}, format version, the fields,
 * then a CRC32C of everything before it. Working weights stay fp32 so a restored learner continues bit-identically.
 * Format 2 appends the base version the weights are residuals on; format 3 then the user type the key is anchored on
 * and its loss sums per candidate anchor. Format 1 records (without a base version) still decode, as
 * {@link KeyState#UNKNOWN_BASE}, and format 1 and 2 records as anchored on no type.
 */
public final class KeyStateCodec {
  public static final int FORMAT_VERSION = 3;
  private static final int MAGIC = 0x50534c53; // "PSLS"

  private KeyStateCodec() {}

  public static byte[] encode(KeyState s) {
    // One exactly sized array, written with bulk copies: a key's record is ~30 KiB at the MiniLM feature size and is
    // written after every batch, so a per-value stream (synchronized writes, a growing buffer, a copy for the CRC) cost
    // a third of the learner's time.
    byte[] userId = modifiedUtf8(s.userId());
    byte[] domain = modifiedUtf8(s.domain());
    byte[][] batchIds = new byte[s.recentBatchIds.size()][];
    int idBytes = 0;
    int n = 0;
    for (String id : s.recentBatchIds) {
      batchIds[n] = modifiedUtf8(id);
      idBytes += batchIds[n++].length;
    }
    int dim = s.working.length;
    boolean[] recent = s.tally.recentOutcomes();
    float[] evidence = s.typeEvidence == null ? new float[0] : s.typeEvidence;
    int size = 4 + 1 + userId.length + domain.length + 4 + 4 * dim + 8 + 1 + (s.published == null ? 0 : 4 * dim)
        + 5 * 8 + 4 + s.heldBack.size() * (4 + 2 * dim) + 4 + 8 + 8 + 4 + 4 + 4 + (recent.length + 7) / 8
        + 4 + idBytes + 8 + 4 + 4 + 4 * evidence.length + 4;
    ByteBuffer out = ByteBuffer.allocate(size); // big-endian, as the format has always been
    out.putInt(MAGIC);
    out.put((byte) FORMAT_VERSION);
    out.put(userId);
    out.put(domain);
    out.putInt(dim);
    putFloats(out, s.working);
    out.putLong(s.publishedVersion);
    out.put((byte) (s.published != null ? 1 : 0));
    if (s.published != null) {
      putFloats(out, s.published);
    }
    out.putLong(s.eventsApplied);
    out.putLong(s.steps);
    out.putLong(s.newestEventTimeMs);
    out.putLong(s.enrichCursor);
    out.putLong(s.gateRejections);
    out.putInt(s.heldBack.size());
    for (HeldPair p : s.heldBack) {
      out.putFloat(p.margin());
      out.asShortBuffer().put(p.halfBits());
      out.position(out.position() + 2 * dim);
    }
    ProgressiveTally t = s.tally;
    out.putInt(t.window());
    out.putLong(t.scored());
    out.putLong(t.correct());
    out.putInt(t.firstCount());
    out.putInt(t.firstCorrect());
    out.putInt(recent.length);
    byte[] packed = new byte[(recent.length + 7) / 8];
    for (int i = 0; i < recent.length; i++) {
      if (recent[i]) {
        packed[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
    out.put(packed);
    out.putInt(batchIds.length);
    for (byte[] id : batchIds) {
      out.put(id);
    }
    out.putLong(s.baseVersion);
    out.putInt(s.typeAnchor);
    out.putInt(evidence.length);
    putFloats(out, evidence);
    byte[] bytes = out.array();
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, size - 4);
    out.putInt((int) crc.getValue());
    return bytes;
  }

  /** Raw bits, so NaN payloads survive and a restored learner continues bit-identically. */
  private static void putFloats(ByteBuffer out, float[] v) {
    for (float f : v) {
      out.putInt(Float.floatToRawIntBits(f));
    }
  }

  /**
   * A string as {@link java.io.DataOutputStream#writeUTF} writes it (the format's string encoding since format 1): an unsigned
   * 16-bit length, then modified UTF-8 (NUL as two bytes, supplementary characters as two 3-byte surrogates).
   */
  static byte[] modifiedUtf8(String value) {
    int len = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      len += c >= 0x0001 && c <= 0x007f ? 1 : c <= 0x07ff ? 2 : 3;
    }
    if (len > 0xffff) {
      throw new IllegalArgumentException("string of " + len + " encoded bytes does not fit a learner-state record "
          + "(at most 65535): " + value.substring(0, 64) + "...");
    }
    byte[] out = new byte[2 + len];
    out[0] = (byte) (len >>> 8);
    out[1] = (byte) len;
    int at = 2;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 0x0001 && c <= 0x007f) {
        out[at++] = (byte) c;
      } else if (c <= 0x07ff) {
        out[at++] = (byte) (0xc0 | (c >> 6));
        out[at++] = (byte) (0x80 | (c & 0x3f));
      } else {
        out[at++] = (byte) (0xe0 | (c >> 12));
        out[at++] = (byte) (0x80 | ((c >> 6) & 0x3f));
        out[at++] = (byte) (0x80 | (c & 0x3f));
      }
    }
    return out;
  }

  /**
   * @throws IllegalArgumentException when the bytes are not a learner-state record of this format, with the reason
   */
  public static KeyState decode(byte[] bytes) {
    if (bytes == null || bytes.length < 9) {
      throw new IllegalArgumentException("learner-state record is " + (bytes == null ? "null" : bytes.length
          + " bytes") + "; expected at least 9");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int stored = ((bytes[bytes.length - 4] & 0xff) << 24) | ((bytes[bytes.length - 3] & 0xff) << 16)
        | ((bytes[bytes.length - 2] & 0xff) << 8) | (bytes[bytes.length - 1] & 0xff);
    if ((int) crc.getValue() != stored) {
      throw new IllegalArgumentException("learner-state record fails its CRC32C check");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4))) {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IllegalArgumentException("learner-state record has magic " + Integer.toHexString(magic)
            + "; expected " + Integer.toHexString(MAGIC) + " (PSLS)");
      }
      int version = in.readUnsignedByte();
      if (version < 1 || version > FORMAT_VERSION) {
        throw new IllegalArgumentException("learner-state format " + version + " is not supported; expected 1 to "
            + FORMAT_VERSION);
      }
      String userId = in.readUTF();
      String domain = in.readUTF();
      int dim = in.readInt();
      if (dim < 1 || dim > 1_000_000) {
        throw new IllegalArgumentException("learner-state dimension " + dim + " is out of range");
      }
      float[] working = readFloats(in, dim);
      long publishedVersion = in.readLong();
      float[] published = in.readBoolean() ? readFloats(in, dim) : null;
      long eventsApplied = in.readLong();
      long steps = in.readLong();
      long newest = in.readLong();
      long enrichCursor = in.readLong();
      long gateRejections = in.readLong();
      int held = in.readInt();
      HeldPair[] pairs = new HeldPair[held];
      for (int i = 0; i < held; i++) {
        float margin = in.readFloat();
        short[] bits = new short[dim];
        for (int j = 0; j < dim; j++) {
          bits[j] = in.readShort();
        }
        pairs[i] = HeldPair.ofHalfBits(bits, margin);
      }
      int window = in.readInt();
      long scored = in.readLong();
      long correct = in.readLong();
      int firstCount = in.readInt();
      int firstCorrect = in.readInt();
      int recentCount = in.readInt();
      byte[] packed = new byte[(recentCount + 7) / 8];
      in.readFully(packed);
      boolean[] recent = new boolean[recentCount];
      for (int i = 0; i < recentCount; i++) {
        recent[i] = (packed[i >>> 3] & (1 << (i & 7))) != 0;
      }
      ProgressiveTally tally = ProgressiveTally.restore(window, scored, correct, firstCount, firstCorrect, recent);
      KeyState s = new KeyState(userId, domain, working, tally);
      s.publishedVersion = publishedVersion;
      s.published = published;
      s.eventsApplied = eventsApplied;
      s.steps = steps;
      s.newestEventTimeMs = newest;
      s.enrichCursor = enrichCursor;
      s.gateRejections = gateRejections;
      for (HeldPair p : pairs) {
        s.heldBack.addLast(p);
      }
      int ids = in.readInt();
      for (int i = 0; i < ids; i++) {
        s.recentBatchIds.addLast(in.readUTF());
      }
      s.baseVersion = version >= 2 ? in.readLong() : KeyState.UNKNOWN_BASE;
      if (version >= 3) {
        int anchor = in.readInt();
        int candidates = in.readInt();
        if (anchor < KeyState.NO_TYPE || anchor > 1023 || candidates < 0 || candidates > 1025) {
          throw new IllegalArgumentException("learner-state user type " + anchor + " of " + candidates
              + " candidates is out of range");
        }
        s.typeAnchor = anchor;
        s.typeEvidence = candidates == 0 ? null : readFloats(in, candidates);
      }
      return s;
    } catch (IOException e) {
      throw new IllegalArgumentException("learner-state record is truncated: " + e.getMessage(), e);
    }
  }

  private static float[] readFloats(DataInputStream in, int n) throws IOException {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = Float.intBitsToFloat(in.readInt());
    }
    return v;
  }
}
