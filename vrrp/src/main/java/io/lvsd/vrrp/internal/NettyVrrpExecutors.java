package io.lvsd.vrrp.internal;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Two Netty {@link DefaultEventLoop}s, {@code lvsd-vrrp} and {@code lvsd-vrrp-io}, on {@link System#nanoTime()}. */
final class NettyVrrpExecutors implements VrrpExecutors {
    private final DefaultEventLoop loop = new DefaultEventLoop(new DefaultThreadFactory("lvsd-vrrp", true));
    private final DefaultEventLoop io = new DefaultEventLoop(new DefaultThreadFactory("lvsd-vrrp-io", true));

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    @Override
    public void execute(Runnable r) {
        loop.execute(r);
    }

    @Override
    public Future<?> schedule(Runnable r, long delayNanos) {
        return loop.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public Future<?> scheduleAtFixedRate(Runnable r, long initialDelayNanos, long periodNanos) {
        return loop.scheduleAtFixedRate(r, initialDelayNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void executeIo(Runnable r) {
        io.execute(r);
    }

    @Override
    public <T> T call(Callable<T> c, long timeoutMillis) throws Exception {
        return loop.submit(c).get(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public <T> T callIo(Callable<T> c, long timeoutMillis) throws Exception {
        return io.submit(c).get(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean awaitDeadline(long deadline) {
        while (System.nanoTime() - deadline < 0) {
            if (loop.pendingTasks() > 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Override
    public boolean shuttingDown() {
        return loop.isShuttingDown();
    }

    @Override
    public void shutdown() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
