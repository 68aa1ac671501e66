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
 * <p>The pending events live in a changelogged store (one entry per event slot, see {@link PendingKeys}) and are
 * mirrored in memory in the order their windows opened, so that closing windows scans only the windows that are due.
 * Emitting a batch does not delete its event entries one by one (that was a third changelog record per event): it
 * moves the pair's header on, which turns them stale in the same transaction, and the pair's next batch overwrites
 * the slots. Slots of a pair that stays idle for {@link #staleGraceMs} are deleted then. A tombstone for a user
 * flushes that user's pending batches, deletes all of the user's slots, and is then forwarded, so the learner sees
 * the user's last batches before the deletion.
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
  /**
   * Pairs without an open batch whose store still holds stale event slots, oldest first; deleted once idle for
   * {@link #staleGraceMs}, or at once when the user is forgotten.
   */
  private final LinkedHashMap<String, Leftover> leftovers = new LinkedHashMap<>();
  /** How long a closed pair's stale slots wait to be overwritten by its next batch before they are deleted. */
  private final long staleGraceMs;

  BatchingProcessor(String storeName, Duration window, int maxEvents, int maxBytes, IngestMetrics metrics) {
    this.storeName = storeName;
    this.windowMs = window.toMillis();
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.metrics = metrics;
    // A quarter of the window keeps the close-to-emit delay small; 250 ms caps the work for long windows.
    this.punctuateEvery = Duration.ofMillis(Math.max(1, Math.min(250, windowMs / 4)));
    // Long enough that a user who keeps sending reuses the slots (no deletes), short enough to bound the memory.
    this.staleGraceMs = Math.max(10_000, 10 * windowMs);
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    open.clear();
    leftovers.clear();
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
      Leftover left = leftovers.remove(pairKey);
      batch.staleSlots = left == null ? 0 : left.slots;
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
        PendingKeys.eventValue(batch.windowStart, batch.seq, accepted.recordTimestampMs(), accepted.rawValue()));
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
      if (batch.userId.equals(userId)) {
        if (!batch.events.isEmpty()) {
          emitEarly(batch, now, "forget");
        }
        // The user's events are personal data: their stale slots go now, not after the grace period.
        deleteSlots(batch.userId, batch.domain, batch.staleSlots);
        batch.staleSlots = 0;
      }
    }
    for (Iterator<Leftover> it = leftovers.values().iterator(); it.hasNext(); ) {
      Leftover left = it.next();
      if (left.userId.equals(userId)) {
        deleteSlots(left.userId, left.domain, left.slots);
        it.remove();
      }
    }
    metrics.userForgotten();
    context.forward(new Record<String, byte[]>(userId, null, now, record.headers()));
  }

  private void closeDueWindows(long now) {
    sweepLeftovers(now);
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
    }
    // Without a header every slot of the pair is stale; they wait for the pair's next batch to overwrite them.
    store.delete(PendingKeys.header(batch.userId, batch.domain));
    metrics.pending(-batch.events.size());
    int slots = Math.max(batch.staleSlots, batch.nextIndex);
    if (slots > 0) {
      String pairKey = batch.userId + '\0' + batch.domain;
      leftovers.remove(pairKey);
      leftovers.put(pairKey, new Leftover(batch.userId, batch.domain, slots, now));
    }
  }

  private void sweepLeftovers(long now) {
    for (Iterator<Leftover> it = leftovers.values().iterator(); it.hasNext(); ) {
      Leftover left = it.next();
      if (now - left.closedAtMs < staleGraceMs) {
        break; // later entries closed later
      }
      deleteSlots(left.userId, left.domain, left.slots);
      it.remove();
    }
  }

  private void deleteSlots(String userId, String domain, int slots) {
    for (int i = 0; i < slots; i++) {
      store.delete(PendingKeys.event(userId, domain, i));
    }
  }

  /** Emits the batch before its window closes; the window stays open for later events under the next sequence. */
  private void emitEarly(Pending batch, long now, String trigger) {
    emit(batch, now, trigger, true);
    metrics.pending(-batch.events.size());
    batch.staleSlots = Math.max(batch.staleSlots, batch.nextIndex);
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
  }

  /**
   * Rebuilds the in-memory view from the store after a restart or a task migration. Event slots whose tag does not
   * match their pair's header (or that have no header) belong to batches already emitted: they are deleted here.
   */
  private void restore() {
    Map<String, Pending> byPair = new LinkedHashMap<>();
    List<KeyValue<Bytes, byte[]>> events = new ArrayList<>();
    List<Bytes> dead = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> kv = it.next();
        PendingKeys.Parsed k = PendingKeys.parse(kv.key);
        if (k.kind() == PendingKeys.HEADER) {
          ByteBuffer v = ByteBuffer.wrap(kv.value);
          byPair.put(k.userId() + '\0' + k.domain(), new Pending(k.userId(), k.domain(), v.getLong(), v.getInt()));
        } else {
          events.add(kv);
        }
      }
    }
    for (KeyValue<Bytes, byte[]> kv : events) {
      PendingKeys.Parsed k = PendingKeys.parse(kv.key);
      String pairKey = k.userId() + '\0' + k.domain();
      PendingKeys.EventValue v = PendingKeys.parseEventValue(kv.value);
      Pending batch = byPair.get(pairKey);
      if (batch == null && !v.tagged()) {
        // Untagged entries were deleted on emit, so a live one could only lack a header if a write was lost: stay safe.
        batch = new Pending(k.userId(), k.domain(), 0, 0);
        byPair.put(pairKey, batch);
      }
      if (batch == null || (v.tagged() && (v.windowStartMs() != batch.windowStart || v.seq() != batch.seq))) {
        dead.add(kv.key); // stale: its batch was emitted
        continue;
      }
      ParseResult r = EventParser.parse(v.raw(), v.recordTimestampMs());
      if (r instanceof ParseResult.Valid valid) {
        batch.events.add(new Buffered(valid.event(), v.recordTimestampMs(), k.index()));
        batch.bytes += v.raw().length + EVENT_OVERHEAD_BYTES;
        batch.nextIndex = Math.max(batch.nextIndex, k.index() + 1);
      } else {
        log.error("dropping unreadable pending event {} from the store (it was valid when stored)", kv.key);
        dead.add(kv.key);
      }
    }
    for (Bytes key : dead) {
      store.delete(key);
    }
    List<Pending> restored = new ArrayList<>(byPair.values());
    for (Pending p : restored) {
      p.events.sort(Comparator.comparingInt(b -> b.index));
    }
    restored.sort(Comparator.comparingLong(p -> p.windowStart));
    for (Pending p : restored) {
      open.put(p.userId + '\0' + p.domain, p);
      newestWindowStart = Math.max(newestWindowStart, p.windowStart);
    }
    if (!open.isEmpty()) {
      log.info("restored {} open batches from store {} ({} stale slots deleted)", open.size(), storeName, dead.size());
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

  /** A closed pair whose store slots [0, slots) hold stale entries since {@code closedAtMs}. */
  private record Leftover(String userId, String domain, int slots, long closedAtMs) {}

  private record Buffered(PreferenceEvent event, long recordTimestampMs, int index) {}

  private static final class Pending {
    final String userId;
    final String domain;
    long windowStart;
    int seq;
    int nextIndex;
    int bytes = BATCH_OVERHEAD_BYTES;
    /** Slots [0, staleSlots) may hold entries of this pair's earlier batches, not yet overwritten. */
    int staleSlots;
    final List<Buffered> events = new ArrayList<>();

    Pending(String userId, String domain, long windowStart, int seq) {
      this.userId = userId;
      this.domain = domain;
      this.windowStart = windowStart;
      this.seq = seq;
    }
  }
}
