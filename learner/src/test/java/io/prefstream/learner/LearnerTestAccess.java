package io.prefstream.learner;

import io.prefstream.protocol.batch.TrainingBatch;
import java.nio.file.Path;
import java.util.List;

/** Public door to the package-private test helpers for tests in sub-packages. */
public final class LearnerTestAccess {
  public static final String HASHING = LearnerTestSupport.HASHING;

  private LearnerTestAccess() {}

  public static List<Path> generalData() {
    return LearnerTestSupport.generalData();
  }

  public static List<TrainingBatch> dspBatches(int size) {
    return LearnerTestSupport.batches(LearnerTestSupport.dspEvents(), size);
  }
}
