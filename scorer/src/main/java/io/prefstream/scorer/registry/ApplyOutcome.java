package io.prefstream.scorer.registry;

/** What the registry did with one record of the {@code models} topic. */
public enum ApplyOutcome {
  /** A newer base was loaded and swapped in with its customized models. */
  BASE_SWAPPED,
  /** The base already serving (the base is written to every partition, so each copy after the first lands here). */
  BASE_DUPLICATE,
  /** An older base than the one serving; ignored. */
  BASE_STALE,
  /** A customized model was swapped in. */
  INDIVIDUAL_SWAPPED,
  /** A customized model built on a base not loaded yet; held until that base arrives. */
  INDIVIDUAL_PENDING,
  /** Older than the version already held for that key; ignored. */
  INDIVIDUAL_STALE,
  /** A tombstone: the (user, domain) model was forgotten. */
  DELETED,
  /** Refused (corrupt, incompatible, wrong encoder, bad key); the previous version keeps serving. */
  REFUSED
}
