package io.lvsd.healthcheck;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the probes. Every {@link #watch} of the same target checked the same way shares <b>one</b> probe, however
 * many virtual servers ask; the probe stops when its last watch closes. Each probe lives on one event loop of
 * the {@link ProbeTransport}: its schedule, its {@link HealthTracker} and its listeners' calls all happen there,
 * so listeners must only hand the news on.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    /** Told of every transition of a watched target, on the probe's event loop. */
    public interface Listener {
        void changed(Watch watch, HealthTracker.Transition transition, CheckResult result);
    }

    /** Identifies a shared probe: what is probed and exactly how. */
    private record Key(InetSocketAddress target, String how) {
    }

    private final ProbeTransport transport;
    private final Map<CheckType, Checker> checkers;
    private final MeterRegistry registry;
    private final LongSupplier nanos;
    private final DoubleSupplier random;
    private final Map<Key, Probe> probes = new ConcurrentHashMap<>();
    private final Map<EventLoop, ProbeTimers> timers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public HealthMonitor(ProbeTransport transport, Map<CheckType, Checker> checkers, MeterRegistry registry,
                         LongSupplier nanos, DoubleSupplier random) {
        this.transport = transport;
        this.checkers = Map.copyOf(checkers);
        this.registry = registry;
        this.nanos = nanos;
        this.random = random;
        Gauge.builder("lvsd.check.probes", probes, Map::size).description("Probes running (shared ones count once)")
                .register(registry);
    }

    /** The checkers of the network check types: tcp, http, https, udp, dns. */
    public static Map<CheckType, Checker> networkCheckers() {
        HttpChecker http = new HttpChecker();
        return Map.of(CheckType.TCP, new TcpChecker(), CheckType.HTTP, http, CheckType.HTTPS, http,
                CheckType.UDP, new UdpChecker(), CheckType.DNS, new DnsChecker());
    }

    /** How many probes run. */
    public int probeCount() {
        return probes.size();
    }

    /**
     * Starts watching {@code realServer} checked by {@code config} (its connect-address and connect-port, when
     * set, say where the probe goes). A watch of a probe that already runs sees its current state at once.
     */
    public Watch watch(InetSocketAddress realServer, CheckConfig config, Listener listener) {
        return watch(realServer, config, null, listener);
    }

    /**
     * {@link #watch(InetSocketAddress, CheckConfig, Listener)}, the probe sent {@code via} the VIP when not null
     * (a check with {@code through-vip}): it goes to the VIP and the check's port, forwarded to the real server.
     */
    public Watch watch(InetSocketAddress realServer, CheckConfig config, ThroughVip via, Listener listener) {
        if (config.throughVip() != (via != null)) {
            throw new IllegalArgumentException("through-vip: " + config.throughVip() + " but " + (via == null
                    ? "no VIP and forwarding given" : "a route through the VIP given"));
        }
        if (closed) {
            throw new IllegalStateException("health monitor closed");
        }
        int port = config.connectPort() != null ? config.connectPort()
                : config.spec() instanceof CheckSpec.Agent a && a.port() != null ? a.port() : realServer.getPort();
        InetSocketAddress target = new InetSocketAddress(via != null ? via.vip()
                : config.connectAddress() != null ? config.connectAddress() : realServer.getAddress(), port);
        Checker checker = config.type() == CheckType.NONE ? null : checkers.get(config.type());
        if (config.type() != CheckType.NONE && checker == null) {
            throw new IllegalArgumentException("no checker for check type " + config.type());
        }
        Key key = new Key(target, via == null ? config.toString() : config + " " + via);
        while (true) {
            Probe p = probes.computeIfAbsent(key, k -> new Probe(k, config, via, checker));
            Watch w = p.add(listener);
            if (w != null) {
                return w;
            }
            probes.remove(key, p); // it stopped meanwhile: make a new one
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Probe p : probes.values()) {
            p.stop();
        }
        probes.clear();
    }

    /** One listener's view of a shared probe. */
    public final class Watch implements AutoCloseable {
        private final Probe probe;
        private final Listener listener;

        private Watch(Probe probe, Listener listener) {
            this.probe = probe;
            this.listener = listener;
        }

        /** Where the probes go. */
        public InetSocketAddress target() {
            return probe.key.target;
        }

        public HealthTracker.State state() {
            return probe.state;
        }

        /** The weight the probe reports (dynamic script, agent), or null for the configured weight. */
        public Integer weight() {
            return probe.weight;
        }

        /** The latest result, or null before the first. */
        public CheckResult last() {
            return probe.last;
        }

        /** A load agent's smoothed sample, or null. */
        public Double sample() {
            return probe.sample;
        }

        /** How many watches share this probe. */
        public int sharedBy() {
            return probe.watches.size();
        }

        @Override
        public void close() {
            probe.remove(this);
        }
    }

    private final class Probe {
        final Key key;
        final CheckConfig config;
        final ThroughVip via;
        final Checker checker;
        final EventLoop loop;
        final HealthTracker tracker;
        final List<Watch> watches = new CopyOnWriteArrayList<>();
        final Counter up;
        final Counter down;
        final Timer latency;
        volatile HealthTracker.State state;
        volatile Integer weight;
        volatile Double sample;
        volatile CheckResult last;
        private boolean stopped;
        private final ProbeTimers laneTimers;
        private ProbeTimers.Timer next;
        private ProbeTimers.Timer timeout;
        private ProbeContext inFlight;

        Probe(Key key, CheckConfig config, ThroughVip via, Checker checker) {
            this.key = key;
            this.config = config;
            this.via = via;
            this.checker = checker;
            this.loop = transport.next();
            this.laneTimers = timers.computeIfAbsent(loop, ProbeTimers::new);
            this.tracker = new HealthTracker(config);
            this.state = checker == null ? HealthTracker.State.UP : tracker.state();
            String type = config.type().name().toLowerCase(Locale.ROOT);
            this.up = Counter.builder("lvsd.check.results").tag("type", type).tag("result", "up")
                    .description("Probe results by check type").register(registry);
            this.down = Counter.builder("lvsd.check.results").tag("type", type).tag("result", "down")
                    .description("Probe results by check type").register(registry);
            this.latency = Timer.builder("lvsd.check.duration").tag("type", type).publishPercentileHistogram()
                    .minimumExpectedValue(java.time.Duration.ofMillis(1)).maximumExpectedValue(java.time.Duration.ofSeconds(30))
                    .description("Probe durations by check type").register(registry);
            if (checker != null) {
                long first = tracker.firstDelay(random.getAsDouble()).toNanos();
                loop.execute(() -> {
                    if (!stopped()) {
                        next = laneTimers.once(first, this::run);
                    }
                });
            }
        }

        /** Adds a watch; null when the probe has already stopped. */
        synchronized Watch add(Listener l) {
            if (stopped) {
                return null;
            }
            Watch w = new Watch(this, Objects.requireNonNull(l, "listener"));
            watches.add(w);
            return w;
        }

        synchronized void remove(Watch w) {
            if (watches.remove(w) && watches.isEmpty()) {
                probes.remove(key, this);
                stop();
            }
        }

        synchronized void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            loop.execute(() -> {
                if (next != null) {
                    next.cancel();
                }
                if (timeout != null) {
                    timeout.cancel();
                }
                if (inFlight != null) {
                    inFlight.complete(CheckResult.down("stopped", 0)); // closes its channel; the result is dropped
                }
            });
        }

        private synchronized boolean stopped() {
            return stopped;
        }

        private void schedule(long delayNanos) {
            if (stopped()) {
                return;
            }
            next = laneTimers.after(delayNanos, this::run); // an interval or a retry delay: a lane
        }

        private void run() {
            if (stopped()) {
                return;
            }
            ProbeContext ctx = new ProbeContext(key.target, config, via, loop, transport, nanos, this::result);
            inFlight = ctx;
            timeout = laneTimers.after(config.timeout().toNanos(), () -> ctx.complete(checker.timedOut(ctx)));
            try {
                checker.probe(ctx);
            } catch (RuntimeException e) {
                log.warn("check {} of {}: {}", config.type(), key.target, e.toString());
                ctx.down("internal error: " + e.getMessage());
            }
        }

        private void result(CheckResult r) {
            inFlight = null;
            if (timeout != null) {
                timeout.cancel();
            }
            if (stopped()) {
                return;
            }
            (r.up() ? up : down).increment();
            latency.record(r.latencyNanos(), TimeUnit.NANOSECONDS);
            HealthTracker.Transition t = tracker.record(r);
            last = r;
            state = tracker.state();
            weight = tracker.weight();
            sample = tracker.sample();
            if (t != null) {
                for (Watch w : watches) {
                    try {
                        w.listener.changed(w, t, r);
                    } catch (RuntimeException e) {
                        log.warn("health listener for {}: {}", key.target, e.toString());
                    }
                }
            }
            schedule(tracker.nextDelay().toNanos());
        }
    }
}
