package io.prefstream.model.encoder;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a text into a fixed-size, L2-normalised embedding. The stage-1 "base LM" of the reward model,
 * behind one small interface so that a GPU or fine-tuned encoder can replace the default.
 *
 * <p>Implementations are thread-safe: the scorer calls them from many threads at once.
 */
public interface TextEncoder extends AutoCloseable {

  /** Stable identifier of the encoder and its weights; stored in checkpoints so mismatches are caught. */
  String id();

  /** Length of every vector {@link #encode} returns. */
  int dimension();

  /** The L2-normalised embedding of {@code text} (a fresh array the caller may keep or modify). */
  float[] encode(String text);

  /** Embeds many texts; implementations override this when batching is faster. */
  default List<float[]> encodeAll(List<String> texts) {
    List<float[]> out = new ArrayList<>(texts.size());
    for (String t : texts) {
      out.add(encode(t));
    }
    return out;
  }

  @Override
  void close();
}
