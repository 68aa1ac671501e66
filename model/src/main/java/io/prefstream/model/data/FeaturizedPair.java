package io.prefstream.model.data;

/** A preference record with the feature vectors of its chosen and rejected responses. */
public record FeaturizedPair(PreferenceRecord record, float[] chosen, float[] rejected) {}
