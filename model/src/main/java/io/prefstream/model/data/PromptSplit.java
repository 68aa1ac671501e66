package io.prefstream.model.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic train/test split by prompt: every pair of a prompt lands on the same side, so test
 * prompts are never seen in training. A prompt is in the test part when the first 4 bytes of its
 * SHA-256, as an unsigned number, fall in the lowest {@code testPercent} percent.
 */
public final class PromptSplit {
  private PromptSplit() {}

  public record Parts(List<PreferenceRecord> train, List<PreferenceRecord> test) {}

  public static Parts split(List<PreferenceRecord> records, int testPercent) {
    if (testPercent < 0 || testPercent > 100) {
      throw new IllegalArgumentException("testPercent must be in [0, 100], got " + testPercent);
    }
    List<PreferenceRecord> train = new ArrayList<>();
    List<PreferenceRecord> test = new ArrayList<>();
    for (PreferenceRecord r : records) {
      (isTest(r.prompt(), testPercent) ? test : train).add(r);
    }
    return new Parts(train, test);
  }

  public static boolean isTest(String prompt, int testPercent) {
    byte[] h = hash(prompt);
    long v = ((h[0] & 0xffL) << 24) | ((h[1] & 0xffL) << 16) | ((h[2] & 0xffL) << 8) | (h[3] & 0xffL);
    return v * 100 < (long) testPercent * (1L << 32);
  }

  /** The SHA-256 of the prompt's UTF-8 bytes, which the split is decided by. */
  public static byte[] hash(String prompt) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
