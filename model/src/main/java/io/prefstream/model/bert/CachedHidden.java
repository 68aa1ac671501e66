package io.prefstream.model.bert;

/**
 * A text's frozen lower-layer output and its pretrained embedding.
 *
 * @param hidden the hidden states after the frozen layers, [tokens, H] row-major, real tokens only
 * @param original the pretrained encoder's pooled, normalised embedding of the same text (the anchor of the
 *     feature-distillation loss)
 */
public record CachedHidden(int tokens, float[] hidden, float[] original) {}
