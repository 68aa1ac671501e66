package io.prefstream.model.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with the offline commands' on-disk caches (embeddings, frozen-layer activations) off, so tests
 * never write under the home folder, and puts the settings back after.
 */
final class NoDiskCaches implements BeforeAllCallback, AfterAllCallback {
  private static final List<String> PROPERTIES = List.of("prefstream.embedding.cache", "prefstream.hidden.cache");
  private final Map<String, String> previous = new HashMap<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    for (String p : PROPERTIES) {
      previous.put(p, System.getProperty(p));
      System.setProperty(p, "");
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (String p : PROPERTIES) {
      if (previous.get(p) == null) {
        System.clearProperty(p);
      } else {
        System.setProperty(p, previous.get(p));
      }
    }
  }
}
