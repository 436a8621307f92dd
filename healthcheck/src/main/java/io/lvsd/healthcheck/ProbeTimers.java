package io.lvsd.healthcheck;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Ticker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timers of the probes on one event loop. Almost every delay a probe waits is one of its check's constants
 * (interval, retry delay, timeout), so timers of the same delay form a lane: first in, first due, because the delay
 * is the same and time only moves on. A lane keeps one loop timer, set for its head. Adding and cancelling are
 * O(1), where Netty's scheduler keeps every timer in one heap: with 10,000 probes, two insertions and two removals
 * per probe, each touching about fifteen timers spread over the heap. A cancelled timer stays in its lane, inert,
 * until its time comes. One-off delays ({@link #once}) go to the loop's own scheduler. Used on the loop only.
 * <p>
 * A lane wakes the loop at its head's time and runs, with it, the timers due within the next
 * {@link #COALESCE_NANOS}: a timer may run up to that much early, and a lane wakes the loop at most once per
 * millisecond, as a millisecond-resolution scheduler would (HAProxy's is one). At 12,000 probes a second spread
 * over the interval, that is about 1,000 wake-ups instead of 12,000, each a context switch.
 */
final class ProbeTimers {
    private static final Logger log = LoggerFactory.getLogger(ProbeTimers.class);

    /** A pending task; {@link #cancel} keeps it from running. */
    static final class Timer {
        final long deadline;
        private Runnable task;

        private Timer(long deadline, Runnable task) {
            this.deadline = deadline;
            this.task = task;
        }

        void cancel() {
            task = null;
        }

        /** Runs the task, unless cancelled or run already. */
        void fire() {
            Runnable r = task;
            task = null;
            if (r != null) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("probe timer: {}", e.toString());
                }
            }
        }
    }

    /** The longest a lane runs timers before it lets the loop do its I/O. */
    static final long SLICE_NANOS = 2_000_000;
    /** How early a timer may run, with one due before it in its lane (at most half the lane's delay). */
    static final long COALESCE_NANOS = 1_000_000;

    private final EventLoop loop;
    /** The loop's own clock, the one its scheduler keeps (frozen and moved by hand in tests). */
    private final Ticker nanos;
    private final List<Lane> lanes = new ArrayList<>(4);

    ProbeTimers(EventLoop loop) {
        this.loop = loop;
        this.nanos = loop.ticker();
    }

    /** Runs {@code task} after {@code delayNanos}, a delay many timers share (an interval, a timeout). */
    Timer after(long delayNanos, Runnable task) {
        Lane lane = null;
        for (Lane l : lanes) {
            if (l.delay == delayNanos) {
                lane = l;
                break;
            }
        }
        if (lane == null) {
            lane = new Lane(delayNanos);
            lanes.add(lane);
        }
        Timer t = new Timer(nanos.nanoTime() + delayNanos, task);
        lane.add(t);
        return t;
    }

    /** Runs {@code task} after {@code delayNanos}, a delay of its own (a random start). */
    Timer once(long delayNanos, Runnable task) {
        Timer t = new Timer(nanos.nanoTime() + delayNanos, task);
        loop.schedule(t::fire, delayNanos, TimeUnit.NANOSECONDS);
        return t;
    }

    /** The timers waiting in lanes, cancelled ones included (tests). */
    int queued() {
        int n = 0;
        for (Lane l : lanes) {
            n += l.queue.size();
        }
        return n;
    }

    private final class Lane {
        final long delay;
        /** Timers due within this of now run with the due ones: less than the delay, so not the ones they add. */
        final long slack;
        final ArrayDeque<Timer> queue = new ArrayDeque<>();
        /** A loop timer is set for the head, or the lane is running its due timers (and sets one after). */
        boolean armed;

        Lane(long delay) {
            this.delay = delay;
            this.slack = Math.min(COALESCE_NANOS, delay / 2);
        }

        void add(Timer t) {
            queue.addLast(t);
            if (!armed) {
                arm(delay);
            }
        }

        private void arm(long inNanos) {
            armed = true;
            loop.schedule(this::due, Math.max(0, inNanos), TimeUnit.NANOSECONDS);
        }

        /**
         * Runs the timers whose time has come or comes within the lane's slack, drops cancelled ones at the head,
         * and sets the loop timer again. It
         * yields after {@link #SLICE_NANOS}: a backlog (a cold JIT at start, a stalled loop) must not keep the loop
         * from its I/O for long, or probes whose answers sit unread would time out. The loop runs its I/O before it
         * takes the next due timer task.
         */
        private void due() {
            long now = nanos.nanoTime();
            int fired = 0;
            try {
                Timer t;
                while ((t = queue.peekFirst()) != null && (t.task == null || t.deadline - now <= slack)) {
                    queue.pollFirst();
                    t.fire(); // may add to this lane: after now, so not in this round
                    if ((++fired & 15) == 0 && nanos.nanoTime() - now > SLICE_NANOS) {
                        break;
                    }
                }
            } finally {
                // Even after an Error from a task: a lane left armed with no loop timer would stop every probe
                // of its delay on this loop, silently.
                armed = false;
                Timer head = queue.peekFirst();
                if (head != null) {
                    arm(head.deadline - nanos.nanoTime()); // the round took time: not from its start
                }
            }
        }
    }
}
