package io.prefstream.model.bert;

/**
 * How the shared encoder's top layers and the reward heads are fine-tuned on everyone's pairs.
 *
 * @param topLayers transformer layers tuned (the rest stay frozen, their output cached)
 * @param epochs passes over the DSP train prompts
 * @param userPromptsPerStep prompts of user (DSP) data per step; all their pairs are in the step, so each distinct
 *     response is encoded once for the several pairs it appears in
 * @param generalPairsPerStep general (user-less) pairs per step, cycled through the general train set
 * @param encoderLr Adam learning rate of the transformer layers
 * @param headLr Adam learning rate of the base head and the per-domain generic heads
 * @param marginScale Bradley–Terry margin per unit of strength ({@code PreferenceLoss})
 * @param distillWeight weight of ‖e_tuned − e_pretrained‖² on preferred responses (keeps general ability)
 * @param userCap per-user cap on influence
 * @param seed shuffling seed
 */
public record EncoderTuneConfig(int topLayers, int epochs, int userPromptsPerStep, int generalPairsPerStep,
    float encoderLr, float headLr, float marginScale, float distillWeight, UserCap userCap, long seed) {

  public EncoderTuneConfig {
    if (topLayers < 1) {
      throw new IllegalArgumentException("topLayers must be >= 1, got " + topLayers);
    }
    if (epochs < 1 || userPromptsPerStep < 1 || generalPairsPerStep < 0) {
      throw new IllegalArgumentException("epochs and userPromptsPerStep must be >= 1 and generalPairsPerStep >= 0");
    }
  }

  /** What the quality table measured best on 2 CPU cores: k = 2, one epoch (see the module README). */
  public static EncoderTuneConfig defaults() {
    return new EncoderTuneConfig(2, 1, 2, 4, 1e-4f, 3e-3f, 0.5f, 1.0f, UserCap.median(), 7);
  }

  public EncoderTuneConfig withTopLayers(int k) {
    return new EncoderTuneConfig(k, epochs, userPromptsPerStep, generalPairsPerStep, encoderLr, headLr, marginScale,
        distillWeight, userCap, seed);
  }

  public EncoderTuneConfig withEpochs(int e) {
    return new EncoderTuneConfig(topLayers, e, userPromptsPerStep, generalPairsPerStep, encoderLr, headLr,
        marginScale, distillWeight, userCap, seed);
  }

  public EncoderTuneConfig withUserCap(UserCap cap) {
    return new EncoderTuneConfig(topLayers, epochs, userPromptsPerStep, generalPairsPerStep, encoderLr, headLr,
        marginScale, distillWeight, cap, seed);
  }
}
