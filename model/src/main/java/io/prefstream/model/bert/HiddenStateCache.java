package io.prefstream.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * Frozen lower-layer activations per distinct text, so fine-tuning the top layers never re-runs the bottom —
 * on 2 CPU cores the bottom is most of the cost. Keyed by the SHA-256 of the text's UTF-8 bytes, for one encoder
 * and one split layer; in memory (fp32) and optionally in an append-only file
 * {@code dir/<encoderId>.L<split>.hs} (records: 32-byte key, u32 tokens, tokens·H fp32 hidden, H fp32 pretrained
 * embedding, little-endian; a torn tail is ignored). One process per cache file.
 */
public final class HiddenStateCache implements AutoCloseable {
  private final int splitLayer;
  private final int hidden;
  private final Map<String, CachedHidden> entries = new ConcurrentHashMap<>();
  private final Path file;
  private DataOutputStream out;

  private HiddenStateCache(int splitLayer, int hidden, Path file) {
    this.splitLayer = splitLayer;
    this.hidden = hidden;
    this.file = file;
  }

  /**
   * Opens the cache of {@code encoderId}'s activations after layer {@code splitLayer} (0 = after the
   * embeddings); {@code dir} null keeps it in memory only.
   */
  public static HiddenStateCache open(Path dir, String encoderId, int splitLayer, int hidden) {
    if (dir == null) {
      return new HiddenStateCache(splitLayer, hidden, null);
    }
    Path f = dir.resolve(encoderId.replaceAll("[^A-Za-z0-9._-]", "_") + ".L" + splitLayer + ".hs");
    HiddenStateCache c = new HiddenStateCache(splitLayer, hidden, f);
    try {
      Files.createDirectories(dir);
      if (Files.isRegularFile(f)) {
        c.load();
      }
      c.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(f, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND), 1 << 20));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open hidden-state cache " + f + ": " + e.getMessage(), e);
    }
    return c;
  }

  private void load() throws IOException {
    long valid = 0;
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 20))) {
      byte[] key = new byte[32];
      while (true) {
        try {
          in.readFully(key);
          int tokens = Integer.reverseBytes(in.readInt());
          if (tokens <= 0 || tokens > 100_000) {
            break;
          }
          byte[] body = new byte[(tokens + 1) * hidden * 4];
          in.readFully(body);
          FloatArrays fa = FloatArrays.of(body, tokens * hidden, hidden);
          entries.put(HexFormat.of().formatHex(key), new CachedHidden(tokens, fa.first, fa.second));
          valid += 32 + 4 + body.length;
        } catch (EOFException e) {
          break;
        }
      }
    }
    if (valid < Files.size(file)) {
      // A torn record from an interrupted run: cut it so appends start on a record boundary.
      try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(valid);
      }
    }
  }

  private record FloatArrays(float[] first, float[] second) {
    static FloatArrays of(byte[] body, int n1, int n2) {
      var fb = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[] a = new float[n1];
      float[] b = new float[n2];
      fb.get(a);
      fb.get(b);
      return new FloatArrays(a, b);
    }
  }

  public static String key(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public int splitLayer() {
    return splitLayer;
  }

  public int size() {
    return entries.size();
  }

  /** The cached activations of {@code text}; an error if {@link #fill} has not seen it. */
  public CachedHidden get(String text) {
    CachedHidden h = entries.get(key(text));
    if (h == null) {
      throw new IllegalStateException("text not in the hidden-state cache (fill it first): "
          + text.substring(0, Math.min(60, text.length())));
    }
    return h;
  }

  public boolean contains(String text) {
    return entries.containsKey(key(text));
  }

  /**
   * Computes the activations of every text not yet cached with {@code encoder}'s pretrained block, in
   * length-sorted batches; {@code progress} receives the count done so far. Returns how many were computed.
   */
  public synchronized int fill(MiniLmEncoder encoder, List<String> texts, IntConsumer progress) {
    List<String> missing = new ArrayList<>();
    for (String t : new LinkedHashSet<>(texts)) {
      if (!contains(t)) {
        missing.add(t);
      }
    }
    missing.sort(Comparator.comparingInt(String::length));
    MiniLmBlock block = encoder.block();
    int layers = block.config().layers();
    ParameterStore ps = new ParameterStore(encoder.manager(), false);
    int done = 0;
    for (int from = 0; from < missing.size(); from += MiniLmEncoder.BATCH) {
      List<String> batch = missing.subList(from, Math.min(missing.size(), from + MiniLmEncoder.BATCH));
      TokenBatch tb = TokenBatch.of(encoder.tokenizer(), batch);
      try (NDManager sub = encoder.manager().newSubManager()) {
        NDList tokens = tb.toNd(sub);
        NDList h = block.hidden(ps, tokens, splitLayer, false);
        float[] flat = h.get(0).toFloatArray();
        NDList top = block.runLayers(ps, h, splitLayer, layers, false);
        NDArray pooled = MiniLmBlock.meanPoolNormalise(top.get(0), tokens.get(2));
        float[] emb = pooled.toFloatArray();
        for (int i = 0; i < batch.size(); i++) {
          int n = tb.lengths()[i];
          float[] rows = Arrays.copyOfRange(flat, i * tb.maxTokens() * hidden, (i * tb.maxTokens() + n) * hidden);
          float[] orig = Arrays.copyOfRange(emb, i * hidden, (i + 1) * hidden);
          put(batch.get(i), new CachedHidden(n, rows, orig));
        }
      }
      done += batch.size();
      flush();
      progress.accept(done);
    }
    return missing.size();
  }

  private void put(String text, CachedHidden h) {
    String k = key(text);
    entries.put(k, h);
    if (out != null) {
      try {
        ByteBuffer buf = ByteBuffer.allocate(32 + 4 + (h.hidden().length + h.original().length) * 4)
            .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(HexFormat.of().parseHex(k)).putInt(h.tokens());
        for (float v : h.hidden()) {
          buf.putFloat(v);
        }
        for (float v : h.original()) {
          buf.putFloat(v);
        }
        out.write(buf.array());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
      }
    }
  }

  private void flush() {
    if (out != null) {
      try {
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public synchronized void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
      }
      out = null;
    }
  }
}
