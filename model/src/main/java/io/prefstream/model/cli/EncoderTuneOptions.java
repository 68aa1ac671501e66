package io.prefstream.model.cli;

import io.prefstream.model.bert.EncoderTuneConfig;
import io.prefstream.model.bert.UserCap;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The encoder-tuning options shared by {@code tune-encoder} and {@code bench quality} (same names in both, so a
 * setting measured in the table is passed unchanged to the real run). The number of layers is each command's own:
 * the table's default is no tuning, {@code tune-encoder}'s is two layers.
 */
public class EncoderTuneOptions {
  @Option(names = "--tune-epochs", defaultValue = "1", description = "Passes over the pairs (default: ${DEFAULT-VALUE})")
  int epochs;
  @Option(names = "--tune-user-prompts-per-step", defaultValue = "2",
      description = "Prompts of user pairs per step, all their pairs together (default: ${DEFAULT-VALUE})")
  int promptsPerStep;
  @Option(names = "--tune-general-pairs-per-step", defaultValue = "4",
      description = "General pairs replayed per step (default: ${DEFAULT-VALUE})")
  int generalPerStep;
  @Option(names = "--tune-encoder-lr", defaultValue = "1e-4", description = "Adam rate of the tuned layers (default: ${DEFAULT-VALUE})")
  float encoderLr;
  @Option(names = "--tune-head-lr", defaultValue = "3e-3", description = "Adam rate of the heads (default: ${DEFAULT-VALUE})")
  float headLr;
  @Option(names = "--tune-distill", defaultValue = "1.0",
      description = "Weight of the feature-distillation loss toward the pretrained embedding of preferred responses "
          + "(default: ${DEFAULT-VALUE})")
  float distill;
  @Option(names = "--tune-user-cap", defaultValue = "median",
      description = "Per-user cap on the pairs' total weight: median, none, or a number of pairs (default: ${DEFAULT-VALUE})")
  String userCap;
  @Option(names = "--tune-seed", defaultValue = "7") long seed;

  /** The tuning configuration, or a usage error of {@code command} naming what is valid. */
  EncoderTuneConfig config(int topLayers, float marginScale, CommandLine command) {
    UserCap cap = switch (userCap) {
      case "median" -> UserCap.median();
      case "none" -> UserCap.none();
      default -> {
        try {
          yield UserCap.fixed(Integer.parseInt(userCap));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(command,
              "--tune-user-cap must be median, none or a positive number of pairs, got '" + userCap + "'");
        }
      }
    };
    try {
      return new EncoderTuneConfig(topLayers, epochs, promptsPerStep, generalPerStep, encoderLr, headLr, marginScale,
          distill, cap, seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(command, e.getMessage());
    }
  }
}
