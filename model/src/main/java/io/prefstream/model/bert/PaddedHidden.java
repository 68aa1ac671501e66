package io.prefstream.model.bert;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/** Cached per-text activations right-padded into one batch: {@code (hidden [B,T,H], mask [B,T] int64)}. */
final class PaddedHidden {
  private PaddedHidden() {}

  static NDList of(List<CachedHidden> items, int hidden, NDManager nd) {
    int b = items.size();
    int t = 1;
    for (CachedHidden c : items) {
      t = Math.max(t, c.tokens());
    }
    float[] h = new float[b * t * hidden];
    long[] mask = new long[b * t];
    for (int i = 0; i < b; i++) {
      CachedHidden c = items.get(i);
      System.arraycopy(c.hidden(), 0, h, i * t * hidden, c.tokens() * hidden);
      for (int j = 0; j < c.tokens(); j++) {
        mask[i * t + j] = 1;
      }
    }
    return new NDList(nd.create(h, new Shape(b, t, hidden)), nd.create(mask, new Shape(b, t)));
  }
}
