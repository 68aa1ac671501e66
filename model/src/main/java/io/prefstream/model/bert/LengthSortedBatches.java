package io.prefstream.model.bert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Encodes texts in batches of similar length, so a batch pads to its own longest text rather than the longest of
 * all, and returns the vectors in the callers' order. Shared by the pretrained and the tuned DJL encoders.
 */
final class LengthSortedBatches {
  private LengthSortedBatches() {}

  /** @param encodeBatch one vector per text of its batch, in the batch's order */
  static List<float[]> encode(List<String> texts, int batchSize, Function<List<String>, float[][]> encodeBatch) {
    Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
    float[][] out = new float[texts.size()][];
    for (int from = 0; from < order.length; from += batchSize) {
      int to = Math.min(order.length, from + batchSize);
      List<String> batch = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) {
        batch.add(texts.get(order[i]));
      }
      float[][] vectors = encodeBatch.apply(batch);
      for (int i = from; i < to; i++) {
        out[order[i]] = vectors[i - from];
      }
    }
    return Arrays.asList(out);
  }
}
