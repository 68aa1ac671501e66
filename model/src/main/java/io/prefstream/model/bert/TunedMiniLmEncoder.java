package io.prefstream.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.prefstream.model.encoder.TextEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * MiniLM with its top {@code k} layers replaced by tuned ones: the pretrained block computes the frozen bottom
 * (or a {@link HiddenStateCache} supplies it), then the tuned layers, mean pooling and L2 normalisation.
 *
 * <p>Thread-safe: calls are serialised. Owns the pretrained encoder, the top and the cache (closes them).
 */
public final class TunedMiniLmEncoder implements TextEncoder {
  private final String id;
  private final MiniLmEncoder pretrained;
  private final TunedTop top;
  private final HiddenStateCache cache;
  private final ParameterStore store;
  private boolean closed;

  /**
   * @param cache activations of the frozen layers to reuse (its split must be ≤ the first tuned layer), or null
   *     to run the bottom for every text (what a long-running scorer does)
   */
  public TunedMiniLmEncoder(String id, MiniLmEncoder pretrained, TunedTop top, HiddenStateCache cache) {
    int first = pretrained.block().config().layers() - top.layers();
    if (cache != null && cache.splitLayer() > first) {
      throw new IllegalArgumentException("hidden-state cache after layer " + cache.splitLayer()
          + " is above the first tuned layer " + first);
    }
    this.id = id;
    this.pretrained = pretrained;
    this.top = top;
    this.cache = cache;
    this.store = new ParameterStore(pretrained.manager(), false);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int dimension() {
    return pretrained.dimension();
  }

  public TunedTop top() {
    return top;
  }

  HiddenStateCache cache() {
    return cache;
  }

  @Override
  public float[] encode(String text) {
    return encodeAll(List.of(text)).get(0);
  }

  @Override
  public synchronized List<float[]> encodeAll(List<String> texts) {
    if (closed) {
      throw new IllegalStateException("encoder " + id + " is closed");
    }
    if (cache != null) {
      cache.fill(pretrained, texts, n -> { });
    }
    int d = dimension();
    return LengthSortedBatches.encode(texts, MiniLmEncoder.BATCH, batch -> {
      try (NDManager sub = pretrained.manager().newSubManager()) {
        float[] flat = embed(batch, sub, false).toFloatArray();
        float[][] vectors = new float[batch.size()][];
        for (int i = 0; i < vectors.length; i++) {
          vectors[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return vectors;
      }
    });
  }

  /** Pooled, normalised embeddings [B, H] of {@code batch}, differentiable w.r.t. the top when training. */
  NDArray embed(List<String> batch, NDManager nd, boolean training) {
    int layers = pretrained.block().config().layers();
    int first = layers - top.layers();
    NDList x;
    NDArray mask;
    if (cache != null) {
      List<CachedHidden> items = new ArrayList<>(batch.size());
      for (String t : batch) {
        items.add(cache.get(t));
      }
      NDList padded = PaddedHidden.of(items, dimension(), nd);
      mask = padded.get(1);
      x = new NDList(padded.get(0), BertLayerBlock.attentionBias(mask));
      x = pretrained.block().runLayers(store, x, cache.splitLayer(), first, false);
    } else {
      NDList tokens = TokenBatch.of(pretrained.tokenizer(), batch).toNd(nd);
      mask = tokens.get(2);
      x = pretrained.block().hidden(store, tokens, first, false);
    }
    NDList h = top.forward(store, x, training);
    return MiniLmBlock.meanPoolNormalise(h.get(0), mask);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (cache != null) {
      cache.close();
    }
    top.close();
    pretrained.close();
  }
}
