package io.lvsd.controller.ipvs;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.ipvs.ApplyResult;
import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.IpvsTimeouts;
import io.lvsd.ipvs.IpvsUnavailableException;
import io.lvsd.ipvs.IpvsadmFormat;
import io.lvsd.ipvs.Reconciler;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.ipvs.Stats;
import io.lvsd.linux.net.IpAddresses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the kernel's IPVS table equal to the configuration. Every change goes through the
 * reconciler on one driver thread (blocking netlink calls never run elsewhere): at start
 * (existing entries are adopted, never flushed, so a restart drops no connection), on reload
 * (only the difference), and every {@code ipvs.drift-check-interval} (changes made behind lvsd's
 * back are put right and counted). Without IPVS in the kernel it says so once, keeps the rest of
 * the daemon running, reports the condition, and tries again at each drift check.
 */
public final class IpvsComponent implements Component {
    private static final Logger log = LoggerFactory.getLogger(IpvsComponent.class);
    private static final org.slf4j.Marker EVENT = io.lvsd.controller.daemon.EventLog.marker("ipvs");

    /** Opens the kernel client; throws {@link IpvsUnavailableException} without IPVS. */
    public interface ClientFactory {
        IpvsClient open() throws IOException;
    }

    /** Work another component does with the kernel client, on the driver thread. */
    public interface ClientTask {
        void run(IpvsClient client) throws IOException;
    }

    private final ClientFactory factory;
    private final MeterRegistry registry;
    private final Clock clock;
    private final ScheduledExecutorService driver;
    private final Duration statsInterval;

    private IpvsClient client;
    private final io.lvsd.linux.Sysctl sysctl;
    /** What the sync component asks for (driver thread), and whether it changed since the daemons were applied. */
    private KernelState.SyncIntent syncIntent;
    private boolean syncDirty;
    /** Set while wiring, before {@link #start}: the driver thread's tasks are all submitted after. */
    private SyncListener syncListener = (cause, outcome, running) -> { };
    /** The whole desired kernel state (driver thread). */
    private KernelState state = KernelState.desired(null, DesiredTable.Health.CONFIGURED, null);
    /** Set while wiring, before {@link #start}, like {@link #syncListener}; null switches schedulers unguarded. */
    private SchedulerSwitchGuard switchGuard;
    /** Set while wiring, before {@link #start}, like {@link #syncListener}. */
    private DesiredTable.Health health = DesiredTable.Health.CONFIGURED;
    private LvsdConfig config;
    private final java.util.concurrent.atomic.AtomicBoolean healthPending = new java.util.concurrent.atomic.AtomicBoolean();
    private IpvsTimeouts timeouts = IpvsTimeouts.unchanged();
    private final Set<ServiceKey> owned = new LinkedHashSet<>();
    private final Path stateFile;
    /** What the state file holds now (driver thread), so that it is written only when ownership changes. */
    private Set<ServiceKey> saved = Set.of();
    private ScheduledFuture<?> driftTask;
    private ScheduledFuture<?> statsTask;
    private Duration driftInterval;

    /**
     * What the driver thread last saw of the kernel and last made of the configuration, as one immutable
     * snapshot: only the driver thread replaces it, and {@link #status}, the gauges, the health thread
     * ({@link #activeConnections}) and other threads read it whole.
     *
     * @param table      the kernel's table at the last dump (refreshed every few seconds and after each reconcile)
     * @param names      the configured virtual servers' names, by key
     * @param lastReload the table operations (and timeouts) the last reload applied
     */
    private record Observed(boolean available, String error, String lastReconcile, List<String> lastFailures,
                            List<ServiceKey> foreign, List<ServiceState> table, Map<ServiceKey, String> names,
                            List<String> lastReload) {
        Observed {
            lastFailures = List.copyOf(lastFailures);
            foreign = List.copyOf(foreign);
            table = List.copyOf(table);
            lastReload = List.copyOf(lastReload);
        }

        static final Observed START = new Observed(false, null, "never", List.of(), List.of(), List.of(), Map.of(),
                List.of());

        Observed reachable(boolean up, String why) {
            return new Observed(up, why, lastReconcile, lastFailures, foreign, table, names, lastReload);
        }

        Observed reconciled(String when, List<String> failures, List<ServiceKey> notOurs) {
            return new Observed(available, error, when, failures, notOurs, table, names, lastReload);
        }

        Observed dumped(List<ServiceState> now) {
            return new Observed(available, error, lastReconcile, lastFailures, foreign, now, names, lastReload);
        }

        Observed named(Map<ServiceKey, String> now) {
            return new Observed(available, error, lastReconcile, lastFailures, foreign, table, now, lastReload);
        }

        Observed reloaded(List<String> done) {
            return new Observed(available, error, lastReconcile, lastFailures, foreign, table, names, done);
        }
    }

    private volatile Observed observed = Observed.START;
    private final Counter driftCorrections;
    private final Timer reconcileTimer;
    private final Map<String, Meter> statMeters = new HashMap<>();
    private final Map<String, long[]> statValues = new HashMap<>();
    /** Told on the driver thread what each reconcile did to the sync daemons. */
    public interface SyncListener {
        /**
         * @param cause   why the reconcile ran ({@code drift check}, {@code reload}, a VRRP transition, ...)
         * @param outcome the starts and stops done, and the first failure
         * @param running the daemons running afterwards
         */
        void applied(String cause, io.lvsd.sync.SyncDaemonPlan.Outcome outcome, List<io.lvsd.ipvs.SyncDaemon> running);
    }

    public IpvsComponent(ClientFactory factory, MeterRegistry registry, Clock clock, Duration statsInterval) {
        this(factory, registry, clock, statsInterval, null, null);
    }

    public IpvsComponent(ClientFactory factory, MeterRegistry registry, Clock clock, Duration statsInterval,
                         Path stateFile) {
        this(factory, registry, clock, statsInterval, stateFile, null);
    }

    /**
     * @param stateFile where the services lvsd owns are kept across restarts ({@link OwnedServices}); null keeps
     *                  them in memory only
     * @param sysctl    where the sysctls of {@link KernelState} are written; null leaves them alone
     */
    public IpvsComponent(ClientFactory factory, MeterRegistry registry, Clock clock, Duration statsInterval,
                         Path stateFile, io.lvsd.linux.Sysctl sysctl) {
        this.stateFile = stateFile;
        this.sysctl = sysctl;
        this.factory = factory;
        this.registry = registry;
        this.clock = clock;
        this.statsInterval = statsInterval;
        this.driver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lvsd-ipvs-driver");
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("lvsd.ipvs.up", () -> observed.available() ? 1 : 0)
                .description("1 when the kernel's IPVS is reachable, 0 when it is not (see /status)").register(registry);
        Gauge.builder("lvsd.ipvs.foreign.services", () -> observed.foreign().size())
                .description("IPVS services in the kernel that lvsd does not own and leaves alone").register(registry);
        driftCorrections = Counter.builder("lvsd.ipvs.drift.corrections")
                .description("Operations a drift check needed to put the kernel table right").register(registry);
        reconcileTimer = Timer.builder("lvsd.ipvs.reconcile.duration")
                .description("Time to dump, compare and apply the IPVS table").register(registry);
    }

    @Override
    public String name() {
        return "ipvs";
    }

    @Override
    public void start(LvsdConfig config) throws Exception {
        call(() -> {
            adoptOwned();
            apply(config, Set.of(), "start");
            return null;
        });
        if (switchGuard != null) {
            driver.execute(() -> safely(switchGuard::clearLeftover));
        }
        schedule(config.ipvs().driftCheckInterval());
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        call(() -> {
            apply(next, DesiredTable.from(previous).names().keySet(), "reload");
            return null;
        });
        if (!next.ipvs().driftCheckInterval().equals(driftInterval)) {
            schedule(next.ipvs().driftCheckInterval());
        }
    }

    @Override
    public List<String> lastReload() {
        return observed.lastReload();
    }

    @Override
    public void stop() {
        // The table stays: the kernel keeps forwarding while lvsd restarts.
        driver.shutdownNow();
        try {
            driver.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (client != null) {
            client.close();
        }
    }

    /**
     * Runs {@code task} on the driver thread, after the table work queued before it, with a connected client.
     * The future fails with the reason when the kernel's IPVS cannot be reached or the task throws.
     */
    public java.util.concurrent.CompletableFuture<Void> execute(ClientTask task) {
        java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
        try {
            driver.execute(() -> {
                try {
                    if (!connect()) {
                        throw new IOException(observed.error());
                    }
                    task.run(client);
                    f.complete(null);
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            f.completeExceptionally(new IOException("the IPVS driver has stopped"));
        }
        return f;
    }

    /** Where real servers' weights come from (health checks); before the first start. */
    public void health(DesiredTable.Health h) {
        this.health = java.util.Objects.requireNonNull(h, "health");
    }

    /**
     * The health of some real servers changed: recompute the table and reconcile, once for however many changes
     * arrive before the driver gets to it.
     */
    public void healthChanged() {
        if (!healthPending.compareAndSet(false, true)) {
            return;
        }
        try {
            driver.execute(() -> safely(() -> {
                healthPending.set(false);
                if (config != null) {
                    refreshDesired();
                    reconcile("health check");
                }
            }));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            healthPending.set(false);
        }
    }

    /** What keeps a scheduler change from refusing new connections; before the first start. */
    public void switchGuard(SchedulerSwitchGuard g) {
        this.switchGuard = java.util.Objects.requireNonNull(g, "guard");
    }

    /** Where the outcome of every sync daemon reconcile goes; before the first start. */
    public void syncListener(SyncListener l) {
        this.syncListener = java.util.Objects.requireNonNull(l, "listener");
    }

    /**
     * The sync component's wish changed (its configuration, or the followed instance's role): reconcile the
     * kernel, sync daemons included, on the driver thread. The future fails with the reason when the daemons
     * could not be read or the kernel's IPVS cannot be reached.
     */
    public java.util.concurrent.CompletableFuture<Void> sync(KernelState.SyncIntent intent, String cause) {
        java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
        try {
            driver.execute(() -> {
                syncIntent = intent;
                syncDirty = true;
                refreshDesired();
                reconcile(cause);
                if (syncDirty) {
                    String error = observed.error();
                    f.completeExceptionally(new IOException(error != null ? error : "the sync daemons were not applied"));
                } else {
                    f.complete(null);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            f.completeExceptionally(new IOException("the IPVS driver has stopped"));
        }
        return f;
    }

    /** Runs a drift check now and waits; for tests and the admin endpoint. */
    public long driftCheckNow() throws Exception {
        return call(this::driftCheck);
    }

    /**
     * Active connections of {@code realServer} in {@code service} in the last snapshot (refreshed every few
     * seconds and after each reconcile), or -1 when the kernel does not have it.
     */
    public long activeConnections(ServiceKey service, InetSocketAddress realServer) {
        for (ServiceState s : observed.table()) {
            if (s.service().key().equals(service)) {
                for (ServiceState.DestinationState d : s.destinations()) {
                    if (d.destination().address().equals(realServer)) {
                        return d.activeConnections();
                    }
                }
            }
        }
        return -1;
    }

    /** {@code s}'s destinations as the kernel lists them, head to tail: {@code address/weight}. */
    public static List<String> destinationOrder(ServiceState s) {
        List<String> out = new ArrayList<>();
        for (ServiceState.DestinationState d : s.destinations()) {
            out.add(IpAddresses.format(d.destination().address()) + "/" + d.destination().weight());
        }
        return out;
    }

    /** The /status view, from the last snapshot. */
    public IpvsStatus status() {
        List<IpvsStatus.Service> services = new ArrayList<>();
        Observed o = observed;
        Map<ServiceKey, String> names = o.names();
        Map<ServiceKey, List<String>> order = new java.util.HashMap<>();
        for (ServiceState s : o.table()) {
            order.put(s.service().key(), destinationOrder(s));
        }
        for (ServiceState s : io.lvsd.ipvs.IpvsadmOrder.sort(o.table())) {
            List<IpvsStatus.RealServer> reals = new ArrayList<>();
            for (ServiceState.DestinationState d : s.destinations()) {
                reals.add(new IpvsStatus.RealServer(IpAddresses.format(d.destination().address()),
                        d.destination().forwarding().key(), d.destination().weight(), d.activeConnections(),
                        d.inactiveConnections(), d.stats().connections()));
            }
            Stats st = s.stats();
            String rule = IpvsadmFormat.save(List.of(new ServiceState(s.service(), st, List.of()))).strip();
            services.add(new IpvsStatus.Service(names.get(s.service().key()), s.service().key().describe(),
                    s.service().scheduler(), rule, st.connections(), st.inPackets(), st.outPackets(), st.inBytes(),
                    st.outBytes(), st.cps(), st.inPps(), st.outPps(), st.inBps(), st.outBps(), reals,
                    order.getOrDefault(s.service().key(), List.of())));
        }
        return new IpvsStatus(o.available(), o.error(), o.lastReconcile(), (long) driftCorrections.count(),
                o.lastFailures(), o.foreign().stream().map(ServiceKey::describe).toList(), services);
    }

    // ---- on the driver thread

    /**
     * At start: the services a previous run owned are lvsd's again, so that one removed from the configuration
     * while lvsd was stopped is deleted, not left behind as foreign. A missing file is a first start; an unreadable
     * or corrupt one is logged and counted as an error; every load is counted by its result, and without a readable
     * file lvsd owns nothing it cannot prove (foreign services stay foreign).
     */
    private void adoptOwned() {
        if (stateFile == null) {
            return;
        }
        OwnedServices.Loaded l = OwnedServices.load(stateFile);
        stateFileLoad(l.problem() != null ? "unreadable" : l.missing() ? "missing" : "adopted").increment();
        if (l.problem() != null) {
            stateFileError("read").increment();
            log.warn("ipvs: {}; starting as if lvsd owned no service (services it created before are now foreign "
                    + "and left alone)", l.problem());
        } else if (l.missing()) {
            log.info("ipvs: no {} yet: lvsd owns no service from an earlier run", stateFile);
        } else {
            log.info("ipvs: {} says lvsd owns {} service(s) from an earlier run: {}", stateFile, l.services().size(),
                    String.join(", ", l.services().stream().map(ServiceKey::describe).toList()));
        }
        owned.addAll(l.services());
        saved = Set.copyOf(l.services());
    }

    /** After a reconcile: the state file follows what lvsd owns (written only when that changed). */
    private void saveOwned() {
        if (stateFile == null || saved.equals(owned)) {
            return;
        }
        Set<ServiceKey> now = Set.copyOf(owned);
        try {
            OwnedServices.save(stateFile, now);
            saved = now;
        } catch (IOException | RuntimeException e) {
            stateFileError("write").increment();
            log.warn("ipvs: cannot write {}: {}; a restart may leave services behind as foreign", stateFile,
                    e.toString());
        }
    }

    private Counter stateFileLoad(String result) {
        return Counter.builder("lvsd.state.file.loads").tag("result", result)
                .description("State-file loads at start: adopted, missing (owns nothing: a first start, or the file "
                        + "was removed) or unreadable (owns nothing; also counted as an error)").register(registry);
    }

    private Counter stateFileError(String op) {
        return Counter.builder("lvsd.state.file.errors").tag("op", op)
                .description("State-file reads and writes that failed (logged; lvsd goes on)").register(registry);
    }

    private void apply(LvsdConfig config, Set<ServiceKey> previouslyWanted, String why) {
        this.config = config;
        refreshDesired();
        owned.addAll(previouslyWanted);
        owned.addAll(state.table().names().keySet());
        reconcile(why);
    }

    /**
     * The kernel state the configuration in force, the health checks' view of each real server and the sync
     * component's wish ask for ({@link KernelState#desired}, the one place it is computed).
     */
    private void refreshDesired() {
        state = KernelState.desired(config, health.now(), syncIntent);
        timeouts = state.timeouts();
        observed = observed.named(state.table().names());
    }

    private long driftCheck() {
        refreshDesired();
        return reconcile("drift check");
    }

    /**
     * The one reconciler: brings the kernel to {@link #state} (timeouts, sysctls at start and reload, the table,
     * the sync daemons) and returns the number of table operations applied.
     */
    private long reconcile(String why) {
        boolean syncWanted = state.sync().managed() || syncDirty;
        if (state.table().services().isEmpty() && owned.isEmpty() && client == null && !syncWanted) {
            // No virtual servers: IPVS is not needed (a VRRP-only director runs without it).
            observed = observed.reachable(false, null).reconciled(clock.instant() + " (" + why
                    + ": no virtual servers configured)", observed.lastFailures(), observed.foreign());
            return 0;
        }
        if (!connect()) {
            return 0;
        }
        Timer.Sample sample = Timer.start(registry);
        try {
            IpvsTimeouts timeoutsBefore = why.equals("reload") ? client.timeouts() : null;
            if (timeouts.tcp() != null || timeouts.tcpFin() != null || timeouts.udp() != null) {
                if (!client.timeouts().equals(merged(client.timeouts(), timeouts))) {
                    client.setTimeouts(timeouts);
                    log.info("ipvs: timeouts set ({})", why);
                }
            }
            if (sysctl != null && (why.equals("start") || why.equals("reload"))) {
                sysctls(why);
            }
            Reconciler.Report r = Reconciler.reconcile(client, state.table().services(), owned, this::switchSchedulers);
            ApplyResult result = r.result();
            for (ApplyResult.Outcome o : result.outcomes()) {
                registry.counter("lvsd.ipvs.reconcile.operations", "op", o.op().kind(),
                        "result", o.applied() ? "success" : "failure").increment();
            }
            if (!r.plan().foreign().isEmpty() && !r.plan().foreign().equals(observed.foreign())) {
                log.info("ipvs: leaving {} service(s) alone that lvsd does not own: {}", r.plan().foreign().size(),
                        String.join(", ", r.plan().foreign().stream().map(ServiceKey::describe).toList()));
            }
            // Services lvsd wanted before but no longer does are gone now (or will be retried).
            Set<ServiceKey> keep = new HashSet<>(state.table().names().keySet());
            for (ApplyResult.Outcome o : result.outcomes()) {
                if (!o.applied() && o.op() instanceof IpvsOp.DeleteService d) {
                    keep.add(d.key());
                }
            }
            owned.retainAll(keep);
            saveOwned();
            List<String> failures = result.failures().stream().map(ApplyResult.Outcome::describe).toList();
            long applied = result.appliedCount();
            if (why.equals("reload")) {
                List<String> done = new ArrayList<>();
                for (ApplyResult.Outcome o : result.outcomes()) {
                    if (o.applied()) {
                        done.add(o.op().describe());
                        io.lvsd.controller.daemon.Component.countReloadAction(registry, name(), o.op().kind());
                    }
                }
                if (!timeoutsBefore.equals(client.timeouts())) {
                    IpvsTimeouts t = client.timeouts();
                    done.add(0, "SET_TIMEOUTS tcp " + t.tcp().toSeconds() + "s tcp-fin " + t.tcpFin().toSeconds()
                            + "s udp " + t.udp().toSeconds() + "s");
                    io.lvsd.controller.daemon.Component.countReloadAction(registry, name(), "set-timeouts");
                }
                observed = observed.reloaded(done);
            }
            if (why.equals("drift check") && applied > 0) {
                driftCorrections.increment(applied);
                log.warn(EVENT, "ipvs: drift check corrected {} entr{} changed outside lvsd", applied, applied == 1 ? "y" : "ies");
            } else if (!r.plan().ops().isEmpty()) {
                log.info("ipvs: {}: {} operation(s) applied", why, applied);
            }
            for (String f : failures) {
                log.error("ipvs: {}: {}", why, f);
            }
            observed = observed.reconciled(clock.instant().toString() + " (" + why + ", " + applied + " applied, "
                    + failures.size() + " failed)", failures, r.plan().foreign());
            if (syncWanted) {
                io.lvsd.sync.SyncDaemonPlan.Outcome o = io.lvsd.sync.SyncDaemonPlan.apply(client, state.sync().daemons());
                syncDirty = false;
                syncListener.applied(why, o, client.daemons());
            }
            refreshStats();
            return applied;
        } catch (IOException | RuntimeException e) {
            log.error("ipvs: {} failed: {}", why, e.getMessage());
            closeClient();
            observed = observed.reachable(false, e.getMessage());
            return 0;
        } finally {
            sample.stop(reconcileTimer);
        }
    }

    /** Applies a plan that switches schedulers inside the guard, and counts how it went. */
    private ApplyResult switchSchedulers(List<Reconciler.SchedulerSwitch> switching, Reconciler.Apply apply)
            throws IOException {
        if (switchGuard == null) {
            ApplyResult r = apply.call();
            switches("none").increment(switching.size());
            return r;
        }
        try {
            return switchGuard.around(switching, apply);
        } finally {
            SchedulerSwitchGuard.Outcome o = switchGuard.last();
            switches(o != null && o.guarded() ? "held" : "unguarded").increment(switching.size());
            if (o != null && o.guarded()) {
                Counter.builder("lvsd.ipvs.scheduler.switch.held")
                        .description("New connections that met the kernel's scheduler-switch window and were held back "
                                + "to retry instead of being refused").register(registry).increment(o.held());
            }
        }
    }

    private Counter switches(String guard) {
        return Counter.builder("lvsd.ipvs.scheduler.switches").tag("guard", guard)
                .description("Scheduler changes applied to services; guard: held (refusals held back by nftables), "
                        + "unguarded (no nft, or it failed), none (no guard wired)").register(registry);
    }

    /** Sets the sysctls {@link #state} asks for that differ; a failure is logged and does not stop the rest. */
    private void sysctls(String why) {
        for (Map.Entry<String, String> e : state.sysctls().entrySet()) {
            try {
                if (!sysctl.read(e.getKey()).trim().equals(e.getValue())) {
                    sysctl.write(e.getKey(), e.getValue());
                    log.info("ipvs: set {} = {} ({}; UDP or fwmark virtual servers: flows to a failed real server "
                            + "must move, not wait for the UDP timeout)", e.getKey(), e.getValue(), why);
                }
            } catch (IOException ex) {
                log.warn("ipvs: {}", ex.getMessage());
            }
        }
    }

    private static IpvsTimeouts merged(IpvsTimeouts current, IpvsTimeouts wanted) {
        return new IpvsTimeouts(wanted.tcp() != null ? wanted.tcp() : current.tcp(),
                wanted.tcpFin() != null ? wanted.tcpFin() : current.tcpFin(), wanted.udp() != null ? wanted.udp() : current.udp());
    }

    private boolean connect() {
        if (client != null) {
            return true;
        }
        try {
            client = factory.open();
            if (!observed.available() && observed.error() != null) {
                log.info("ipvs: the kernel's IPVS is reachable again");
            }
            observed = observed.reachable(true, null);
            return true;
        } catch (IpvsUnavailableException e) {
            if (observed.error() == null || !observed.error().equals(e.getMessage())) {
                log.error("{}", e.getMessage());
            }
            observed = observed.reachable(false, e.getMessage());
            return false;
        } catch (IOException | RuntimeException e) {
            log.error("ipvs: cannot open the netlink socket: {}", e.getMessage());
            observed = observed.reachable(false, e.getMessage());
            return false;
        }
    }

    private void closeClient() {
        if (client != null) {
            client.close();
            client = null;
        }
        observed = observed.reachable(false, observed.error());
    }

    private void refreshStats() {
        if (client == null) {
            return;
        }
        try {
            List<ServiceState> s = client.dump();
            observed = observed.dumped(s);
            updateMeters(s);
        } catch (IOException | RuntimeException e) {
            log.warn("ipvs: reading counters failed: {}", e.getMessage());
        }
    }

    /** Per-service and per-real-server meters, labelled with the configured names. */
    private void updateMeters(List<ServiceState> table) {
        Set<String> seen = new HashSet<>();
        Map<ServiceKey, String> names = state.table().names();
        for (ServiceState s : table) {
            String svc = names.get(s.service().key());
            if (svc == null) {
                continue; // foreign services stay out of lvsd's metrics: their labels are unbounded
            }
            Stats st = s.stats();
            counter(seen, "lvsd.ipvs.service.connections", "Connections scheduled", st.connections(), "service", svc);
            counter(seen, "lvsd.ipvs.service.packets", "Packets", st.inPackets(), "service", svc, "direction", "in");
            counter(seen, "lvsd.ipvs.service.packets", "Packets", st.outPackets(), "service", svc, "direction", "out");
            counter(seen, "lvsd.ipvs.service.bytes", "Bytes", st.inBytes(), "service", svc, "direction", "in");
            counter(seen, "lvsd.ipvs.service.bytes", "Bytes", st.outBytes(), "service", svc, "direction", "out");
            for (ServiceState.DestinationState d : s.destinations()) {
                String rs = IpAddresses.format(d.destination().address());
                Stats ds = d.stats();
                counter(seen, "lvsd.ipvs.real.server.connections", "Connections scheduled", ds.connections(),
                        "service", svc, "real_server", rs);
                counter(seen, "lvsd.ipvs.real.server.packets", "Packets", ds.inPackets(), "service", svc, "real_server", rs,
                        "direction", "in");
                counter(seen, "lvsd.ipvs.real.server.packets", "Packets", ds.outPackets(), "service", svc, "real_server", rs,
                        "direction", "out");
                counter(seen, "lvsd.ipvs.real.server.bytes", "Bytes", ds.inBytes(), "service", svc, "real_server", rs,
                        "direction", "in");
                counter(seen, "lvsd.ipvs.real.server.bytes", "Bytes", ds.outBytes(), "service", svc, "real_server", rs,
                        "direction", "out");
                gauge(seen, "lvsd.ipvs.real.server.active.connections", "Active (established) connections",
                        d.activeConnections(), "service", svc, "real_server", rs);
                gauge(seen, "lvsd.ipvs.real.server.inactive.connections", "Inactive connections",
                        d.inactiveConnections(), "service", svc, "real_server", rs);
                gauge(seen, "lvsd.ipvs.real.server.weight", "IPVS weight in the kernel", d.destination().weight(),
                        "service", svc, "real_server", rs);
            }
        }
        for (String id : new ArrayList<>(statMeters.keySet())) {
            if (!seen.contains(id)) {
                registry.remove(statMeters.remove(id));
                statValues.remove(id);
            }
        }
    }

    private void counter(Set<String> seen, String name, String help, long value, String... tags) {
        meter(seen, name, value, tags, id -> FunctionCounter.builder(name, statValues.get(id), v -> v[0])
                .description(help).tags(tags).register(registry));
    }

    private void gauge(Set<String> seen, String name, String help, long value, String... tags) {
        meter(seen, name, value, tags, id -> Gauge.builder(name, statValues.get(id), v -> v[0])
                .description(help).tags(tags).register(registry));
    }

    private void meter(Set<String> seen, String name, long value, String[] tags, Function<String, Meter> create) {
        String id = name + String.join(",", tags);
        seen.add(id);
        statValues.computeIfAbsent(id, k -> new long[1])[0] = value;
        statMeters.computeIfAbsent(id, create);
    }

    // ---- scheduling

    private void schedule(Duration drift) {
        driftInterval = drift;
        if (driftTask != null) {
            driftTask.cancel(false);
        }
        driftTask = driver.scheduleWithFixedDelay(() -> safely(this::driftCheck), drift.toMillis(), drift.toMillis(),
                TimeUnit.MILLISECONDS);
        if (statsTask == null) {
            statsTask = driver.scheduleWithFixedDelay(() -> safely(this::refreshStats), statsInterval.toMillis(),
                    statsInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            log.error("ipvs driver: {}", t.toString());
            registry.counter("lvsd.internal.errors", "loop", "ipvs").increment();
        }
    }

    private <T> T call(java.util.concurrent.Callable<T> c) throws Exception {
        try {
            return driver.submit(c).get(5, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
