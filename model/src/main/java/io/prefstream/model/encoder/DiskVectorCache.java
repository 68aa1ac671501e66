package io.prefstream.model.encoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only on-disk store of embeddings for one encoder: {@code dir/<encoderId>.vec}, records of
 * [64-byte hex SHA-256 key][dimension × fp32]. Only an offset index lives in memory; vectors are read back
 * with positional reads. A torn last record (crash mid-append) is ignored on open and overwritten.
 *
 * <p>It is only a cache: when the disk fills up or a read or write fails, it logs once, stops writing and answers
 * misses, and the encoder computes the vector again; the service using it keeps working.
 * Thread-safe.
 */
final class DiskVectorCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DiskVectorCache.class);
  private static final int KEY_BYTES = 64;
  private final int dimension;
  private final int recordBytes;
  private final FileChannel channel;
  private final Map<String, Long> index = new HashMap<>();
  private final Path file;
  private long end;
  private volatile boolean failed;
  private final AtomicLong failures = new AtomicLong();

  DiskVectorCache(Path dir, String encoderId, int dimension) {
    this.dimension = dimension;
    this.recordBytes = KEY_BYTES + 4 * dimension;
    this.file = dir.resolve(encoderId.replaceAll("[^A-Za-z0-9._-]", "_") + ".d" + dimension + ".vec");
    try {
      Files.createDirectories(dir);
      this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      long size = channel.size();
      long complete = size - size % recordBytes;
      ByteBuffer key = ByteBuffer.allocate(KEY_BYTES);
      for (long off = 0; off < complete; off += recordBytes) {
        key.clear();
        channel.read(key, off);
        index.put(new String(key.array(), StandardCharsets.US_ASCII), off);
      }
      this.end = complete;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open embedding cache " + file + ": " + e.getMessage(), e);
    }
  }

  float[] get(String key) {
    Long off;
    synchronized (this) {
      off = index.get(key);
    }
    if (off == null) {
      return null;
    }
    ByteBuffer buf = ByteBuffer.allocate(4 * dimension).order(ByteOrder.LITTLE_ENDIAN);
    try {
      channel.read(buf, off + KEY_BYTES);
    } catch (IOException e) {
      failed("read", e);
      return null;
    }
    buf.flip();
    float[] v = new float[dimension];
    buf.asFloatBuffer().get(v);
    return v;
  }

  synchronized void put(String key, float[] v) {
    if (failed || index.containsKey(key)) {
      return;
    }
    ByteBuffer buf = ByteBuffer.allocate(recordBytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(key.getBytes(StandardCharsets.US_ASCII));
    for (float x : v) {
      buf.putFloat(x);
    }
    buf.flip();
    try {
      long off = end;
      while (buf.hasRemaining()) {
        channel.write(buf, off + buf.position());
      }
      end += recordBytes;
      index.put(key, off);
    } catch (IOException e) {
      // A torn record past `end` is overwritten by the next append or cut on the next open.
      failed("append to", e);
    }
  }

  private void failed(String what, IOException e) {
    failures.incrementAndGet();
    if (!failed) {
      failed = true;
      log.warn("cannot {} the embedding cache {} ({}): it stops writing; embeddings are computed again on a miss",
          what, file, e.toString());
    }
  }

  /** Reads or writes that failed (disk full, I/O error); after the first one the cache stops writing. */
  long failures() {
    return failures.get();
  }

  synchronized int size() {
    return index.size();
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing was buffered: every put wrote through
    }
  }
}
