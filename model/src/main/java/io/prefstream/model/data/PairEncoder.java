package io.prefstream.model.data;

import io.prefstream.model.reward.PairFeaturizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Featurizes many records at once: every distinct text is embedded once (prompts recur across pairs),
 * in batches, with progress reported as texts are done.
 */
public final class PairEncoder {
  private static final int CHUNK = 64;

  private PairEncoder() {}

  public static List<FeaturizedPair> encode(PairFeaturizer featurizer, List<PreferenceRecord> records,
      IntConsumer progressTextsDone) {
    Map<String, float[]> emb = new LinkedHashMap<>();
    for (PreferenceRecord r : records) {
      if (featurizer.usesPrompt()) {
        emb.put(r.prompt(), null);
      }
      emb.put(r.chosen(), null);
      emb.put(r.rejected(), null);
    }
    List<String> texts = new ArrayList<>(emb.keySet());
    for (int i = 0; i < texts.size(); i += CHUNK) {
      List<String> chunk = texts.subList(i, Math.min(texts.size(), i + CHUNK));
      List<float[]> vs = featurizer.encoder().encodeAll(chunk);
      for (int j = 0; j < chunk.size(); j++) {
        emb.put(chunk.get(j), vs.get(j));
      }
      if (progressTextsDone != null) {
        progressTextsDone.accept(i + chunk.size());
      }
    }
    List<FeaturizedPair> out = new ArrayList<>(records.size());
    for (PreferenceRecord r : records) {
      float[] p = emb.get(r.prompt());
      out.add(new FeaturizedPair(r, featurizer.combine(p, emb.get(r.chosen()), r.chosen()),
          featurizer.combine(p, emb.get(r.rejected()), r.rejected())));
    }
    return out;
  }
}
