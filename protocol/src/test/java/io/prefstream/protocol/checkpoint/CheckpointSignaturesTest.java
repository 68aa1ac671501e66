package io.prefstream.protocol.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prefstream.protocol.checkpoint.CheckpointVerifier.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointSignaturesTest {
  private static final SigningKey K1 = key("k1", 1);
  private static final SigningKey K2 = key("k2", 2);
  private static final byte[] KEY = "dsp-academy\0academy".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VALUE = "checkpoint bytes".getBytes(StandardCharsets.UTF_8);

  @Test
  void aSignedRecordVerifiesAndAnyChangeToKeyOrValueBreaksIt() {
    Headers h = signed(K1, KEY, VALUE);
    CheckpointVerifier v = new CheckpointVerifier(List.of(K1));
    assertThat(v.verify(KEY, VALUE, h)).isEqualTo(Verdict.VALID);
    byte[] flipped = VALUE.clone();
    flipped[3] ^= 1;
    assertThat(v.verify(KEY, flipped, h)).isEqualTo(Verdict.BAD_SIGNATURE);
    assertThat(v.verify("dsp-business\0academy".getBytes(StandardCharsets.UTF_8), VALUE, h))
        .as("a signature cannot be moved to another user's key").isEqualTo(Verdict.BAD_SIGNATURE);
  }

  @Test
  void tombstonesAreSignedOverKeyAndAbsentValueAndAreNotInterchangeableWithEmptyValues() {
    CheckpointVerifier v = new CheckpointVerifier(List.of(K1));
    Headers tombstone = signed(K1, KEY, null);
    assertThat(v.verify(KEY, null, tombstone)).isEqualTo(Verdict.VALID);
    assertThat(v.verify(KEY, new byte[0], tombstone)).isEqualTo(Verdict.BAD_SIGNATURE);
    assertThat(v.verify(KEY, null, signed(K1, KEY, new byte[0]))).isEqualTo(Verdict.BAD_SIGNATURE);
    assertThat(v.verify(KEY, null, new RecordHeaders())).isEqualTo(Verdict.UNSIGNED);
    assertThat(v.verify("other\0d".getBytes(StandardCharsets.UTF_8), null, tombstone))
        .as("a signed tombstone deletes only the key it was signed for").isEqualTo(Verdict.BAD_SIGNATURE);
  }

  @Test
  void unsignedUnknownKeyAndWrongSecretAreEachRefused() {
    CheckpointVerifier v = new CheckpointVerifier(List.of(K1));
    assertThat(v.verify(KEY, VALUE, new RecordHeaders())).isEqualTo(Verdict.UNSIGNED);
    assertThat(v.verify(KEY, VALUE, null)).isEqualTo(Verdict.UNSIGNED);
    assertThat(v.verify(KEY, VALUE, signed(K2, KEY, VALUE))).isEqualTo(Verdict.UNKNOWN_KEY);
    SigningKey impostor = key("k1", 99); // right id, wrong secret
    assertThat(v.verify(KEY, VALUE, signed(impostor, KEY, VALUE))).isEqualTo(Verdict.BAD_SIGNATURE);
    Headers noId = new RecordHeaders();
    noId.add(new RecordHeader(CheckpointSignatures.SIGNATURE_HEADER, CheckpointSignatures.compute(K1, KEY, VALUE)));
    assertThat(v.verify(KEY, VALUE, noId)).isEqualTo(Verdict.UNKNOWN_KEY);
    Headers truncated = signed(K1, KEY, VALUE);
    byte[] sig = truncated.lastHeader(CheckpointSignatures.SIGNATURE_HEADER).value();
    truncated.remove(CheckpointSignatures.SIGNATURE_HEADER);
    truncated.add(new RecordHeader(CheckpointSignatures.SIGNATURE_HEADER, java.util.Arrays.copyOf(sig, 16)));
    assertThat(v.verify(KEY, VALUE, truncated)).isEqualTo(Verdict.BAD_SIGNATURE);
  }

  @Test
  void aVerifierHoldingTheOldAndNewKeyAcceptsBothWhileKeysRotate() {
    CheckpointVerifier v = new CheckpointVerifier(List.of(K2, K1));
    assertThat(v.verify(KEY, VALUE, signed(K1, KEY, VALUE))).isEqualTo(Verdict.VALID);
    assertThat(v.verify(KEY, VALUE, signed(K2, KEY, VALUE))).isEqualTo(Verdict.VALID);
    assertThatThrownBy(() -> new CheckpointVerifier(List.of(K1, key("k1", 5))))
        .hasMessageContaining("share the id 'k1'");
    assertThatThrownBy(() -> new CheckpointVerifier(List.of())).hasMessageContaining("at least one");
  }

  @Test
  void resigningReplacesTheOldSignatureAndLeavesOtherHeaders() {
    Headers h = new RecordHeaders();
    h.add(new RecordHeader("prefstream.newest-event-ms", "5".getBytes(StandardCharsets.UTF_8)));
    new CheckpointSigner(K2).sign(h, KEY, VALUE);
    new CheckpointSigner(K1).sign(h, KEY, VALUE);
    assertThat(h.headers(CheckpointSignatures.SIGNATURE_HEADER)).hasSize(1);
    assertThat(h.headers(CheckpointSignatures.KEY_ID_HEADER)).hasSize(1);
    assertThat(h.lastHeader("prefstream.newest-event-ms")).isNotNull();
    assertThat(new CheckpointVerifier(List.of(K1)).verify(KEY, VALUE, h)).isEqualTo(Verdict.VALID);
  }

  @Test
  void theSignatureIsHmacSha256OverTheDocumentedEncoding() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write("prefstream.checkpoint.hmac-sha256.v1\0".getBytes(StandardCharsets.US_ASCII));
    out.writeInt(2);
    out.write("k1".getBytes(StandardCharsets.UTF_8));
    out.writeInt(KEY.length);
    out.write(KEY);
    out.writeInt(VALUE.length);
    out.write(VALUE);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret(1), "HmacSHA256"));
    assertThat(CheckpointSignatures.compute(K1, KEY, VALUE)).isEqualTo(mac.doFinal(bytes.toByteArray()))
        .hasSize(CheckpointSignatures.SIGNATURE_BYTES);
  }

  @Test
  void keysComeFromBase64OrAFileAndBadKeysAreClearErrors(@TempDir Path dir) throws Exception {
    String b64 = Base64.getEncoder().encodeToString(secret(1));
    assertThat(SigningKey.fromConfig(Map.of("checkpoint.signing.key", b64), "checkpoint.signing."))
        .contains(K1);
    Path file = dir.resolve("key");
    Files.writeString(file, b64 + "\n");
    assertThat(SigningKey.fromConfig(Map.of("checkpoint.signing.key.file", file.toString(),
        "checkpoint.signing.key.id", "k2"), "checkpoint.signing.")).contains(new SigningKey("k2", secret(1)));
    assertThat(SigningKey.fromConfig(Map.of(), "checkpoint.signing.")).isEmpty();
    assertThat(SigningKey.fromBase64("u", Base64.getUrlEncoder().encodeToString(secret(3))))
        .isEqualTo(new SigningKey("u", secret(3)));

    assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("checkpoint.signing.key",
        Base64.getEncoder().encodeToString(new byte[16])), "checkpoint.signing."))
        .hasMessageContaining("checkpoint.signing.key").hasMessageContaining("16 bytes").hasMessageContaining("32");
    assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("checkpoint.signing.key", "not base64 at all!"),
        "checkpoint.signing.")).hasMessageContaining("checkpoint.signing.key").hasMessageContaining("base64");
    assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("checkpoint.signing.key", b64,
        "checkpoint.signing.key.file", file.toString()), "checkpoint.signing.")).hasMessageContaining("not both");
    assertThatThrownBy(() -> SigningKey.fromConfig(Map.of("checkpoint.signing.key.file",
        dir.resolve("missing").toString()), "checkpoint.signing."))
        .hasMessageContaining("checkpoint.signing.key.file").hasMessageContaining("missing");
    assertThatThrownBy(() -> new SigningKey("bad id", secret(1))).hasMessageContaining("'bad id'");
    assertThat(K1.toString()).doesNotContain(b64).isEqualTo("SigningKey[k1]");
  }

  private static Headers signed(SigningKey k, byte[] key, byte[] value) {
    Headers h = new RecordHeaders();
    new CheckpointSigner(k).sign(h, key, value);
    return h;
  }

  private static SigningKey key(String id, long seed) {
    return new SigningKey(id, secret(seed));
  }

  private static byte[] secret(long seed) {
    byte[] b = new byte[32];
    new Random(seed).nextBytes(b);
    return b;
  }
}
