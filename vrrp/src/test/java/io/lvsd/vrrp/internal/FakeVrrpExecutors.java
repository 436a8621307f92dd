package io.lvsd.vrrp.internal;

import io.lvsd.testkit.FakeScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The VRRP runtime's loops on a fake clock, for unit tests: the VRRP loop and the io loop are one
 * {@link FakeScheduler} that runs on the test's thread, only when the test calls {@link #runDue} or {@link #advance};
 * calls that would wait for a loop run at once. The busy wait before a Master_Down deadline takes no time: it moves
 * the clock to the deadline, unless work is already waiting to run (then it gives way, as the real one does when a
 * packet arrives).
 */
public final class FakeVrrpExecutors implements VrrpExecutors {
    private static final long EPOCH_SECOND = 1_800_000_000L;
    private static final long YIELD_NANOS = 10_000;
    private final FakeScheduler scheduler = new FakeScheduler();

    public FakeVrrpExecutors() {
        scheduler.elapse(Duration.ofSeconds(1_000)); // far from 0, so that no deadline arithmetic starts at zero
    }

    /** Time passes while the loop is busy (nothing runs meanwhile): a slow host. */
    public void busy(long nanos) {
        scheduler.elapse(Duration.ofNanos(nanos));
    }

    /** Runs everything due now, including what that schedules for now. */
    public void runDue() {
        scheduler.runDue();
    }

    /** Moves the clock forward by {@code nanos}, running each task at its deadline on the way. */
    public void advance(long nanos) {
        scheduler.advance(Duration.ofNanos(nanos));
    }

    @Override
    public long nanoTime() {
        return scheduler.nanoTime();
    }

    @Override
    public Instant now() {
        return Instant.ofEpochSecond(EPOCH_SECOND).plusNanos(nanoTime());
    }

    @Override
    public void execute(Runnable r) {
        scheduler.execute(r);
    }

    @Override
    public Future<?> schedule(Runnable r, long delayNanos) {
        return scheduler.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public Future<?> scheduleAtFixedRate(Runnable r, long initialDelayNanos, long periodNanos) {
        return scheduler.scheduleAtFixedRate(r, initialDelayNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void executeIo(Runnable r) {
        scheduler.execute(r);
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
        long now = nanoTime();
        if (deadline - now <= 0) {
            return true;
        }
        List<Long> pending = scheduler.pendingDeadlines();
        if (!pending.isEmpty() && pending.get(0) <= now) {
            busy(YIELD_NANOS); // the real wait spins a little before it sees the work
            return false;
        }
        busy(deadline - now);
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
