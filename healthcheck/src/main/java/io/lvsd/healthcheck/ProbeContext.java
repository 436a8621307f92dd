package io.lvsd.healthcheck;

import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One probe in flight: where to, how, on which event loop, and where the result goes. The first result wins;
 * later ones (a reply racing the timeout) are ignored. Everything runs on {@link #loop()}.
 */
public final class ProbeContext {
    private final InetSocketAddress target;
    private final CheckConfig config;
    private final ThroughVip via;
    private final EventLoop loop;
    private final ProbeTransport transport;
    private final LongSupplier nanos;
    private final long started;
    private final Consumer<CheckResult> done;
    private final List<Runnable> cleanups = new ArrayList<>(2);
    private boolean finished;

    public ProbeContext(InetSocketAddress target, CheckConfig config, EventLoop loop, ProbeTransport transport,
                        LongSupplier nanos, Consumer<CheckResult> done) {
        this(target, config, null, loop, transport, nanos, done);
    }

    /** A probe of {@code target}, sent {@code via} the VIP to one real server when not null. */
    public ProbeContext(InetSocketAddress target, CheckConfig config, ThroughVip via, EventLoop loop,
                        ProbeTransport transport, LongSupplier nanos, Consumer<CheckResult> done) {
        this.target = Objects.requireNonNull(target, "target");
        this.config = Objects.requireNonNull(config, "config");
        this.via = via;
        this.loop = Objects.requireNonNull(loop, "loop");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.nanos = nanos;
        this.started = nanos.getAsLong();
        this.done = done;
    }

    /** The address and port probed (the real server's, or connect-address / connect-port). */
    public InetSocketAddress target() {
        return target;
    }

    public CheckConfig config() {
        return config;
    }

    /** The real server this probe reaches through the VIP ({@code check.through-vip}), or null. */
    public ThroughVip via() {
        return via;
    }

    public EventLoop loop() {
        return loop;
    }

    public ProbeTransport transport() {
        return transport;
    }

    public long elapsedNanos() {
        return nanos.getAsLong() - started;
    }

    public boolean finished() {
        return finished;
    }

    /** Runs {@code cleanup} when the probe ends (result or timeout), e.g. closing its channel. */
    public void onDone(Runnable cleanup) {
        if (finished) {
            cleanup.run();
        } else {
            cleanups.add(cleanup);
        }
    }

    public void up(String detail) {
        complete(CheckResult.up(detail, elapsedNanos()));
    }

    public void upWithWeight(int weight, String detail) {
        complete(CheckResult.up(weight, detail, elapsedNanos()));
    }

    public void down(String detail) {
        complete(CheckResult.down(detail, elapsedNanos()));
    }

    /** Reports the result; only the first call counts. */
    public void complete(CheckResult result) {
        if (finished) {
            return;
        }
        finished = true;
        for (Runnable r : cleanups) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // closing a channel that is already gone
            }
        }
        cleanups.clear();
        done.accept(result);
    }
}
