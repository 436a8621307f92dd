package io.lvsd.vrrp.internal;

import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

/**
 * The threads and clocks the VRRP runtime runs on: the VRRP loop (every state machine, timer and cache), the io
 * loop (what may block: address changes, dumps, file reads), and their clocks. {@link NettyVrrpExecutors} is the
 * real one; the tests' fake runs everything on the test's thread on a fake clock.
 */
public interface VrrpExecutors {
    /** The monotonic clock every deadline is on ({@link System#nanoTime()}). */
    long nanoTime();

    /** Wall-clock time, for what operators read ({@code /status}'s last transition). */
    Instant now();

    /** Runs {@code r} on the VRRP loop. */
    void execute(Runnable r);

    /** Runs {@code r} on the VRRP loop after {@code delayNanos}; cancel through the future. */
    Future<?> schedule(Runnable r, long delayNanos);

    Future<?> scheduleAtFixedRate(Runnable r, long initialDelayNanos, long periodNanos);

    /** Runs {@code r} on the io loop. */
    void executeIo(Runnable r);

    /** Runs {@code c} on the VRRP loop and waits for it. */
    <T> T call(Callable<T> c, long timeoutMillis) throws Exception;

    /** Runs {@code c} on the io loop and waits for it. */
    <T> T callIo(Callable<T> c, long timeoutMillis) throws Exception;

    /**
     * On the VRRP loop: waits on the CPU until {@code deadline}. False when work was queued on the loop meanwhile (a
     * packet from a reader, above all): it may be an advert that restarts the timer, so it must run first (RFC 5798
     * §6.4.2).
     */
    boolean awaitDeadline(long deadline);

    boolean shuttingDown();

    /** Stops both loops (what is queued may still run for up to a second). */
    void shutdown();
}
