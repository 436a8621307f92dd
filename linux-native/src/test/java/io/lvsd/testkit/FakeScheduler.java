package io.lvsd.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A single-threaded scheduler on a fake clock for unit tests: nothing runs until the test calls
 * {@link #runDue()} or {@link #advance}; tasks run on the test's thread, in deadline order.
 */
public final class FakeScheduler extends AbstractExecutorService implements ScheduledExecutorService {
    private long now;
    private long seq;
    private final PriorityQueue<Task<?>> queue = new PriorityQueue<>(
            Comparator.<Task<?>>comparingLong(t -> t.at).thenComparingLong(t -> t.seq));
    private boolean shutdown;

    /** The fake clock, in nanoseconds. */
    public long nanoTime() {
        return now;
    }

    /** Runs every task due now (including ones they schedule for now). */
    public int runDue() {
        int n = 0;
        while (!queue.isEmpty() && queue.peek().at <= now) {
            Task<?> t = queue.poll();
            if (!t.cancelled) {
                t.run();
                n++;
            }
        }
        return n;
    }

    /** Time passes while the caller is busy: the clock moves forward and nothing runs. */
    public void elapse(Duration d) {
        now += d.toNanos();
    }

    /** Moves the clock forward, running tasks at their deadlines on the way. */
    public void advance(Duration d) {
        long end = now + d.toNanos();
        while (!queue.isEmpty() && queue.peek().at <= end) {
            Task<?> t = queue.poll();
            now = Math.max(now, t.at);
            if (!t.cancelled) {
                t.run();
            }
        }
        now = end;
    }

    /** Tasks waiting (not cancelled). */
    public List<Long> pendingDeadlines() {
        List<Long> out = new ArrayList<>();
        for (Task<?> t : queue) {
            if (!t.cancelled) {
                out.add(t.at);
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return add(() -> {
            command.run();
            return null;
        }, unit.toNanos(delay), 0);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return add(callable, unit.toNanos(delay), 0);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return add(() -> {
            command.run();
            return null;
        }, unit.toNanos(initialDelay), unit.toNanos(period));
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return scheduleAtFixedRate(command, initialDelay, delay, unit);
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    private <V> Task<V> add(Callable<V> c, long delay, long period) {
        Task<V> t = new Task<>(c, now + Math.max(0, delay), period, seq++);
        queue.add(t);
        return t;
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        queue.clear();
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown && queue.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    private final class Task<V> implements ScheduledFuture<V>, Runnable {
        final Callable<V> callable;
        long at;
        final long period;
        final long seq;
        boolean cancelled;
        boolean done;
        V value;

        Task(Callable<V> callable, long at, long period, long seq) {
            this.callable = callable;
            this.at = at;
            this.period = period;
            this.seq = seq;
        }

        @Override
        public void run() {
            try {
                value = callable.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (period > 0 && !cancelled) {
                at += period;
                queue.add(this);
            } else {
                done = true;
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
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
        public V get() throws ExecutionException {
            return value;
        }

        @Override
        public V get(long timeout, TimeUnit unit) throws ExecutionException {
            return value;
        }
    }
}
