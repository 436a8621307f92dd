package io.lvsd.controller.routing;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.RoutingConfig;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.routing.Announcements;
import io.lvsd.routing.BirdControl;
import io.lvsd.routing.RoutePlan;
import io.lvsd.routing.RoutingDaemon;
import io.lvsd.routing.VipRoutes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces the VIPs through the routing daemon: keeps a local route per VIP (the kernel takes it in) and a route in
 * the announcement table per VIP that {@link Announcements} says to announce. It re-decides every {@link #TICK} and at
 * once on a drain, a reload and a stop; it writes only what changed ({@link RoutePlan}) and compares with the kernel
 * every {@link #RESYNC}. Its own thread does all of it: the netlink calls and the daemon's socket may block.
 *
 * <p>At a graceful stop the announcements are withdrawn before anything else stops, and the local routes stay: the
 * kernel goes on forwarding what still arrives (fail static). A crash leaves both: see {@code lvsd routing withdraw}.
 */
public final class RoutingComponent implements Component {
    private static final Logger log = LoggerFactory.getLogger(RoutingComponent.class);
    private static final org.slf4j.Marker EVENT = io.lvsd.controller.daemon.EventLog.marker("routing");
    static final Duration TICK = Duration.ofMillis(200);
    static final Duration RESYNC = Duration.ofSeconds(10);
    static final Duration SESSIONS = Duration.ofSeconds(2);
    /** How long a read of the daemon's control socket may take. */
    static final Duration DAEMON_TIMEOUT = Duration.ofSeconds(2);

    /** Opens the kernel routes for a table and protocol. */
    public interface RoutesFactory {
        VipRoutes open(int table, int protocol) throws IOException;
    }

    private final RoutesFactory factory;
    private final BooleanSupplier tableApplied;
    private final Predicate<VirtualServerConfig> hasQuorum;
    private final Clock clock;
    private final java.util.function.LongSupplier nanos;
    private final ScheduledExecutorService thread;
    private final Counter errors;
    private final MultiGauge announcedGauge;
    private final MultiGauge changedGauge;
    private final MultiGauge sessionGauge;

    // Touched on the routing thread only.
    private RoutingConfig config = RoutingConfig.OFF;
    private LvsdConfig full;
    private VipRoutes routes;
    private Set<InetAddress> actualAccept = Set.of();
    private Set<InetAddress> actualAnnounce = Set.of();
    private long lastResync;
    private boolean stopping;
    private RoutingDaemon daemon = RoutingDaemon.NONE;
    private final Map<InetAddress, RoutingStatus.Vip> vips = new LinkedHashMap<>();
    private ScheduledFuture<?> ticker;
    private ScheduledFuture<?> sessionPoller;

    private volatile boolean draining;
    private volatile RoutingStatus status = RoutingStatus.OFF;
    private volatile List<RoutingStatus.Session> sessions = List.of();
    private volatile String sessionsError;
    private volatile String error;

    /**
     * @param tableApplied whether the IPVS table is applied now (any thread)
     * @param hasQuorum    whether a virtual server has its quorum now (any thread)
     */
    public RoutingComponent(RoutesFactory factory, BooleanSupplier tableApplied, Predicate<VirtualServerConfig> hasQuorum,
                            MeterRegistry registry, Clock clock) {
        this(factory, tableApplied, hasQuorum, registry, clock, System::nanoTime,
                Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("lvsd-routing", true)));
    }

    RoutingComponent(RoutesFactory factory, BooleanSupplier tableApplied, Predicate<VirtualServerConfig> hasQuorum,
                     MeterRegistry registry, Clock clock, java.util.function.LongSupplier nanos,
                     ScheduledExecutorService thread) {
        this.nanos = nanos;
        this.factory = factory;
        this.tableApplied = tableApplied;
        this.hasQuorum = hasQuorum;
        this.clock = clock;
        this.thread = thread;
        this.errors = Counter.builder("lvsd.routing.errors").description("Failed writes of VIP routes")
                .register(registry);
        this.announcedGauge = MultiGauge.builder("lvsd.routing.vip.announced")
                .description("1 while the VIP's route is in the announcement table, for the routing daemon to announce")
                .register(registry);
        this.changedGauge = MultiGauge.builder("lvsd.routing.vip.last.change").baseUnit("seconds")
                .description("When the VIP's announcement last changed (Unix time)").register(registry);
        this.sessionGauge = MultiGauge.builder("lvsd.routing.session.up")
                .description("1 while the routing daemon's session is up (BGP: Established), as the daemon reports it")
                .register(registry);
        Gauge.builder("lvsd.routing.director.draining", () -> draining ? 1 : 0)
                .description("1 while the director is drained (POST /director/drain): every VIP withdrawn")
                .register(registry);
    }

    @Override
    public String name() {
        return "routing";
    }

    @Override
    public void start(LvsdConfig config) throws Exception {
        call(() -> {
            configure(config);
            return null;
        });
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        call(() -> {
            configure(next);
            return null;
        });
    }

    /** Withdraws every announcement before the other components stop; the local routes stay. */
    @Override
    public void beforeStop() {
        try {
            call(() -> {
                stopping = true;
                evaluate("stop");
                return null;
            });
        } catch (Exception e) {
            log.error("routing: could not withdraw the announcements at stop: {}", e.getMessage());
        }
    }

    @Override
    public void stop() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (routes != null) {
            routes.close();
        }
    }

    /**
     * {@code POST /director/drain} and {@code /director/resume}: withdraw every VIP (the kernel goes on forwarding
     * what still arrives) or announce again what is healthy. Returns what was done, once applied.
     */
    public String control(String action) {
        boolean drain = switch (action) {
            case "drain" -> true;
            case "resume" -> false;
            default -> throw new java.util.NoSuchElementException("director/" + action
                    + ": no such action (expected director/drain or director/resume)");
        };
        try {
            return call(() -> {
                if (!config.enabled()) {
                    throw new IllegalArgumentException("director/" + action + ": routing is not enabled (routing.enabled"
                            + " = false): there is nothing to withdraw");
                }
                boolean was = draining;
                draining = drain;
                evaluate(drain ? "drain" : "resume");
                long announced = vips.values().stream().filter(RoutingStatus.Vip::announced).count();
                if (was == drain) {
                    return "director already " + (drain ? "draining" : "announcing") + ": " + announced + " of "
                            + vips.size() + " VIPs announced";
                }
                log.info(EVENT, "routing: director {}: {} of {} VIPs announced", drain ? "draining" : "resumed",
                        announced, vips.size());
                return "director " + (drain ? "draining" : "resumed") + ": " + announced + " of " + vips.size()
                        + " VIPs announced";
            });
        } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The /status view. */
    public RoutingStatus status() {
        return status;
    }

    // ---- the routing thread

    private <T> T call(Callable<T> task) throws Exception {
        try {
            return thread.submit(task).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private void configure(LvsdConfig next) throws IOException {
        RoutingConfig r = next.routing();
        full = next;
        if (!r.enabled()) {
            if (config.enabled()) {
                // Switched off by a reload: withdraw and remove every route, as if no VIP were configured.
                apply(List.of(), List.of(), "routing disabled");
                closeRoutes();
                log.info(EVENT, "routing: disabled; every VIP route removed");
            }
            config = r;
            cancelTimers();
            publish();
            return;
        }
        if (routes != null && (r.table() != config.table() || r.protocol() != config.protocol())) {
            // Another table or protocol: the old routes go first, then the new ones are made from scratch.
            apply(List.of(), List.of(), "table or protocol changed");
            closeRoutes();
        }
        if (routes == null) {
            routes = factory.open(r.table(), r.protocol());
            resync();
        }
        config = r;
        daemon = r.daemon() == RoutingConfig.Daemon.BIRD ? new BirdControl(r.controlSocket(), DAEMON_TIMEOUT)
                : RoutingDaemon.NONE;
        evaluate("configuration");
        if (ticker == null) {
            long tick = TICK.toMillis();
            ticker = thread.scheduleWithFixedDelay(() -> safely("tick", () -> evaluate("tick")), tick, tick,
                    TimeUnit.MILLISECONDS);
            sessionPoller = thread.scheduleWithFixedDelay(() -> safely("sessions", this::readSessions), 0,
                    SESSIONS.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void cancelTimers() {
        if (ticker != null) {
            ticker.cancel(false);
            sessionPoller.cancel(false);
            ticker = null;
            sessionPoller = null;
        }
    }

    private void closeRoutes() {
        if (routes != null) {
            routes.close();
            routes = null;
        }
        vips.clear();
    }

    private void resync() throws IOException {
        actualAccept = routes.list(VipRoutes.Kind.ACCEPT);
        actualAnnounce = routes.list(VipRoutes.Kind.ANNOUNCE);
        lastResync = nanos.getAsLong();
    }

    /** Decides per VIP and applies what changed. */
    void evaluate(String why) throws IOException {
        if (!config.enabled() || routes == null) {
            return;
        }
        if (nanos.getAsLong() - lastResync > RESYNC.toNanos()) {
            resync();
        }
        Map<InetAddress, List<String>> lost = new LinkedHashMap<>();
        Map<InetAddress, Integer> count = new LinkedHashMap<>();
        for (VirtualServerConfig v : full.virtualServers()) {
            if (v.address() == null) {
                continue;
            }
            InetAddress a = v.address().getAddress();
            count.merge(a, 1, Integer::sum);
            List<String> l = lost.computeIfAbsent(a, k -> new ArrayList<>());
            if (!hasQuorum.test(v)) {
                l.add(v.name());
            }
        }
        List<Announcements.VipHealth> health = new ArrayList<>();
        lost.forEach((a, l) -> health.add(new Announcements.VipHealth(a, count.get(a), l)));
        Announcements.Gate gate = new Announcements.Gate(tableApplied.getAsBoolean(), draining, stopping);
        List<Announcements.Decision> decisions = Announcements.decide(gate, health);
        List<InetAddress> announce = new ArrayList<>();
        String now = clock.instant().toString();
        Map<InetAddress, RoutingStatus.Vip> next = new LinkedHashMap<>();
        for (Announcements.Decision d : decisions) {
            if (d.announce()) {
                announce.add(d.vip());
            }
            RoutingStatus.Vip before = vips.get(d.vip());
            String text = IpAddresses.text(d.vip());
            if (before == null || before.announced() != d.announce()) {
                log.info(EVENT, "routing: {} {} ({})", d.announce() ? "announcing" : "withdrawing", text, d.reason());
            }
            String since = before != null && before.announced() == d.announce() ? before.since() : now;
            next.put(d.vip(), new RoutingStatus.Vip(text, d.announce(), d.reason(), since));
        }
        vips.clear();
        vips.putAll(next);
        apply(List.copyOf(lost.keySet()), announce, why);
        publish();
    }

    private void apply(List<InetAddress> accept, List<InetAddress> announce, String why) throws IOException {
        List<RoutePlan.Op> ops = RoutePlan.plan(accept, announce, actualAccept, actualAnnounce);
        if (ops.isEmpty()) {
            return;
        }
        try {
            RoutePlan.apply(routes, ops);
            error = null;
        } catch (IOException e) {
            errors.increment();
            error = clock.instant() + ": " + e.getMessage();
            log.error(EVENT, "routing: {}: {}", why, e.getMessage());
            try {
                resync();
            } catch (IOException again) {
                lastResync = nanos.getAsLong() - RESYNC.toNanos() - 1; // read the kernel again at the next tick
            }
            reportActual();
            publish();
            throw e;
        }
        Set<InetAddress> acc = new HashSet<>(actualAccept);
        Set<InetAddress> ann = new HashSet<>(actualAnnounce);
        for (RoutePlan.Op op : ops) {
            Set<InetAddress> s = op.kind() == VipRoutes.Kind.ACCEPT ? acc : ann;
            if (op.add()) {
                s.add(op.vip());
            } else {
                s.remove(op.vip());
            }
        }
        actualAccept = Set.copyOf(acc);
        actualAnnounce = Set.copyOf(ann);
        reportActual();
    }

    /** The announcement table is what the daemon sees: report it as it is, not as it was meant to be. */
    private void reportActual() {
        vips.replaceAll((a, v) -> v.announced() == actualAnnounce.contains(a) ? v
                : new RoutingStatus.Vip(v.vip(), actualAnnounce.contains(a), v.reason(), v.since()));
    }

    private void readSessions() {
        if (!config.enabled()) {
            return;
        }
        try {
            List<RoutingStatus.Session> out = new ArrayList<>();
            for (RoutingDaemon.Session s : daemon.sessions()) {
                out.add(new RoutingStatus.Session(s.name(), s.kind(), s.state(), s.up(), s.since()));
            }
            sessions = List.copyOf(out);
            sessionsError = null;
        } catch (IOException e) {
            if (sessionsError == null) {
                log.warn("routing: cannot read {}'s sessions: {}", daemon.name(), e.getMessage());
            }
            sessions = List.of();
            sessionsError = e.getMessage();
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (RoutingStatus.Session s : sessions) {
            rows.add(MultiGauge.Row.of(Tags.of("daemon", daemon.name(), "session", s.name(), "kind", s.kind()),
                    s.up() ? 1 : 0));
        }
        sessionGauge.register(rows, true);
        publish();
    }

    private void publish() {
        List<MultiGauge.Row<?>> announced = new ArrayList<>();
        List<MultiGauge.Row<?>> changed = new ArrayList<>();
        for (RoutingStatus.Vip v : vips.values()) {
            announced.add(MultiGauge.Row.of(Tags.of("vip", v.vip()), v.announced() ? 1 : 0));
            changed.add(MultiGauge.Row.of(Tags.of("vip", v.vip()),
                    java.time.Instant.parse(v.since()).toEpochMilli() / 1000.0));
        }
        announcedGauge.register(announced, true);
        changedGauge.register(changed, true);
        status = !config.enabled() ? RoutingStatus.OFF
                : new RoutingStatus(true, draining, daemon.name(), config.table(), error, List.copyOf(vips.values()),
                        sessions, sessionsError);
    }

    private void safely(String what, ThrowingRunnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            // evaluate() logged a route failure already; anything else is a defect.
            if (!(t instanceof IOException)) {
                log.error("routing: {} failed: {}", what, t.toString());
            }
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
