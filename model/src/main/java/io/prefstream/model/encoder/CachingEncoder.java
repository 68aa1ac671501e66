package io.prefstream.model.encoder;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An LRU cache in front of another encoder, keyed by the SHA-256 of the text's UTF-8 bytes, because
 * the same prompts and responses recur and the real encoder manages only tens of texts a second on CPU.
 *
 * <p>Thread-safe. Returns copies, so callers may modify what they get. {@link #id()} is the inner id:
 * cached and uncached vectors are identical. Closing closes the inner encoder.
 */
public final class CachingEncoder implements TextEncoder {
  private final TextEncoder inner;
  private final int maxEntries;
  private final Map<String, float[]> lru;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final DiskVectorCache disk;

  public CachingEncoder(TextEncoder inner, int maxEntries) {
    this(inner, maxEntries, null);
  }

  /**
   * With an on-disk second level under {@code diskDir} (null for memory only): embeddings survive
   * restarts, so a benchmark or a restarted service does not re-encode texts it has seen.
   */
  public CachingEncoder(TextEncoder inner, int maxEntries, java.nio.file.Path diskDir) {
    if (inner == null) {
      throw new IllegalArgumentException("inner encoder is required");
    }
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be >= 1, got " + maxEntries);
    }
    this.inner = inner;
    this.maxEntries = maxEntries;
    this.disk = diskDir == null ? null : new DiskVectorCache(diskDir, inner.id(), inner.dimension());
    this.lru = new LinkedHashMap<>(Math.min(maxEntries, 1 << 16), 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
        return size() > CachingEncoder.this.maxEntries;
      }
    };
  }

  @Override
  public String id() {
    return inner.id();
  }

  @Override
  public int dimension() {
    return inner.dimension();
  }

  @Override
  public float[] encode(String text) {
    String key = contentKey(text);
    float[] cached = lookup(key);
    if (cached != null) {
      return cached;
    }
    misses.incrementAndGet();
    float[] v = inner.encode(text);
    store(key, v);
    return v.clone();
  }

  @Override
  public List<float[]> encodeAll(List<String> texts) {
    List<float[]> out = new ArrayList<>(texts.size());
    List<String> missingTexts = new ArrayList<>();
    List<String> missingKeys = new ArrayList<>();
    List<Integer> missingAt = new ArrayList<>();
    for (String t : texts) {
      String key = contentKey(t);
      float[] cached = lookup(key);
      out.add(cached);
      if (cached == null) {
        missingTexts.add(t);
        missingKeys.add(key);
        missingAt.add(out.size() - 1);
      }
    }
    if (!missingTexts.isEmpty()) {
      misses.addAndGet(missingTexts.size());
      List<float[]> fresh = inner.encodeAll(missingTexts);
      for (int i = 0; i < fresh.size(); i++) {
        store(missingKeys.get(i), fresh.get(i));
        out.set(missingAt.get(i), fresh.get(i).clone());
      }
    }
    return out;
  }

  private float[] lookup(String key) {
    float[] v;
    synchronized (lru) {
      v = lru.get(key);
    }
    if (v == null && disk != null) {
      v = disk.get(key);
      if (v != null) {
        synchronized (lru) {
          lru.put(key, v);
        }
      }
    }
    if (v == null) {
      return null;
    }
    hits.incrementAndGet();
    return v.clone();
  }

  private void store(String key, float[] v) {
    float[] copy = Arrays.copyOf(v, v.length);
    synchronized (lru) {
      lru.put(key, copy);
    }
    if (disk != null) {
      disk.put(key, copy);
    }
  }

  public long hits() {
    return hits.get();
  }

  /** Failed reads and writes of the on-disk level (disk full, I/O errors): it then stops writing; 0 without one. */
  public long diskFailures() {
    return disk == null ? 0 : disk.failures();
  }

  public long misses() {
    return misses.get();
  }

  /** hits / (hits + misses), 0 before the first lookup. */
  public double hitRate() {
    long h = hits.get();
    long total = h + misses.get();
    return total == 0 ? 0.0 : (double) h / total;
  }

  /** Entries held now. */
  public int size() {
    synchronized (lru) {
      return lru.size();
    }
  }

  static String contentKey(String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  @Override
  public void close() {
    if (disk != null) {
      disk.close();
    }
    inner.close();
  }
}
