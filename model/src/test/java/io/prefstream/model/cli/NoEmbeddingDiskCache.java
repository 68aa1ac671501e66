package io.prefstream.model.cli;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Runs a test class with the offline commands' on-disk embedding cache off, and puts the setting back after. */
final class NoEmbeddingDiskCache implements BeforeAllCallback, AfterAllCallback {
  private static final String PROPERTY = "prefstream.embedding.cache";
  private String previous;

  @Override
  public void beforeAll(ExtensionContext context) {
    previous = System.getProperty(PROPERTY);
    System.setProperty(PROPERTY, "");
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (previous == null) {
      System.clearProperty(PROPERTY);
    } else {
      System.setProperty(PROPERTY, previous);
    }
  }
}
