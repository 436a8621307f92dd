package io.lvsd.sync;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What has been heard on the sync group, per sender: messages, entries, decode errors and the time of the last
 * message. Thread-safe; time comes from the clock it is given. The metrics are
 * {@code lvsd_sync_messages_total{sender}}, {@code lvsd_sync_entries_total{sender}},
 * {@code lvsd_sync_decode_errors_total{sender,reason}}, {@code lvsd_sync_last_message_age_seconds{sender}} and
 * {@code lvsd_sync_receive_dropped_total} (datagrams the kernel dropped unread on the listening socket).
 * At most {@link #MAX_SENDERS} senders get their own label; the rest are counted as {@code other}.
 */
public final class SyncTraffic {
    public static final int MAX_SENDERS = 16;
    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final LongSupplier nanos;
    private final Map<String, Sender> byAddress = new LinkedHashMap<>();
    private final Map<String, Sender> byLabel = new LinkedHashMap<>();

    /**
     * Drops of the listening sockets closed so far, and the open one's (read from the kernel when asked), guarded by
     * {@code this}; and the most {@link #dropped} has said, so that it never says less. The supplier is called with no
     * lock held: it takes the watcher's, which a send holds while it waits for room in the socket's buffer.
     */
    private long droppedBefore;
    private LongSupplier droppedNow = () -> 0;
    private long droppedReported;

    public SyncTraffic(MeterRegistry registry, LongSupplier nanos) {
        this.registry = registry;
        this.nanos = nanos;
        FunctionCounter.builder("lvsd.sync.receive.dropped", this, SyncTraffic::dropped)
                .description("Sync datagrams the kernel dropped unread on lvsd's listening socket (a full receive "
                        + "queue): heard by the interface, never decoded or counted by sender")
                .register(registry);
    }

    /** Datagrams the kernel dropped unread on the listening sockets, so far. */
    public long dropped() {
        long before;
        LongSupplier now;
        synchronized (this) {
            before = droppedBefore;
            now = droppedNow;
        }
        long n = before + now.getAsLong();
        synchronized (this) {
            // A read that raced stopCountingDrops may have seen the socket's count a little past the last one kept.
            droppedReported = Math.max(droppedReported, n);
            return droppedReported;
        }
    }

    /** From now on the listening socket's drops are {@code socket}'s count (which must not throw). */
    public synchronized void countDrops(LongSupplier socket) {
        droppedNow = socket;
    }

    /** The listening socket closes: its last count is kept. */
    public void stopCountingDrops() {
        LongSupplier socket;
        synchronized (this) {
            socket = droppedNow;
        }
        long last = socket.getAsLong();
        synchronized (this) {
            if (droppedNow == socket) { // else a stop or another socket's count came in meanwhile
                droppedBefore += last;
                droppedNow = () -> 0;
            }
        }
    }

    /** A per-sender summary. {@code lastNanos} is on this object's clock. */
    public record SenderStats(String sender, long messages, long entries, long errors, long lastNanos, int syncId) {
    }

    public synchronized void message(InetAddress from, SyncMessage m) {
        Sender s = sender(from);
        s.messages.increment();
        s.entries.increment(m.connections().size());
        s.syncId = m.syncId();
        s.last = nanos.getAsLong();
    }

    public synchronized void error(InetAddress from, String reason) {
        Sender s = sender(from);
        Counter.builder("lvsd.sync.decode.errors").tag("sender", s.label).tag("reason", reason)
                .description("Sync datagrams that did not decode, by sender and reason").register(registry)
                .increment();
        s.errorCount++;
    }

    /** Seconds since {@code from} last sent a valid message, or NaN if never. */
    public synchronized double ageSeconds(InetAddress from) {
        Sender s = byAddress.get(from.getHostAddress());
        return s == null ? Double.NaN : s.ageSeconds();
    }

    /** Valid messages heard from every sender together. */
    public synchronized long totalMessages() {
        return byLabel.values().stream().mapToLong(s -> (long) s.messages.count()).sum();
    }

    /** True when {@code from} has sent a valid message within {@code withinNanos}. */
    public synchronized boolean heardFrom(InetAddress from, long withinNanos) {
        Sender s = byAddress.get(from.getHostAddress());
        return s != null && s.last != Long.MIN_VALUE && nanos.getAsLong() - s.last <= withinNanos;
    }

    /** True when any sender has sent a valid message within {@code withinNanos}. */
    public synchronized boolean heardFromAny(long withinNanos) {
        long now = nanos.getAsLong();
        return byAddress.values().stream().anyMatch(s -> s.last != Long.MIN_VALUE && now - s.last <= withinNanos);
    }

    public synchronized List<SenderStats> senders() {
        List<SenderStats> out = new ArrayList<>();
        for (Sender s : byLabel.values()) {
            out.add(new SenderStats(s.label, (long) s.messages.count(), (long) s.entries.count(), s.errorCount, s.last,
                    s.syncId));
        }
        return out;
    }

    private Sender sender(InetAddress from) {
        String key = from.getHostAddress();
        Sender s = byAddress.get(key);
        if (s == null) {
            String label = byLabel.size() < MAX_SENDERS ? key : OTHER;
            s = byLabel.computeIfAbsent(label, Sender::new);
            byAddress.put(key, s);
        }
        return s;
    }

    private final class Sender {
        final String label;
        final Counter messages;
        final Counter entries;
        long errorCount;
        long last = Long.MIN_VALUE;
        int syncId;

        Sender(String label) {
            this.label = label;
            messages = Counter.builder("lvsd.sync.messages").tag("sender", label)
                    .description("Valid sync messages heard, by sender").register(registry);
            entries = Counter.builder("lvsd.sync.entries").tag("sender", label)
                    .description("Connection entries in them, by sender").register(registry);
            Gauge.builder("lvsd.sync.last.message.age", this, Sender::ageSeconds)
                    .tag("sender", label).baseUnit("seconds")
                    .description("Seconds since the sender's last valid sync message").register(registry);
        }

        /** Seconds since the last valid message, NaN if none yet. */
        double ageSeconds() {
            return last == Long.MIN_VALUE ? Double.NaN
                    : (nanos.getAsLong() - last) / (double) TimeUnit.SECONDS.toNanos(1);
        }
    }
}
