package io.prefstream.learner.state;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + s.working.length * 4 * 2
        + s.heldBack.size() * (4 + s.working.length * 2));
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeByte(FORMAT_VERSION);
      out.writeUTF(s.userId());
      out.writeUTF(s.domain());
      int dim = s.working.length;
      out.writeInt(dim);
      writeFloats(out, s.working);
      out.writeLong(s.publishedVersion);
      out.writeBoolean(s.published != null);
      if (s.published != null) {
        writeFloats(out, s.published);
      }
      out.writeLong(s.eventsApplied);
      out.writeLong(s.steps);
      out.writeLong(s.newestEventTimeMs);
      out.writeLong(s.enrichCursor);
      out.writeLong(s.gateRejections);
      out.writeInt(s.heldBack.size());
      for (HeldPair p : s.heldBack) {
        out.writeFloat(p.margin());
        for (float v : p.diff()) {
          out.writeShort(Half.fromFloat(v));
        }
      }
      ProgressiveTally t = s.tally;
      out.writeInt(t.window());
      out.writeLong(t.scored());
      out.writeLong(t.correct());
      out.writeInt(t.firstCount());
      out.writeInt(t.firstCorrect());
      boolean[] recent = t.recentOutcomes();
      out.writeInt(recent.length);
      byte[] packed = new byte[(recent.length + 7) / 8];
      for (int i = 0; i < recent.length; i++) {
        if (recent[i]) {
          packed[i >>> 3] |= (byte) (1 << (i & 7));
        }
      }
      out.write(packed);
      out.writeInt(s.recentBatchIds.size());
      for (String id : s.recentBatchIds) {
        out.writeUTF(id);
      }
      out.writeLong(s.baseVersion);
      out.writeInt(s.typeAnchor);
      float[] evidence = s.typeEvidence == null ? new float[0] : s.typeEvidence;
      out.writeInt(evidence.length);
      writeFloats(out, evidence);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode learner state of " + s.key(), e);
    }
    byte[] body = bytes.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(body);
    byte[] out = new byte[body.length + 4];
    System.arraycopy(body, 0, out, 0, body.length);
    int c = (int) crc.getValue();
    out[body.length] = (byte) (c >>> 24);
    out[body.length + 1] = (byte) (c >>> 16);
    out[body.length + 2] = (byte) (c >>> 8);
    out[body.length + 3] = (byte) c;
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
        float[] diff = new float[dim];
        for (int j = 0; j < dim; j++) {
          diff[j] = Half.toFloat(in.readShort());
        }
        pairs[i] = new HeldPair(diff, margin);
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

  private static void writeFloats(DataOutputStream out, float[] v) throws IOException {
    for (float f : v) {
      out.writeInt(Float.floatToRawIntBits(f));
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
