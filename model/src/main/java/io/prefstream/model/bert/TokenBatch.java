package io.prefstream.model.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Token ids, type ids and attention mask of a batch of texts, right-padded to the longest text.
 *
 * @param lengths real tokens per text (special tokens included)
 */
public record TokenBatch(int size, int maxTokens, long[] ids, long[] types, long[] mask, int[] lengths) {

  public static TokenBatch of(HuggingFaceTokenizer tokenizer, List<String> texts) {
    Encoding[] encodings = tokenizer.batchEncode(texts);
    int b = encodings.length;
    int t = 1;
    for (Encoding e : encodings) {
      t = Math.max(t, e.getIds().length);
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    long[] types = new long[b * t];
    int[] lengths = new int[b];
    for (int i = 0; i < b; i++) {
      long[] eIds = encodings[i].getIds();
      lengths[i] = eIds.length;
      System.arraycopy(eIds, 0, ids, i * t, eIds.length);
      System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * t, eIds.length);
      System.arraycopy(encodings[i].getTypeIds(), 0, types, i * t, eIds.length);
    }
    return new TokenBatch(b, t, ids, types, mask, lengths);
  }

  /** {@code (input_ids, token_type_ids, attention_mask)}, each [B, T] int64, on {@code nd}'s device. */
  public NDList toNd(NDManager nd) {
    Shape s = new Shape(size, maxTokens);
    return new NDList(nd.create(ids, s), nd.create(types, s), nd.create(mask, s));
  }

  public NDArray maskNd(NDManager nd) {
    return nd.create(mask, new Shape(size, maxTokens));
  }
}
