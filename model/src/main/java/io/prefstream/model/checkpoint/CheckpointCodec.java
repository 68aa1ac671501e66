package io.prefstream.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.ModelCheckpoint;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The binary checkpoint format, self-describing and checksummed:
 *
 * <pre>
 *   "PSRM"            4 bytes magic
 *   format version    u16 (1)
 *   kind              u8  (1 = base, 2 = individual)
 *   metadata length   u32
 *   metadata          UTF-8 JSON: kind, versions, encoderId, featureDim, domains, counts, createdAt...
 *   weights           base: fp32 × featureDim, then fp32 × featureDim per domain in metadata order, then the
 *                     same for each ancestor listed in the metadata (optional "ancestors" array, newest first),
 *                     then fp32 × featureDim per user type (optional "types" object: domain → count, in
 *                     domain order; readers older than the types refuse such a base as having unexpected bytes);
 *                     individual: fp16 × featureDim
 *   crc32c            u32 over every byte before it
 * </pre>
 *
 * All integers and floats little-endian. An individual record with D = 768 is about 1.8 KiB.
 */
public final class CheckpointCodec {
  public static final int FORMAT_VERSION = 1;
  public static final byte KIND_BASE = 1;
  public static final byte KIND_INDIVIDUAL = 2;
  private static final byte[] MAGIC = {'P', 'S', 'R', 'M'};
  private static final int HEADER = 4 + 2 + 1 + 4;
  private static final int MAX_DIM = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointCodec() {}

  public static byte[] encode(ModelCheckpoint m) {
    if (m instanceof BaseModel b) {
      return encodeBase(b);
    }
    if (m instanceof IndividualModel i) {
      return encodeIndividual(i);
    }
    throw new IllegalArgumentException("unknown checkpoint type " + m);
  }

  private static byte[] encodeBase(BaseModel b) {
    ObjectNode meta = JSON.createObjectNode();
    meta.put("kind", "base");
    meta.put("version", b.version());
    meta.put("encoderId", b.encoderId());
    meta.put("featureDim", b.featureDim());
    ArrayNode domains = meta.putArray("domains");
    b.genericByDomain().keySet().forEach(domains::add);
    meta.put("trainedPairs", b.trainedPairs());
    meta.put("createdAtMs", b.createdAtMs());
    int n = b.featureDim() * (1 + b.genericByDomain().size());
    if (!b.ancestors().isEmpty()) {
      ArrayNode ancestors = meta.putArray("ancestors");
      for (BaseModel a : b.ancestors()) {
        ObjectNode am = ancestors.addObject();
        am.put("version", a.version());
        ArrayNode ad = am.putArray("domains");
        a.genericByDomain().keySet().forEach(ad::add);
        am.put("trainedPairs", a.trainedPairs());
        am.put("createdAtMs", a.createdAtMs());
        n += a.featureDim() * (1 + a.genericByDomain().size());
      }
    }
    if (!b.typesByDomain().isEmpty()) {
      ObjectNode types = meta.putObject("types");
      for (Map.Entry<String, List<float[]>> e : b.typesByDomain().entrySet()) {
        types.put(e.getKey(), e.getValue().size());
        n += b.featureDim() * e.getValue().size();
      }
    }
    byte[] metaBytes = toBytes(meta);
    ByteBuffer buf = header(KIND_BASE, metaBytes, n * 4);
    putBase(buf, b);
    for (BaseModel a : b.ancestors()) {
      putBase(buf, a);
    }
    for (List<float[]> types : b.typesByDomain().values()) {
      types.forEach(t -> putFloats(buf, t));
    }
    return finish(buf);
  }

  private static byte[] encodeIndividual(IndividualModel i) {
    ObjectNode meta = JSON.createObjectNode();
    meta.put("kind", "individual");
    meta.put("userId", i.userId());
    meta.put("domain", i.domain());
    meta.put("version", i.version());
    meta.put("baseVersion", i.baseVersion());
    meta.put("featureDim", i.weights().length);
    meta.put("eventsApplied", i.eventsApplied());
    meta.put("steps", i.steps());
    meta.put("newestEventTimeMs", i.newestEventTimeMs());
    meta.put("createdAtMs", i.createdAtMs());
    byte[] metaBytes = toBytes(meta);
    ByteBuffer buf = header(KIND_INDIVIDUAL, metaBytes, i.weights().length * 2);
    for (float w : i.weights()) {
      buf.putShort(Fp16.fromFloat(w));
    }
    return finish(buf);
  }

  private static ByteBuffer header(byte kind, byte[] meta, int payload) {
    ByteBuffer buf = ByteBuffer.allocate(HEADER + meta.length + payload + 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).putShort((short) FORMAT_VERSION).put(kind).putInt(meta.length).put(meta);
    return buf;
  }

  private static void putBase(ByteBuffer buf, BaseModel b) {
    putFloats(buf, b.weights());
    for (float[] g : b.genericByDomain().values()) {
      putFloats(buf, g);
    }
  }

  private static void putFloats(ByteBuffer buf, float[] v) {
    for (float x : v) {
      buf.putFloat(x);
    }
  }

  private static byte[] finish(ByteBuffer buf) {
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }

  private static byte[] toBytes(ObjectNode meta) {
    try {
      return JSON.writeValueAsBytes(meta);
    } catch (IOException e) {
      throw new CheckpointException("cannot write checkpoint metadata: " + e.getMessage(), e);
    }
  }

  public static ModelCheckpoint decode(byte[] bytes) {
    if (bytes == null || bytes.length < HEADER + 4) {
      throw new CorruptCheckpointException("checkpoint is truncated: " + (bytes == null ? 0 : bytes.length)
          + " bytes, at least " + (HEADER + 4) + " needed");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw new CorruptCheckpointException("not a prefstream checkpoint: magic is "
            + new String(bytes, 0, 4, StandardCharsets.ISO_8859_1) + ", expected PSRM");
      }
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int storedCrc = buf.getInt(bytes.length - 4);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    if ((int) crc.getValue() != storedCrc) {
      throw new CorruptCheckpointException(String.format(
          "checkpoint checksum mismatch: stored crc32c %08x, computed %08x (%d bytes; truncated or altered)",
          storedCrc, (int) crc.getValue(), bytes.length));
    }
    buf.position(4);
    int format = buf.getShort() & 0xffff;
    if (format != FORMAT_VERSION) {
      throw new IncompatibleCheckpointException("checkpoint format version " + format
          + " is not supported; this build reads version " + FORMAT_VERSION);
    }
    byte kind = buf.get();
    int metaLen = buf.getInt();
    if (metaLen < 0 || metaLen > bytes.length - HEADER - 4) {
      throw new CorruptCheckpointException("metadata length " + metaLen + " exceeds the checkpoint size "
          + bytes.length);
    }
    JsonNode meta;
    try {
      meta = JSON.readTree(bytes, HEADER, metaLen);
    } catch (IOException e) {
      throw new CorruptCheckpointException("checkpoint metadata is not valid JSON: " + e.getMessage(), e);
    }
    buf.position(HEADER + metaLen);
    ByteBuffer payload = buf.slice().order(ByteOrder.LITTLE_ENDIAN).limit(bytes.length - HEADER - metaLen - 4);
    try {
      if (kind == KIND_BASE) {
        return decodeBase(meta, payload);
      }
      if (kind == KIND_INDIVIDUAL) {
        return decodeIndividual(meta, payload);
      }
    } catch (BufferUnderflowException e) {
      throw new CorruptCheckpointException("checkpoint weights are shorter than its metadata says", e);
    } catch (IllegalArgumentException e) {
      throw new CorruptCheckpointException("checkpoint content is invalid: " + e.getMessage(), e);
    }
    throw new IncompatibleCheckpointException("unknown checkpoint kind " + kind + "; valid kinds: "
        + KIND_BASE + " (base), " + KIND_INDIVIDUAL + " (individual)");
  }

  private static BaseModel decodeBase(JsonNode meta, ByteBuffer payload) {
    int dim = dim(meta);
    String encoderId = required(meta, "encoderId").asText();
    float[] w = getFloats(payload, dim);
    Map<String, float[]> generic = getGeneric(meta, payload, dim);
    List<BaseModel> ancestors = new ArrayList<>();
    JsonNode listed = meta.path("ancestors");
    if (!listed.isMissingNode() && !listed.isArray()) {
      throw new CorruptCheckpointException("base checkpoint metadata's 'ancestors' is not an array");
    }
    for (JsonNode a : listed) {
      float[] aw = getFloats(payload, dim);
      ancestors.add(new BaseModel(required(a, "version").asLong(), encoderId, dim, aw, getGeneric(a, payload, dim),
          required(a, "trainedPairs").asLong(), required(a, "createdAtMs").asLong()));
    }
    Map<String, List<float[]>> types = new LinkedHashMap<>();
    JsonNode typeCounts = meta.path("types");
    if (!typeCounts.isMissingNode() && !typeCounts.isObject()) {
      throw new CorruptCheckpointException("base checkpoint metadata's 'types' is not an object");
    }
    for (Map.Entry<String, JsonNode> e : typeCounts.properties()) {
      int count = e.getValue().asInt(-1);
      if (count < 0 || count > 1024) {
        throw new CorruptCheckpointException("base checkpoint lists " + e.getValue() + " user types for domain '"
            + e.getKey() + "'; valid: 0 to 1024");
      }
      List<float[]> list = new ArrayList<>();
      for (int k = 0; k < count; k++) {
        list.add(getFloats(payload, dim));
      }
      types.put(e.getKey(), list);
    }
    checkFullyRead(payload);
    return new BaseModel(required(meta, "version").asLong(), encoderId, dim, w, generic,
        required(meta, "trainedPairs").asLong(), required(meta, "createdAtMs").asLong(), ancestors, types);
  }

  private static Map<String, float[]> getGeneric(JsonNode meta, ByteBuffer payload, int dim) {
    JsonNode domains = meta.path("domains");
    if (!domains.isArray()) {
      throw new CorruptCheckpointException("base checkpoint metadata lacks its domains array");
    }
    Map<String, float[]> generic = new LinkedHashMap<>();
    for (JsonNode d : domains) {
      generic.put(d.asText(), getFloats(payload, dim));
    }
    return generic;
  }

  private static IndividualModel decodeIndividual(JsonNode meta, ByteBuffer payload) {
    int dim = dim(meta);
    float[] w = new float[dim];
    for (int i = 0; i < dim; i++) {
      w[i] = Fp16.toFloat(payload.getShort());
    }
    checkFullyRead(payload);
    return new IndividualModel(required(meta, "userId").asText(), required(meta, "domain").asText(),
        required(meta, "version").asLong(), required(meta, "baseVersion").asLong(), w,
        required(meta, "eventsApplied").asLong(), required(meta, "steps").asLong(),
        required(meta, "newestEventTimeMs").asLong(), required(meta, "createdAtMs").asLong());
  }

  private static int dim(JsonNode meta) {
    int dim = required(meta, "featureDim").asInt(-1);
    if (dim < 1 || dim > MAX_DIM) {
      throw new CorruptCheckpointException("featureDim " + dim + " is outside [1, " + MAX_DIM + "]");
    }
    return dim;
  }

  private static JsonNode required(JsonNode meta, String field) {
    JsonNode n = meta.get(field);
    if (n == null || n.isNull()) {
      throw new CorruptCheckpointException("checkpoint metadata lacks required field '" + field + "'");
    }
    return n;
  }

  private static float[] getFloats(ByteBuffer buf, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = buf.getFloat();
    }
    return v;
  }

  private static void checkFullyRead(ByteBuffer payload) {
    if (payload.hasRemaining()) {
      throw new CorruptCheckpointException(payload.remaining() + " unexpected bytes after the weights");
    }
  }
}
