package io.prefstream.ingest.topology;

import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.batch.TrainingBatchCodec;
import io.prefstream.protocol.event.EventParser;
import io.prefstream.protocol.event.ParseResult;
import io.prefstream.protocol.event.PreferenceEvent;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the events of each (userId, domain) in processing-time windows aligned to multiples of the window length
 * and emits a {@link TrainingBatch} when the window closes, or early when the batch reaches its event or byte limit.
 * Several batches of one window are numbered by a sequence, so batch ids {@code userId/domain/windowStart/seq} are
 * unique.
 *
 * <p>The pending events live in a changelogged store (one entry per event) and are mirrored in memory in the order
 * their windows opened, so that closing windows scans only the windows that are due. A tombstone for a user flushes
 * that user's pending batches and is then forwarded, so the learner sees the user's last batches before the
 * deletion.
 */
final class BatchingProcessor implements Processor<String, Outcome, String, byte[]> {
  private static final Logger log = LoggerFactory.getLogger(BatchingProcessor.class);
  /** JSON overhead of one event inside a batch beyond its original bytes (normalized strength, timestamp). */
  private static final int EVENT_OVERHEAD_BYTES = 64;
  private static final int BATCH_OVERHEAD_BYTES = 512;

  private final String storeName;
  private final long windowMs;
  private final int maxEvents;
  private final int maxBytes;
  private final Duration punctuateEvery;
  private final IngestMetrics metrics;
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<Bytes, byte[]> store;
  /** Open batches in the order their windows opened; key is {@code userId + '\0' + domain}. */
  private final LinkedHashMap<String, Pending> open = new LinkedHashMap<>();
  /** The latest window start this task has opened, so that a clock stepping back cannot reopen a closed window. */
  private long newestWindowStart = Long.MIN_VALUE;

  BatchingProcessor(String storeName, Duration window, int maxEvents, int maxBytes, IngestMetrics metrics) {
    this.storeName = storeName;
    this.windowMs = window.toMillis();
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.metrics = metrics;
    // A quarter of the window keeps the close-to-emit delay small; 250 ms caps the work for long windows.
    this.punctuateEvery = Duration.ofMillis(Math.max(1, Math.min(250, windowMs / 4)));
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    open.clear();
    newestWindowStart = Long.MIN_VALUE;
    restore();
    context.schedule(punctuateEvery, PunctuationType.WALL_CLOCK_TIME, this::closeDueWindows);
  }

  @Override
  public void process(Record<String, Outcome> record) {
    long now = context.currentSystemTimeMs();
    if (record.value() instanceof Outcome.Forget forget) {
      forget(forget.userId(), now, record);
      return;
    }
    Outcome.Accepted accepted = (Outcome.Accepted) record.value();
    PreferenceEvent event = accepted.event();
    String pairKey = event.userId() + '\0' + event.domain();
    Pending batch = open.get(pairKey);
    if (batch != null && now >= batch.windowStart + windowMs) {
      // The punctuator has not run since this window ended: close it before the event opens the next one.
      closeWindow(pairKey, batch, now);
      batch = null;
    }
    if (batch == null) {
      batch = new Pending(event.userId(), event.domain(), nextWindowStart(now), 0);
      open.put(pairKey, batch);
      store.put(PendingKeys.header(batch.userId, batch.domain), PendingKeys.headerValue(batch.windowStart, 0));
    }
    int size = accepted.rawValue().length + EVENT_OVERHEAD_BYTES;
    if (!batch.events.isEmpty() && batch.bytes + size > maxBytes) {
      emitEarly(batch, now, "bytes");
    }
    int index = batch.nextIndex++;
    batch.events.add(new Buffered(event, accepted.recordTimestampMs(), index));
    batch.bytes += size;
    metrics.pending(1);
    store.put(PendingKeys.event(batch.userId, batch.domain, index),
        PendingKeys.eventValue(accepted.recordTimestampMs(), accepted.rawValue()));
    if (batch.events.size() >= maxEvents) {
      emitEarly(batch, now, "size");
    } else if (batch.bytes >= maxBytes) {
      emitEarly(batch, now, "bytes");
    }
  }

  /**
   * The aligned window holding {@code now}, unless the wall clock went back behind a window this task already opened:
   * reopening a closed window would repeat batch ids, so the event goes to the window after the newest one instead
   * (it then closes a little late).
   */
  private long nextWindowStart(long now) {
    long aligned = now - Math.floorMod(now, windowMs);
    long start = aligned < newestWindowStart ? newestWindowStart + windowMs : aligned;
    newestWindowStart = Math.max(newestWindowStart, start);
    return start;
  }

  private void forget(String userId, long now, Record<String, Outcome> record) {
    for (Pending batch : new ArrayList<>(open.values())) {
      if (batch.userId.equals(userId) && !batch.events.isEmpty()) {
        emitEarly(batch, now, "forget");
      }
    }
    metrics.userForgotten();
    context.forward(new Record<String, byte[]>(userId, null, now, record.headers()));
  }

  private void closeDueWindows(long now) {
    for (Iterator<Map.Entry<String, Pending>> it = open.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Pending> e = it.next();
      Pending batch = e.getValue();
      if (now < batch.windowStart + windowMs) {
        break; // windows opened later end later
      }
      it.remove();
      finishWindow(batch, now);
    }
  }

  private void closeWindow(String pairKey, Pending batch, long now) {
    open.remove(pairKey);
    finishWindow(batch, now);
  }

  private void finishWindow(Pending batch, long now) {
    if (!batch.events.isEmpty()) {
      emit(batch, now, "window", false);
      deleteEvents(batch);
    }
    store.delete(PendingKeys.header(batch.userId, batch.domain));
  }

  /** Emits the batch before its window closes; the window stays open for later events under the next sequence. */
  private void emitEarly(Pending batch, long now, String trigger) {
    emit(batch, now, trigger, true);
    deleteEvents(batch);
    batch.seq++;
    batch.nextIndex = 0;
    batch.bytes = BATCH_OVERHEAD_BYTES;
    batch.events.clear();
    store.put(PendingKeys.header(batch.userId, batch.domain), PendingKeys.headerValue(batch.windowStart, batch.seq));
  }

  private void emit(Pending batch, long now, String trigger, boolean closedEarly) {
    List<PreferenceEvent> events = new ArrayList<>(batch.events.size());
    for (Buffered b : batch.events) {
      events.add(b.event);
      metrics.lag(now - b.recordTimestampMs);
    }
    TrainingBatch out = new TrainingBatch(
        batch.userId + "/" + batch.domain + "/" + batch.windowStart + "/" + batch.seq, batch.userId, batch.domain,
        batch.windowStart, batch.windowStart + windowMs, closedEarly && !"forget".equals(trigger), events);
    context.forward(new Record<>(batch.userId, TrainingBatchCodec.encode(out), now));
    metrics.batchOut(trigger, events.size());
    metrics.pending(-events.size());
  }

  private void deleteEvents(Pending batch) {
    for (Buffered b : batch.events) {
      store.delete(PendingKeys.event(batch.userId, batch.domain, b.index));
    }
  }

  /** Rebuilds the in-memory view from the store after a restart or a task migration. */
  private void restore() {
    Map<String, Pending> byPair = new LinkedHashMap<>();
    List<KeyValue<Bytes, byte[]>> corrupt = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> kv = it.next();
        PendingKeys.Parsed k = PendingKeys.parse(kv.key);
        String pairKey = k.userId() + '\0' + k.domain();
        Pending batch = byPair.computeIfAbsent(pairKey, p -> new Pending(k.userId(), k.domain(), Long.MIN_VALUE, 0));
        ByteBuffer v = ByteBuffer.wrap(kv.value);
        if (k.kind() == PendingKeys.HEADER) {
          batch.windowStart = v.getLong();
          batch.seq = v.getInt();
        } else {
          long ts = v.getLong();
          byte[] raw = Arrays.copyOfRange(kv.value, 8, kv.value.length);
          ParseResult r = EventParser.parse(raw, ts);
          if (r instanceof ParseResult.Valid valid) {
            batch.events.add(new Buffered(valid.event(), ts, k.index()));
            batch.bytes += raw.length + EVENT_OVERHEAD_BYTES;
            batch.nextIndex = Math.max(batch.nextIndex, k.index() + 1);
          } else {
            corrupt.add(kv);
          }
        }
      }
    }
    for (KeyValue<Bytes, byte[]> kv : corrupt) {
      log.error("dropping unreadable pending event {} from the store (it was valid when stored)", kv.key);
      store.delete(kv.key);
    }
    List<Pending> restored = new ArrayList<>();
    for (Pending p : byPair.values()) {
      if (p.windowStart == Long.MIN_VALUE) {
        // Events without a header: a header write cannot be lost under exactly-once, but stay safe.
        p.windowStart = 0;
      }
      p.events.sort(Comparator.comparingInt(b -> b.index));
      restored.add(p);
    }
    restored.sort(Comparator.comparingLong(p -> p.windowStart));
    for (Pending p : restored) {
      open.put(p.userId + '\0' + p.domain, p);
      newestWindowStart = Math.max(newestWindowStart, p.windowStart);
    }
    if (!open.isEmpty()) {
      log.info("restored {} open batches from store {}", open.size(), storeName);
    }
    metrics.pending(pendingEvents());
  }

  /** The task moves away or stops; its open batches stay in the store for whoever restores it. */
  @Override
  public void close() {
    metrics.pending(-pendingEvents());
    open.clear();
  }

  private long pendingEvents() {
    long n = 0;
    for (Pending p : open.values()) {
      n += p.events.size();
    }
    return n;
  }

  private record Buffered(PreferenceEvent event, long recordTimestampMs, int index) {}

  private static final class Pending {
    final String userId;
    final String domain;
    long windowStart;
    int seq;
    int nextIndex;
    int bytes = BATCH_OVERHEAD_BYTES;
    final List<Buffered> events = new ArrayList<>();

    Pending(String userId, String domain, long windowStart, int seq) {
      this.userId = userId;
      this.domain = domain;
      this.windowStart = windowStart;
      this.seq = seq;
    }
  }
}
