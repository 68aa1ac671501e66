package io.prefstream.scorer.registry;

/** Why a checkpoint record was refused; the value is the {@code reason} tag of the refused-checkpoints metric. */
public enum RefusalReason {
  /** Bad magic, CRC mismatch or truncated. */
  CORRUPT("corrupt"),
  /** Unknown format version or kind, or feature dimensions other than this scorer's. */
  INCOMPATIBLE("incompatible"),
  /** A base trained on another text encoder than the one this scorer runs. */
  ENCODER_MISMATCH("encoder_mismatch"),
  /** The record key is not a model key, or names another model than the checkpoint holds. */
  BAD_KEY("bad_key"),
  /** Signatures are required (a signing key is configured) and the record carries none. */
  UNSIGNED("unsigned"),
  /** The record's signature does not verify, or names a key this scorer does not trust. */
  BAD_SIGNATURE("bad_signature");

  private final String tag;

  RefusalReason(String tag) {
    this.tag = tag;
  }

  public String tag() {
    return tag;
  }
}
