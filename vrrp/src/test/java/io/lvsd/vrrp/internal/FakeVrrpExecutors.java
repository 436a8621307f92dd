package io.lvsd.vrrp.internal;

import java.time.Instant;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The VRRP runtime's loops on a fake clock, for unit tests: the VRRP loop and the io loop are one queue that runs
 * on the test's thread, only when the test calls {@link #runDue} or {@link #advance}; calls that would wait for a
 * loop run at once. The busy wait before a Master_Down deadline takes no time: it moves the clock to the deadline,
 * unless work is already waiting to run (then it gives way, as the real one does when a packet arrives).
 */
final class FakeVrrpExecutors implements VrrpExecutors {
    private static final long EPOCH_SECOND = 1_800_000_000L;
    private static final long YIELD_NANOS = 10_000;
    private long now = 1_000_000_000_000L;
    private long seq;
    private final PriorityQueue<Task> queue = new PriorityQueue<>(Comparator.<Task>comparingLong(t -> t.at)
            .thenComparingLong(t -> t.seq));

    private final class Task implements Future<Object> {
        final Runnable r;
        long at;
        final long seq;
        final long period;
        boolean cancelled;
        boolean done;

        Task(Runnable r, long at, long period) {
            this.r = r;
            this.at = at;
            this.seq = FakeVrrpExecutors.this.seq++;
            this.period = period;
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            cancelled = true;
            return !done;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return done || cancelled;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }

    private Task add(Runnable r, long delay, long period) {
        Task t = new Task(r, now + Math.max(0, delay), period);
        queue.add(t);
        return t;
    }

    /** Time passes while the loop is busy (nothing runs meanwhile): a slow host. */
    void busy(long nanos) {
        now += nanos;
    }

    /** Runs everything due now, including what that schedules for now. */
    void runDue() {
        advance(0);
    }

    /** Moves the clock forward by {@code nanos}, running each task at its deadline on the way. */
    void advance(long nanos) {
        long end = now + nanos;
        while (!queue.isEmpty() && queue.peek().at <= end) {
            Task t = queue.poll();
            if (t.cancelled) {
                continue;
            }
            now = Math.max(now, t.at);
            t.r.run();
            if (t.period > 0 && !t.cancelled) {
                t.at += t.period;
                queue.add(t);
            } else {
                t.done = true;
            }
        }
        now = Math.max(now, end);
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Instant now() {
        return Instant.ofEpochSecond(EPOCH_SECOND).plusNanos(now);
    }

    @Override
    public void execute(Runnable r) {
        add(r, 0, 0);
    }

    @Override
    public Future<?> schedule(Runnable r, long delayNanos) {
        return add(r, delayNanos, 0);
    }

    @Override
    public Future<?> scheduleAtFixedRate(Runnable r, long initialDelayNanos, long periodNanos) {
        return add(r, initialDelayNanos, periodNanos);
    }

    @Override
    public void executeIo(Runnable r) {
        add(r, 0, 0);
    }

    @Override
    public <T> T call(Callable<T> c, long timeoutMillis) throws Exception {
        return c.call();
    }

    @Override
    public <T> T callIo(Callable<T> c, long timeoutMillis) throws Exception {
        return c.call();
    }

    @Override
    public boolean awaitDeadline(long deadline) {
        if (deadline - now <= 0) {
            return true;
        }
        for (Task t : queue) {
            if (!t.cancelled && t.at <= now) {
                now += YIELD_NANOS; // the real wait spins a little before it sees the work
                return false; // work is waiting to run now, as a packet handed over by a reader would be
            }
        }
        now = Math.max(now, deadline);
        return true;
    }

    @Override
    public boolean shuttingDown() {
        return false;
    }

    @Override
    public void shutdown() {
    }
}
