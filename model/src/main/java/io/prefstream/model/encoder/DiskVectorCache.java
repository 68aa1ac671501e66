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

/**
 * An append-only on-disk store of embeddings for one encoder: {@code dir/<encoderId>.vec}, records of
 * [64-byte hex SHA-256 key][dimension × fp32]. Only an offset index lives in memory; vectors are read back
 * with positional reads. A torn last record (crash mid-append) is ignored on open and overwritten.
 * Thread-safe.
 */
final class DiskVectorCache implements AutoCloseable {
  private static final int KEY_BYTES = 64;
  private final int dimension;
  private final int recordBytes;
  private final FileChannel channel;
  private final Map<String, Long> index = new HashMap<>();
  private long end;

  DiskVectorCache(Path dir, String encoderId, int dimension) {
    this.dimension = dimension;
    this.recordBytes = KEY_BYTES + 4 * dimension;
    Path file = dir.resolve(encoderId.replaceAll("[^A-Za-z0-9._-]", "_") + ".d" + dimension + ".vec");
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
      throw new UncheckedIOException("cannot read embedding cache: " + e.getMessage(), e);
    }
    buf.flip();
    float[] v = new float[dimension];
    buf.asFloatBuffer().get(v);
    return v;
  }

  synchronized void put(String key, float[] v) {
    if (index.containsKey(key)) {
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
      throw new UncheckedIOException("cannot append to embedding cache: " + e.getMessage(), e);
    }
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
