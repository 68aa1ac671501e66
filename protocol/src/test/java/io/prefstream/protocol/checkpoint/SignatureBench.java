package io.prefstream.protocol.checkpoint;

import java.util.List;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Cost of signing and verifying one {@code models} record (not a test: a main that prints what it measured).
 * Argument: the value size in bytes (a 768-weight fp16 checkpoint is about 1744).
 *
 * <pre>
 * ./mvnw -B -o -q -pl protocol test-compile
 * java -cp protocol/target/classes:protocol/target/test-classes:$HOME/.m2/repository/org/apache/kafka/kafka-clients/4.3.1/kafka-clients-4.3.1.jar \
 *   io.prefstream.protocol.checkpoint.SignatureBench 1744
 * </pre>
 */
public final class SignatureBench {
  private SignatureBench() {}

  public static void main(String[] args) {
    byte[] secret = new byte[32];
    new Random(1).nextBytes(secret);
    SigningKey k = new SigningKey("k1", secret);
    CheckpointSigner signer = new CheckpointSigner(k);
    CheckpointVerifier verifier = new CheckpointVerifier(List.of(k));
    byte[] key = "user/academy/dsp-academy".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] value = new byte[args.length > 0 ? Integer.parseInt(args[0]) : 1744];
    new Random(2).nextBytes(value);
    int n = 200_000;
    for (int round = 1; round <= 5; round++) {
      long t0 = System.nanoTime();
      RecordHeaders h = null;
      for (int i = 0; i < n; i++) {
        h = new RecordHeaders();
        signer.sign(h, key, value);
      }
      long t1 = System.nanoTime();
      int valid = 0;
      for (int i = 0; i < n; i++) {
        if (verifier.verify(key, value, h) == CheckpointVerifier.Verdict.VALID) {
          valid++;
        }
      }
      long t2 = System.nanoTime();
      System.out.printf("round %d, value %d B: sign %.2f us/record, verify %.2f us/record (%d of %d valid)%n", round,
          value.length, (t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / n, valid, n);
    }
  }
}
