package io.prefstream.deploy.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.prefstream.ingest.IngestService;
import io.prefstream.learner.LearnerService;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/**
 * Which errors ingest and the learner treat as "Kafka was away" (replace the thread / recreate the producer and
 * replay) and which stay fatal. The broker-restart tests reach these paths only when the outage lands at the right
 * moment; this pins the classification itself, including the exact shapes seen in those runs.
 */
class TransientKafkaErrorsTest {
  @Test
  void ingestReplacesThreadsOnlyForOutageErrors() {
    // seen: a changelog send timed out while the broker was away
    assertThat(IngestService.transientKafkaCause(new StreamsException("Error encountered sending record",
        new TimeoutException("Expiring 3 record(s)")))).isEqualTo("TimeoutException");
    // seen: a punctuator sent while a timed-out commit was pending in the producer
    IllegalStateException pending = new IllegalStateException(
        "Cannot attempt operation `send` because the previous call to `commitTransaction` timed out and must be retried");
    pending.setStackTrace(new StackTraceElement[] {new StackTraceElement(
        "org.apache.kafka.clients.producer.internals.TransactionManager", "throwIfPendingState", null, 1272)});
    assertThat(IngestService.transientKafkaCause(new StreamsException("punctuating", pending)))
        .isEqualTo("PendingTransactionCommit");
    assertThat(IngestService.transientKafkaCause(new StreamsException(new ProducerFencedException("bumped"))))
        .isEqualTo("ProducerFencedException");
    assertThat(IngestService.transientKafkaCause(new InvalidPidMappingException("expired"))).isNotNull();

    // our own bugs and bad input would fail the same way again: not replaced
    assertThat(IngestService.transientKafkaCause(new StreamsException(new IllegalStateException("a bug of ours"))))
        .isNull();
    assertThat(IngestService.transientKafkaCause(new StreamsException(new NullPointerException()))).isNull();
    assertThat(IngestService.transientKafkaCause(new SerializationException("bad bytes"))).isNull();
    assertThat(IngestService.transientKafkaCause(new StreamsException(new AuthorizationException("no ACL"))))
        .isNull();
  }

  @Test
  void learnerReplaysOnlyForOutageErrors() {
    // seen: sendOffsetsToTransaction timed out while the broker was away
    assertThat(LearnerService.transientKafkaCause(new TimeoutException(
        "Timeout expired after 8000ms while awaiting TxnOffsetCommitHandler"))).isEqualTo("TimeoutException");
    assertThat(LearnerService.transientKafkaCause(new KafkaException("commit failed",
        new InvalidPidMappingException("expired")))).isEqualTo("InvalidPidMappingException");
    assertThat(LearnerService.transientKafkaCause(new CommitFailedException("generation moved on")))
        .isEqualTo("CommitFailedException");

    assertThat(LearnerService.transientKafkaCause(new IllegalArgumentException("bad batch"))).isNull();
    assertThat(LearnerService.transientKafkaCause(new OutOfOrderSequenceException("lost data"))).isNull();
    assertThat(LearnerService.transientKafkaCause(new AuthorizationException("no ACL"))).isNull();
  }
}
