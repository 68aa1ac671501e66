/**
 * Optional signatures on {@code models} records: the learner signs each checkpoint and tombstone with a configured
 * HMAC-SHA256 key ({@link io.prefstream.protocol.checkpoint.CheckpointSigner}), a scorer configured with the key serves
 * only records whose signature verifies ({@link io.prefstream.protocol.checkpoint.CheckpointVerifier}). The signature
 * is on top of the checkpoint's own CRC32C: the CRC catches corruption, the signature catches a writer that does not
 * hold the key, even one whose Kafka ACLs let it write to {@code models}.
 */
package io.prefstream.protocol.checkpoint;
