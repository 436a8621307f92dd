package io.lvsd.vrrp.internal;

import io.lvsd.vrrp.VrrpHooks;
import io.micrometer.core.instrument.Timer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A takeover's hot path: what runs between a backup's Master_Down expiry and its first gratuitous ARP / NA, and
 * the rules that keep it short. The path runs once per failover, so the JVM meets it cold: interpreted, its classes
 * not yet loaded, its call sites not yet linked. Each rule below was measured on that cold path with
 * {@code bench/failover.sh}; breaking one does not fail a test, it shows there as a slower takeover, so rerun the
 * benchmark after touching anything listed here.
 *
 * <ol>
 *   <li><b>Rehearsed.</b> When an instance first becomes a backup, the loop builds its {@link Takeover} and the io
 *       thread runs {@link Takeover#rehearse}: the rtnetlink requests and the announcement frames are built, nothing
 *       is sent or changed. The loop also runs the unread-packet guard once on a scratch guard. So the classes are
 *       loaded and the call sites linked before a real takeover (about 1 ms on the loop and more on the io thread
 *       otherwise).</li>
 *   <li><b>Prepared adverts.</b> A backup's first advert as master is built when its source address becomes known
 *       ({@link PreparedAdverts}); a master sends the same bytes every interval until the socket, priority or
 *       source changes (a cold codec took 1-2.5 ms on the path).</li>
 *   <li><b>VIPs first.</b> A new master's VIPs and their first announcement go to the io thread before the loop's
 *       first advert: the neighbours' traffic depends on them, the backups only learn the master from the
 *       advert. Address changes wait for the kernel's rtnl lock and never run on the loop.</li>
 *   <li><b>No lambdas, enum switches or formatting on the path.</b> A lambda's call site is linked at its first run,
 *       an enum {@code switch} loads a synthetic class at its first run, and a formatted string costs more than the
 *       system call it describes: compare enums with {@code ==}, write plain loops, and describe system calls with
 *       {@link io.lvsd.linux.LazyText}. The takeover's own timing is recorded, and logged, after the
 *       announcement.</li>
 *   <li><b>Wake early, wait on the CPU.</b> A backup's Master_Down timer wakes the loop
 *       {@link #MASTER_DOWN_EARLY_WAKE_NANOS} early and the rest is waited out on the CPU: a sleeping thread wakes up
 *       to a millisecond late on a busy host, added to every takeover; the wait costs at most that much CPU once per
 *       takeover.</li>
 *   <li><b>Meters registered before.</b> Every transition counter and takeover timer exists from the instance's
 *       start: registering a meter on the way to MASTER would take a lock and allocate on the path.</li>
 * </ol>
 */
final class TakeoverPath {
    private static final Logger log = LoggerFactory.getLogger("io.lvsd.vrrp");

    /** How early a backup's Master_Down timer wakes the loop (rule 5). */
    static final long MASTER_DOWN_EARLY_WAKE_NANOS = 1_000_000L;

    /** The phases of {@code lvsd_vrrp_takeover_seconds}, in order; {@link Takeover}'s timers follow it. */
    static final String[] PHASES = {"master_down", "decision", "vips", "announce", "total"};

    /** Buckets of {@code lvsd_vrrp_takeover_seconds}: from a millisecond's phases to a 1 s interval's Master_Down. */
    static final Duration[] BUCKETS = {Duration.ofNanos(100_000), Duration.ofNanos(250_000),
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private TakeoverPath() {
    }

    /** What a takeover asks of the runtime, on the io thread. */
    interface Io {
        long nanoTime();

        /** Adds the address; returns how long the request took. Errors are logged, never thrown. */
        long addAddress(String instance, VipWriter.AddrOp op);

        /** Times an address change (after the announcement). */
        void noteAddressChange(String instance, String what, VipWriter.AddrOp op, long nanos);

        void announce(String instance, List<VrrpHooks.Announce> targets);

        /** Builds the request {@link #addAddress} would send, and sends nothing. */
        void rehearseAddAddress(VipWriter.AddrOp op);

        /** Builds the frames {@link #announce} would send, and sends nothing. */
        void rehearseAnnounce(String instance, List<VrrpHooks.Announce> targets);

        /** Runs {@code r} on the io thread after what is queued there now (another instance's takeover first). */
        void afterwards(Runnable r);
    }

    /**
     * What a new master hands to the io thread: its VIPs to add, then their first announcement; after both, the
     * takeover's own timing, by phase, from the points the loop stamped (the last advert heard, the Master_Down
     * expiry, the loop's decision) and the two this thread stamps (VIPs added, first announcement sent).
     */
    static final class Takeover implements Runnable {
        private final Io io;
        private final String name;
        private final List<VipWriter.AddrOp> adds;
        final List<VrrpHooks.Announce> targets;
        private final Timer[] timers;
        private final long advert;
        private final long expiry;
        private final long decided;
        /** The bookkeeping, queued behind whatever else waits on the io thread (rule 4); made with the takeover. */
        private final Bookkeeping bookkeeping = new Bookkeeping();

        /**
         * @param advert  when the advert that last restarted Master_Down arrived, or MIN_VALUE (none, or not a timer
         *                expiry)
         * @param expiry  the Master_Down deadline that ran out, or {@code decided} when the takeover was not a
         *                timer's
         * @param decided when the loop acted
         */
        Takeover(Io io, String name, List<VipWriter.AddrOp> adds, List<VrrpHooks.Announce> targets, Timer[] timers,
                 long advert, long expiry, long decided) {
            this.io = io;
            this.name = name;
            this.adds = adds;
            this.targets = targets;
            this.timers = timers;
            this.advert = advert;
            this.expiry = expiry;
            this.decided = decided;
        }

        @Override
        public void run() {
            long[] waited = new long[adds.size()];
            for (int k = 0; k < adds.size(); k++) {
                waited[k] = io.addAddress(name, adds.get(k));
            }
            long vipsAt = io.nanoTime();
            io.announce(name, targets);
            bookkeeping.waited = waited;
            bookkeeping.vipsAt = vipsAt;
            bookkeeping.announcedAt = io.nanoTime();
            // After the announcement, and after any other instance's takeover queued meanwhile: the bookkeeping
            // (timers, log lines) runs cold the first time.
            io.afterwards(bookkeeping);
        }

        /** On the io thread: builds the requests and the frames {@link #run} would send, and sends nothing. */
        void rehearse() {
            io.nanoTime();
            for (VipWriter.AddrOp op : adds) {
                io.rehearseAddAddress(op);
            }
            io.rehearseAnnounce(name, targets);
            millis(0);
        }

        /** A class, not a lambda (rule 4). */
        private final class Bookkeeping implements Runnable {
            long[] waited;
            long vipsAt;
            long announcedAt;

            @Override
            public void run() {
                for (int k = 0; k < adds.size(); k++) {
                    io.noteAddressChange(name, "adding", adds.get(k), waited[k]);
                }
                record(vipsAt, announcedAt);
            }
        }

        private void record(long vipsAt, long announcedAt) {
            boolean heard = advert != Long.MIN_VALUE;
            long[] phase = {heard ? expiry - advert : -1, decided - expiry, vipsAt - decided, announcedAt - vipsAt,
                announcedAt - (heard ? advert : expiry)};
            for (int k = 0; k < phase.length; k++) {
                if (phase[k] >= 0) {
                    timers[k].record(phase[k], TimeUnit.NANOSECONDS);
                }
            }
            log.info(VrrpEvents.MARKER, "{}: takeover: {}expiry -> decided {} ms -> VIPs added {} ms -> first "
                    + "announcement {} ms; total {} ms{}", name,
                    heard ? "last advert -> Master_Down expiry " + millis(phase[0]) + " ms -> " : "", millis(phase[1]),
                    millis(phase[2]), millis(phase[3]), millis(phase[4]), heard
                            ? " since the advert that last restarted Master_Down"
                            : expiry == decided ? " (not a timer expiry)" : " since the expiry (no advert heard before it)");
        }
    }

    /** Nanoseconds as milliseconds with one decimal (rounded down), for logs: integer arithmetic, no formatter. */
    static String millis(long nanos) {
        long tenths = Math.max(0, nanos) / 100_000;
        return (tenths / 10) + "." + (tenths % 10);
    }

    /**
     * One instance's adverts ready to send, by destination, for one socket, priority and source (rule 2). Owned by
     * the VRRP loop.
     */
    static final class PreparedAdverts {
        /** Encodes an advert; the instance implements it (a method, not a lambda: rule 4). */
        interface Encoder {
            byte[] advert(int priority, InetAddress dst);
        }

        private final Map<InetAddress, Object> prepared = new HashMap<>();
        private VrrpKernel.Socket socket;
        private int priority = -1;
        private InetAddress source;

        /** Forgets them all: the configuration changed. */
        void clear() {
            prepared.clear();
            socket = null;
        }

        /** The advert to {@code dst}, prepared for {@code s}: built now only when something it depends on changed. */
        Object get(VrrpKernel.Socket s, int prio, InetAddress src, InetAddress dst, Encoder encoder) {
            if (s != socket || prio != priority || !Objects.equals(src, source)) {
                prepared.clear();
                socket = s;
                priority = prio;
                source = src;
            }
            Object p = prepared.get(dst);
            if (p == null) {
                p = s.prepare(encoder.advert(prio, dst), src, dst);
                prepared.put(dst, p);
            }
            return p;
        }
    }
}
