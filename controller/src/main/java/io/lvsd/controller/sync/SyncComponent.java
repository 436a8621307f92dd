package io.lvsd.controller.sync;

import io.lvsd.vrrp.VrrpState;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.controller.ipvs.IpvsComponent;
import io.lvsd.controller.vrrp.VrrpComponent;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.ipvs.ServiceState;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.CatchUp;
import io.lvsd.sync.CatchUpReplay;
import io.lvsd.sync.ConnTable;
import io.lvsd.sync.SyncDaemonConfig;
import io.lvsd.sync.SyncConnection;
import io.lvsd.sync.SyncDaemonPlan;
import io.lvsd.sync.SyncMessage;
import io.lvsd.sync.SyncTraffic;
import io.lvsd.sync.SyncWatcher;
import io.lvsd.sync.internal.SyncCodec;
import io.lvsd.vrrp.PreemptGate;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection sync on this director: runs the kernel's sync daemons in step with VRRP, listens to the sync group
 * so that operators (metrics, {@code /status}) and the fail-back gate know whether sync traffic is heard.
 *
 * <ul>
 *   <li>With {@code sync-daemon.follow = VI_1} the master daemon runs while VI_1 is MASTER and the backup daemon
 *       otherwise; without {@code follow} both run. Every change is worked out by {@link SyncDaemonPlan} (start
 *       before stop, only what changed) and carried out on the IPVS driver thread, never on the VRRP loop; the
 *       drift check puts back a daemon someone stopped. Stop leaves no daemon running.</li>
 *   <li>Handover: the kernel's master daemon holds a connection's sync for up to a flush window and throws it
 *       away when stopped. So at a transition of the followed instance the role left behind runs a while more
 *       (the master daemon one flush window, {@link SyncDaemonPlan#FLUSH_WINDOW_NANOS}; the backup daemon
 *       {@link #BACKUP_LINGER_NANOS}, for the old master's last messages and replay), and a director leaving MASTER (a graceful stop,
 *       a preemption back) replays its whole connection table to the group at once, so that the new master
 *       knows the connections of the last seconds before their next packets reach it. lvsd's stop waits for
 *       both (the replay at most {@link #HANDOVER_PATIENCE_NANOS}).</li>
 *   <li>Sync-aware fail-back ({@link PreemptGate}): a returning director that would preempt the followed
 *       instance's master first waits, at most {@code sync-daemon.preempt-wait}, until it has caught up with
 *       that master's connections. It asks the master for a catch-up ({@link CatchUp}); the master replays its
 *       whole connection table as sync messages, idle connections included, which the kernel's sync never
 *       sends again, and says when it is done. A master that does not answer (keepalived, an older lvsd) is
 *       waited for as before: until its sync stream has brought nothing new for {@link #SETTLE_NANOS}.</li>
 * </ul>
 */
public final class SyncComponent implements Component, VrrpComponent.Listener, PreemptGate, SyncWatcher.Listener {
    private static final Logger log = LoggerFactory.getLogger(SyncComponent.class);
    private static final org.slf4j.Marker EVENT = io.lvsd.controller.daemon.EventLog.marker("sync");
    /**
     * One flush window of the kernel's master daemon: it sends a partly filled message at the latest after
     * IPVS_SYNC_FLUSH_TIME (2 s, net/netfilter/ipvs/ip_vs_sync.c). A returning director waits this long after the
     * catch-up's done (connections opened since the master read its table arrive by then); from a master that
     * does not answer, it waits until the stream has brought nothing new for this long.
     */
    static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** At most this many connections are remembered during one fail-back wait. */
    static final int MAX_TRACKED = 100_000;
    /** A catch-up request is sent again when no answer came within this long (a datagram may be lost). */
    static final long REQUEST_AGAIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * A master that has not answered a catch-up request within this long after it went out is taken not to know
     * the exchange. Counted from the first send, not from the decision to ask: a director that has just started
     * (a slow JVM, an emulated lab guest) may take a while to get the datagram out.
     */
    static final long ANSWER_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** A replay pauses after this many datagrams, so that the receiving kernel's socket buffer keeps up. */
    static final int BURST = 16;
    static final long BURST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** A repeated request for a replay done this recently gets only the done again. */
    static final long ANSWERED_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final IpvsComponent ipvs;
    private final MeterRegistry registry;
    private final Clock clock;
    private final LongSupplier nanos;
    private final SyncTraffic traffic;
    private final WatcherFactory watchers;
    /**
     * The sync thread. Every field below that is not final or {@link #view} is read and written only there:
     * other threads (the VRRP loop, the sync-group listener, the IPVS driver thread, the daemon's own) post work
     * to it, and read {@link #view}, which it replaces whole after every change.
     */
    private final java.util.concurrent.Executor home;
    private final Later later;
    private final Sleeper sleeper;
    private final ConnSource conns;
    /** The fail-back gate's own state, confined to the VRRP loop. */
    private final Gate gate = new Gate();

    private SyncDaemonConfig config = SyncDaemonConfig.disabled();
    /** The followed instance's interface, to know whether sync senders share the VRRP addresses. */
    private String followedInterface;
    private boolean followedIsMaster;
    private VrrpState followedState = VrrpState.INIT;
    private Set<SyncDaemon.Role> running = Set.of();
    private String lastChange = "none";
    private String error;
    /** The sync daemon starts and stops the last reload made. */
    private List<String> lastReload = List.of();
    private io.lvsd.sync.SyncGroupSocket watcher;
    private String watching;
    private String watchError;
    /** The role the director left at its last transition of the followed instance, kept until then; or null. */
    private Linger linger;

    private record Linger(SyncDaemon.Role role, long until) {
    }

    // A fail-back wait, as the returning director: the catch-up exchange of the wait whose request carries
    // {@code nonce}, and the connections the master's stream brought meanwhile.
    private boolean tracking;
    private long nonce;
    private final Set<ConnKey> learned = new java.util.HashSet<>();
    private long lastNewConnection = Long.MIN_VALUE;
    /** When this wait's first request actually went out ({@link #nanos}); Long.MAX_VALUE until then. */
    private long firstSentAt = Long.MAX_VALUE;
    /** The master said it has this wait's request: it knows the exchange, so its done is worth waiting for. */
    private boolean accepted;
    private boolean caughtUp;
    /** When the done arrived ({@link #nanos}), and the count it gave. */
    private long caughtUpAt;
    private long caughtUpCount;
    /** As the master: the catch-up requests answered (nonce -> when). */
    private final java.util.Map<Long, Answer> answered = new java.util.LinkedHashMap<>();

    /** What identifies a connection in the kernel's table (a template has no client port). */
    private record ConnKey(int protocol, InetAddress client, int clientPort, InetAddress virtual, int virtualPort,
                           long fwmark, boolean template) {
    }

    /** A catch-up request this master took on: when, and the entries replayed (-1 while the replay runs). */
    private record Answer(long at, long replayed) {
    }

    /** What the sync thread publishes for everyone else: its state after its last change, as one value. */
    private record View(SyncDaemonConfig config, String followedInterface, VrrpState followedState,
                        Set<SyncDaemon.Role> running, String lastChange, String error, String watchError,
                        List<String> lastReload, Wait failBack) {
    }

    /** The catch-up exchange of the fail-back wait whose request carries {@code nonce}, as the gate reads it. */
    private record Wait(boolean tracking, long nonce, long firstSentAt, boolean accepted, boolean caughtUp,
                        long caughtUpAt, long caughtUpCount, int learned, long lastNewConnection) {
        static final Wait NONE = new Wait(false, 0, Long.MAX_VALUE, false, false, 0, 0, 0, Long.MIN_VALUE);
    }

    private volatile View view = new View(SyncDaemonConfig.disabled(), null, VrrpState.INIT, Set.of(), "none", null,
            null, List.of(), Wait.NONE);

    /** How long lvsd's stop waits at most for the sync thread (a handover replay in progress, a flush window). */
    static final long STOP_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * How long a director that has become master keeps its backup daemon: the old master's last flush window
     * and its handover replay, which on a large table or a slow machine takes seconds.
     */
    static final long BACKUP_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Opens the sync-group socket, which counts what it hears in {@code traffic}, hands every datagram to
     * {@code listener}, and sends lvsd's catch-up datagrams; a seam for tests.
     */
    public interface WatcherFactory {
        io.lvsd.sync.SyncGroupSocket open(String ifname, InetAddress group, int port, SyncTraffic traffic,
                                     SyncWatcher.Listener listener) throws IOException;
    }

    /** Runs work later, off the VRRP loop; a seam for tests. */
    public interface Later {
        void after(long delayNanos, Runnable task);
    }

    /** Waits; a seam for tests. */
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    /** Reads this director's connection table; a seam for tests. */
    public interface ConnSource {
        /** Hands every entry to {@code each}; returns how many. */
        long read(java.util.function.Consumer<ConnTable.Entry> each) throws IOException;
    }

    /** The production wiring: the sync group by multicast, the kernel's table from /proc, a sync thread. */
    public SyncComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                         WatcherFactory watchers) {
        this(ipvs, registry, clock, nanos, watchers, each -> ConnTable.read(ConnTable.procFile(), each),
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "lvsd-sync");
                    t.setDaemon(true);
                    return t;
                }));
    }

    private SyncComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                          WatcherFactory watchers, ConnSource conns, java.util.concurrent.ScheduledExecutorService ex) {
        this(ipvs, registry, clock, nanos, watchers, conns, ex,
                (delay, task) -> ex.schedule(task, delay, TimeUnit.NANOSECONDS), TimeUnit.NANOSECONDS::sleep);
    }

    /**
     * @param conns    the connection table a master replays
     * @param home     the sync thread: runs, one at a time, everything that reads or changes this component's
     *                 state, catch-up and handover replays included (never the VRRP loop or the driver thread)
     * @param later    runs work on {@code home} later (the end of a flush window after a transition)
     * @param sleeper  waits out the master daemon's flush window when lvsd stops, on {@code home}
     */
    public SyncComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                         WatcherFactory watchers, ConnSource conns, java.util.concurrent.Executor home,
                         Later later, Sleeper sleeper) {
        this.later = later;
        this.sleeper = sleeper;
        this.ipvs = ipvs;
        this.registry = registry;
        this.clock = clock;
        this.nanos = nanos;
        this.watchers = watchers;
        this.conns = conns;
        this.home = home;
        this.traffic = new SyncTraffic(registry, nanos);
        Counter.builder("lvsd.sync.catchup.entries").description("Connection entries this director replayed to a "
                + "returning peer at its catch-up request").register(registry);
        for (String r : List.of("ok", "failed", "repeated")) {
            catchUpReplays(r);
        }
        Counter.builder("lvsd.sync.handover.entries").description("Connection entries this director replayed to "
                + "the group when the followed instance left MASTER").register(registry);
        for (String r : List.of("ok", "failed")) {
            handovers(r);
        }
        // Load and run the catch-up and handover code once now, rather than at a fail-back or a graceful stop, where
        // a slow first use (class loading, the interpreter) would make the new master wait for the replay.
        SyncCodec.decode(SyncCodec.encode(CatchUp.request(0, 0)));
        rehearseReplay();
        for (SyncDaemon.Role r : SyncDaemon.Role.values()) {
            Gauge.builder("lvsd.sync.daemon.running", () -> view.running().contains(r) ? 1 : 0).tag("role", r.key())
                    .description("1 while this director runs the kernel's sync daemon of this role").register(registry);
            for (SyncDaemonPlan.Action a : SyncDaemonPlan.Action.values()) {
                changes(r, a);
            }
        }
        Counter.builder("lvsd.sync.daemon.failures").description("Sync daemon starts or stops the kernel refused")
                .register(registry);
        ipvs.syncListener((cause, outcome, daemons) -> home.execute(() -> applied(cause, outcome, daemons)));
    }

    /**
     * Replays a one-service, one-connection table into nothing: the parse of a {@code /proc/net/ip_vs_conn} line,
     * the matching against the table and the encoding all run once, before a real replay needs them.
     */
    static long rehearseReplay() {
        try {
            io.lvsd.ipvs.ServiceKey key = new io.lvsd.ipvs.ServiceKey.Addr(io.lvsd.ipvs.Protocol.TCP,
                    new java.net.InetSocketAddress(IpAddresses.parse("10.255.255.1"), 80));
            io.lvsd.ipvs.Destination d = io.lvsd.ipvs.Destination.of(
                    new java.net.InetSocketAddress(IpAddresses.parse("10.255.255.2"), 80), io.lvsd.ipvs.Forwarding.DR, 1);
            List<ServiceState> table = List.of(new ServiceState(io.lvsd.ipvs.VirtualService.of(key, "rr"),
                    io.lvsd.ipvs.Stats.ZERO, List.of(new ServiceState.DestinationState(d, 0, 0, 0, io.lvsd.ipvs.Stats.ZERO))));
            CatchUpReplay r = new CatchUpReplay(table, 0, 1500, IpFamily.IPV4, datagram -> SyncCodec.decode(datagram));
            ConnTable.Entry e = ConnTable.parse("TCP 0AFFFF03 A90E 0AFFFF01 0050 0AFFFF02 0050 ESTABLISHED     899");
            if (e != null) {
                r.add(e);
            }
            return r.finish().replayed();
        } catch (RuntimeException e) {
            log.debug("sync: replay rehearsal: {}", e.toString());
            return -1;
        }
    }

    /** The production watcher: {@link SyncWatcher} joined on the sync interface. */
    public static WatcherFactory multicast() {
        return SyncWatcher::open;
    }

    private Counter handovers(String result) {
        return Counter.builder("lvsd.sync.handover.replays").tag("result", result)
                .description("Replays of this director's connection table when the followed instance left MASTER, "
                        + "by result").register(registry);
    }

    private Counter catchUpReplays(String result) {
        return Counter.builder("lvsd.sync.catchup.replays").tag("result", result)
                .description("Catch-up requests this director answered as master, by result").register(registry);
    }

    private Counter changes(SyncDaemon.Role role, SyncDaemonPlan.Action action) {
        return Counter.builder("lvsd.sync.daemon.changes").tag("role", role.key())
                .tag("action", action.name().toLowerCase(java.util.Locale.ROOT))
                .description("Sync daemon starts and stops, by role").register(registry);
    }

    /** What has been heard on the sync group. */
    public SyncTraffic traffic() {
        return traffic;
    }

    @Override
    public String name() {
        return "sync";
    }

    // ---- the daemon's thread: each waits for the sync thread to do the work

    @Override
    public void start(LvsdConfig c) throws Exception {
        await(onHome(() -> {
            configure(c);
            return config.enabled() ? apply("start") : CompletableFuture.<Void>completedFuture(null);
        }));
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        await(onHome(() -> {
            boolean was = config.enabled();
            configure(next);
            lastReload = List.of();
            publish();
            return was || config.enabled() ? apply("reload") : CompletableFuture.<Void>completedFuture(null);
        }));
    }

    @Override
    public List<String> lastReload() {
        return view.lastReload();
    }

    /**
     * lvsd is stopping and VRRP has not yet let go: a master replays its connection table now, while it still
     * holds the VIPs, so that the peer knows every connection before the priority-0 advert makes it take over.
     * The replay when the instance then leaves MASTER adds what opened since.
     */
    @Override
    public void beforeStop() {
        try {
            onHome(() -> {
                SyncDaemonConfig s = config;
                if (s.enabled() && s.follow() != null && followedIsMaster) {
                    handOver(s, "lvsd is stopping, before " + s.follow() + " lets go");
                }
                return null;
            }).get(STOP_PATIENCE_NANOS, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("sync: the replay before VRRP lets go did not finish: {}", e.toString());
        }
    }

    @Override
    public void stop() {
        try {
            await(onHome(() -> {
                boolean was = config.enabled();
                if (was) {
                    waitOutFlushWindow();
                }
                config = SyncDaemonConfig.disabled();
                closeWatcher();
                publish();
                return was ? apply("stop") : CompletableFuture.<Void>completedFuture(null);
            }));
        } catch (Exception e) {
            log.error("sync: could not stop the sync daemons: {}", e.getMessage());
        }
    }

    /**
     * Runs {@code task} on the sync thread; the future completes with what it returns. For the daemon's thread
     * only: the sync thread itself must not wait for it.
     */
    private <T> CompletableFuture<T> onHome(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        home.execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /**
     * Waits for the kernel's daemons to have changed as {@code f} (whose value is the change) says, and for the
     * sync thread to have taken in what the driver thread reported of it.
     */
    private void await(CompletableFuture<CompletableFuture<Void>> f) throws Exception {
        try {
            f.get(STOP_PATIENCE_NANOS, TimeUnit.NANOSECONDS).get(1, TimeUnit.MINUTES);
            onHome(() -> null).get(STOP_PATIENCE_NANOS, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            throw new IOException("the sync daemons did not change within a minute");
        }
    }

    // ---- the sync thread

    /** Replaces {@link #view} with the state now. */
    private void publish() {
        view = new View(config, followedInterface, followedState, running, lastChange, error, watchError, lastReload,
                new Wait(tracking, nonce, firstSentAt, accepted, caughtUp, caughtUpAt, caughtUpCount, learned.size(),
                        lastNewConnection));
    }

    /**
     * A master daemon the director has just stopped needing (VRRP stops first, so a stopping master has just left
     * MASTER, and its handover replay has run before this) keeps running until its flush window is over, so its
     * last messages go out rather than being thrown away.
     */
    private void waitOutFlushWindow() {
        Linger l = linger;
        long left = l != null && l.role() == SyncDaemon.Role.MASTER ? l.until() - nanos.getAsLong() : 0;
        if (left > 0 && running.contains(SyncDaemon.Role.MASTER)) {
            log.info(EVENT, "sync: keeping the master daemon {} ms more, until its last messages are out",
                    TimeUnit.NANOSECONDS.toMillis(left));
            try {
                sleeper.sleep(Math.min(left, SyncDaemonPlan.FLUSH_WINDOW_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void configure(LvsdConfig c) {
        SyncDaemonConfig s = c.syncDaemon();
        VrrpInstanceConfig followed = s.follow() == null ? null : c.vrrp().instances().get(s.follow());
        followedInterface = followed == null ? null : followed.interfaceName();
        config = s;
        String want = s.enabled() ? s.interfaceName() + " " + group(s).getHostAddress() + ":" + s.port() : null;
        if (!Objects.equals(want, watching)) {
            closeWatcher();
            if (want != null) {
                try {
                    watcher = watchers.open(s.interfaceName(), group(s), s.port(), traffic, this);
                    watching = want;
                    watchError = null;
                } catch (IOException e) {
                    watchError = e.getMessage();
                    log.warn("sync: {}; sync traffic will not show in metrics, and fail-back waits the whole "
                            + "preempt-wait", e.getMessage());
                }
            }
        }
        publish();
    }

    private static InetAddress group(SyncDaemonConfig s) {
        return s.group() != null ? s.group() : IpAddresses.parse(SyncWatcher.DEFAULT_GROUP);
    }

    private void closeWatcher() {
        io.lvsd.sync.SyncGroupSocket w = watcher;
        if (w != null) {
            watcher = null;
            try {
                w.close();
            } catch (RuntimeException e) {
                log.warn("sync: closing the sync-group listener: {}", e.getMessage());
            }
        }
        watching = null;
    }

    // ---- following VRRP

    /** On the VRRP loop: hands the transition to the sync thread. */
    @Override
    public void transition(String instance, VrrpState from, VrrpState to, String reason) {
        home.execute(() -> followed(instance, from, to, reason));
    }

    private void followed(String instance, VrrpState from, VrrpState to, String reason) {
        SyncDaemonConfig s = config;
        if (!s.enabled() || !instance.equals(s.follow())) {
            return;
        }
        followedState = to;
        if (to != VrrpState.BACKUP) {
            tracking = false;
        }
        boolean master = to == VrrpState.MASTER;
        if (master != followedIsMaster) {
            followedIsMaster = master;
            // The role just left keeps running one flush window: a master daemon's unsent messages, or a backup
            // daemon's ear for the old master's last ones and its handover replay.
            long window = master ? BACKUP_LINGER_NANOS : SyncDaemonPlan.FLUSH_WINDOW_NANOS;
            long until = nanos.getAsLong() + window;
            linger = new Linger(master ? SyncDaemon.Role.BACKUP : SyncDaemon.Role.MASTER, until);
            String cause = instance + " " + from + " -> " + to + " (" + reason + ")";
            apply(cause);
            later.after(window, () -> endLinger(until, instance));
            if (!master) {
                handOver(s, cause);
            }
        }
        publish();
    }

    /** One flush window after a transition: the role left behind stops, unless a later transition moved on. */
    private void endLinger(long until, String instance) {
        Linger l = linger;
        if (l == null || l.until() != until || !config.enabled()) {
            return;
        }
        linger = null;
        apply(instance + ": one sync flush window after the transition");
    }

    /**
     * When the followed instance has left MASTER: replays this director's connection table to the group at once.
     * The kernel's master daemon holds a connection's sync for up to a flush window, so the connections opened in
     * the last seconds before a handover (a graceful stop, a preemption back) would reach the new master only
     * after their next packets do, which it then resets; the replay gets there first.
     */
    private void handOver(SyncDaemonConfig s, String cause) {
        long t0 = nanos.getAsLong();
        try {
            CatchUpReplay.Result res = replayTable(s);
            if (res == null) {
                return;
            }
            handovers("ok").increment();
            registry.counter("lvsd.sync.handover.entries").increment(res.replayed());
            log.info(EVENT, "sync: handed over {} connection(s) in {} datagram(s) in {} ms: {}", res.replayed(),
                    res.datagrams(), TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - t0), cause);
        } catch (Exception e) {
            handovers("failed").increment();
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warn(EVENT, "sync: handover replay ({}): {}", cause, c.getMessage());
        }
    }

    /**
     * Hands the IPVS component, the one writer of the kernel's sync daemons, what this component wants now; it
     * reconciles on its driver thread and reports through {@link #applied}.
     */
    private CompletableFuture<Void> apply(String cause) {
        Linger l = linger;
        return ipvs.sync(new io.lvsd.controller.ipvs.KernelState.SyncIntent(config, followedIsMaster,
                        l == null ? Set.of() : Set.of(l.role())), cause)
                .whenComplete((v, t) -> {
            if (t != null) {
                Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                log.error("sync: {}: {}", cause, c.getMessage());
                home.execute(() -> {
                    error = c.getMessage();
                    publish();
                });
            }
        });
    }

    /** After the reconciler brought the kernel's daemons to what this component asked (posted by the driver). */
    private void applied(String cause, SyncDaemonPlan.Outcome o, List<SyncDaemon> daemons) {
        if (cause.equals("reload")) {
            lastReload = o.done().stream().map(SyncDaemonPlan.Step::describe).toList();
        }
        for (SyncDaemonPlan.Step step : o.done()) {
            changes(step.daemon().role(), step.action()).increment();
            if (cause.equals("reload")) {
                io.lvsd.controller.daemon.Component.countReloadAction(registry, name(), step.action().name()
                        .toLowerCase(java.util.Locale.ROOT) + "-" + step.daemon().role().key() + "-daemon");
            }
            String line = "sync: " + step.describe() + ": " + cause;
            if (cause.equals("drift check")) {
                log.warn(EVENT, "{} (it was changed outside lvsd)", line);
            } else {
                log.info(EVENT, "{}", line);
            }
        }
        if (!o.done().isEmpty()) {
            lastChange = clock.instant() + " " + String.join(", ", o.done().stream().map(SyncDaemonPlan.Step::describe)
                    .toList()) + ": " + cause;
        }
        Set<SyncDaemon.Role> now = EnumSet.noneOf(SyncDaemon.Role.class);
        for (SyncDaemon d : daemons) {
            now.add(d.role());
        }
        running = java.util.Collections.unmodifiableSet(now);
        if (o.ok()) {
            error = null;
        } else {
            registry.counter("lvsd.sync.daemon.failures").increment();
            error = o.failed().describe() + ": " + o.error();
            log.error("sync: {} ({}); the drift check tries again", error, cause);
        }
        publish();
    }

    // ---- sync-aware fail-back

    @Override
    public boolean open(String instance, InetAddress master, long waitingSince, long now) {
        return gate.open(instance, master, waitingSince, now);
    }

    /**
     * The fail-back gate, asked on the VRRP loop at every advert of a lower-priority master while this director
     * would preempt it; answers at once from {@link #view}, and posts the catch-up exchange to the sync thread. Its
     * fields are the VRRP loop's only.
     */
    private final class Gate {
        /** The fail-back wait in progress, by its start as the state machine gives it. */
        private long wait = Long.MIN_VALUE;
        /**
         * Whether the gate has opened for {@link #wait}: it stays open for the rest of that wait, as the state
         * machine asks again at every advert until Master_Down_Interval has passed and it takes over.
         */
        private boolean opened;
        private long requestNonce;
        private long requestSentAt;
        /** The last answer, for {@code /status}. */
        private volatile String state = "idle";
        /**
         * Catch-up nonces: they need to be unlikely to repeat, not secret, so a SecureRandom (a read of
         * /dev/urandom per draw) only seeds this generator once, here.
         */
        private final java.util.SplittableRandom random = new java.util.SplittableRandom(
                new java.security.SecureRandom().nextLong());

        boolean open(String instance, InetAddress master, long waitingSince, long now) {
            View v = view;
            SyncDaemonConfig s = v.config();
            if (!s.enabled() || !instance.equals(s.follow()) || s.preemptWait().isZero()) {
                return true;
            }
            String who = master.getHostAddress();
            if (waitingSince != wait) {
                wait = waitingSince;
                opened = false;
                long n = random.nextLong();
                requestNonce = n;
                requestSentAt = now;
                home.execute(() -> beginWait(s, n));
                log.info(EVENT, "sync: {} holds back from preempting {} until it has caught up with its connections (at "
                        + "most {} ms); catch-up request {} sent", instance, who, s.preemptWait().toMillis(),
                        Long.toHexString(n));
                v = view;
            } else if (opened) {
                return true;
            }
            // What the sync thread has of this wait; nothing yet while it has not taken the wait on.
            Wait w = v.failBack().tracking() && v.failBack().nonce() == requestNonce ? v.failBack() : Wait.NONE;
            long waited = now - waitingSince;
            if (!w.caughtUp() && now - requestSentAt >= REQUEST_AGAIN_NANOS) {
                requestSentAt = now;
                long n = requestNonce;
                home.execute(() -> request(s, n));
            }
            // A sync sender is the master's address on the sync interface; on another interface than VRRP's it is
            // another address of the same peer, so any sender will do there.
            boolean sameLink = s.interfaceName().equals(v.followedInterface());
            boolean heard = sameLink ? traffic.heardFrom(master, waited) : traffic.heardFromAny(waited);
            long quiet = w.lastNewConnection() == Long.MIN_VALUE ? 0 : now - w.lastNewConnection();
            int count = w.learned();
            // After the done, one flush window more: a connection opened after the master read its table reaches
            // this director through the kernel's own stream within IPVS_SYNC_FLUSH_TIME of its third packet.
            // Waiting for a quiet stream instead would wait for ever under a steady stream of new connections.
            long sinceDone = w.caughtUp() ? now - w.caughtUpAt() : -1;
            if (w.caughtUp() && sinceDone >= SETTLE_NANOS) {
                return pass("open: caught up: " + who + " replayed " + w.caughtUpCount() + " connection(s), done "
                        + TimeUnit.NANOSECONDS.toMillis(sinceDone) + " ms ago; " + count + " learned; waited "
                        + TimeUnit.NANOSECONDS.toMillis(waited) + " ms", false, instance, who);
            }
            long unanswered = w.firstSentAt() == Long.MAX_VALUE ? 0 : now - w.firstSentAt();
            if (!w.caughtUp() && !w.accepted() && unanswered >= ANSWER_PATIENCE_NANOS && heard && quiet >= SETTLE_NANOS) {
                return pass("open: sync traffic from " + who + " heard; " + count + " connection(s) learned, none new "
                        + "for " + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms; waited "
                        + TimeUnit.NANOSECONDS.toMillis(waited) + " ms; no catch-up answer from " + who,
                        true, instance, who);
            }
            if (waited >= s.preemptWait().toNanos()) {
                return pass("open: preempt-wait (" + s.preemptWait().toMillis() + " ms) ran out " + (heard
                        ? "while the sync stream from " + who + " still brought new connections (" + count + " learned)"
                        : "without sync traffic from " + who), true, instance, who);
            }
            state = (w.caughtUp() ? "caught up with " + who + " (" + w.caughtUpCount() + " replayed); waiting one "
                    + "sync flush window for connections opened since" : w.accepted() ? "waiting for " + who
                    + " to finish replaying its connections" : "waiting for " + who + " to answer the catch-up request "
                    + "and for its sync stream") + " (" + TimeUnit.NANOSECONDS.toMillis(waited) + " ms so far, "
                    + count + " connection(s) learned)";
            return false;
        }

        private boolean pass(String why, boolean warn, String instance, String who) {
            state = why;
            opened = true;
            long n = requestNonce;
            home.execute(() -> endWait(n));
            if (warn) {
                log.warn(EVENT, "sync: {} preempts {}: {}: connections only it knows may break", instance, who,
                        why.substring(6));
            } else {
                log.info(EVENT, "sync: {} may preempt {}: {}", instance, who, why.substring(6));
            }
            return true;
        }
    }

    /** A new fail-back wait: forget the last one's exchange and connections, and send this one's request. */
    private void beginWait(SyncDaemonConfig s, long n) {
        learned.clear();
        lastNewConnection = Long.MIN_VALUE;
        tracking = true;
        nonce = n;
        accepted = false;
        caughtUp = false;
        caughtUpCount = 0;
        firstSentAt = Long.MAX_VALUE;
        publish();
        request(s, n);
    }

    private void endWait(long n) {
        if (nonce == n && tracking) {
            tracking = false;
            publish();
        }
    }

    /** Sends the catch-up request of the wait {@code n}, unless a later wait has begun. */
    private void request(SyncDaemonConfig s, long n) {
        if (n != nonce || !tracking) {
            return;
        }
        if (send(CatchUp.request(s.syncId(), n), null) && firstSentAt == Long.MAX_VALUE) {
            firstSentAt = nanos.getAsLong();
            publish();
        }
    }

    /** From the sync-group listener's thread: a catch-up request (as master) or its answer (as returning director). */
    @Override
    public void control(InetAddress from, CatchUp c) {
        long at = nanos.getAsLong();
        home.execute(() -> control(from, c, at));
    }

    private void control(InetAddress from, CatchUp c, long at) {
        SyncDaemonConfig s = config;
        if (!s.enabled() || (s.syncId() != 0 && c.syncId() != 0 && s.syncId() != c.syncId())) {
            return;
        }
        if (c.kind() == CatchUp.Kind.ACCEPTED) {
            if (tracking && c.nonce() == nonce && !accepted) {
                accepted = true;
                publish();
            }
            return;
        }
        if (c.kind() == CatchUp.Kind.DONE) {
            if (tracking && c.nonce() == nonce && !caughtUp) {
                caughtUpCount = c.count();
                caughtUpAt = at;
                caughtUp = true;
                publish();
                log.info(EVENT, "sync: {} replayed {} connection(s) (catch-up {})", from.getHostAddress(), c.count(),
                        Long.toHexString(c.nonce()));
            }
            return;
        }
        if (s.follow() == null || !followedIsMaster) {
            return; // only the master's table is worth replaying
        }
        answered.values().removeIf(a -> at - a.at() >= ANSWERED_NANOS);
        Answer before = answered.get(c.nonce());
        if (before == null) {
            answered.put(c.nonce(), new Answer(at, -1));
            // Said before the replay: the requester then waits for the done however long the replay takes.
            send(CatchUp.accepted(s.syncId(), c.nonce()), from);
            replay(s, from, c.nonce());
        } else if (before.replayed() >= 0) {
            // The requester asks again: its done was lost. Say it again rather than replay everything again.
            catchUpReplays("repeated").increment();
            send(CatchUp.done(s.syncId(), c.nonce(), before.replayed()), from);
        }
    }

    /**
     * Sends a catch-up datagram now (one small UDP send); {@code to} names the peer it answers, null for a
     * request. False when there is no socket or the send failed (logged).
     */
    private boolean send(CatchUp c, InetAddress to) {
        io.lvsd.sync.SyncGroupSocket w = watcher;
        if (w == null) {
            return false;
        }
        try {
            w.send(SyncCodec.encode(c));
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("sync: catch-up {}{}: {}", c.kind().name().toLowerCase(java.util.Locale.ROOT),
                    to == null ? "" : " for " + to.getHostAddress(), e.getMessage());
            return false;
        }
    }

    /** Replays this master's connection table to the group, then says it is done. */
    private void replay(SyncDaemonConfig s, InetAddress to, long n) {
        String id = Long.toHexString(n);
        long t0 = nanos.getAsLong();
        try {
            CatchUpReplay.Result res = replayTable(s);
            if (res == null) {
                throw new IOException("the sync-group socket is closed");
            }
            watcher.send(SyncCodec.encode(CatchUp.done(s.syncId(), n, res.replayed())));
            answered.computeIfPresent(n, (k, a) -> new Answer(a.at(), res.replayed()));
            catchUpReplays("ok").increment();
            registry.counter("lvsd.sync.catchup.entries").increment(res.replayed());
            log.info(EVENT, "sync: replayed {} connection(s) in {} datagram(s) in {} ms at {}'s catch-up request {}{}",
                    res.replayed(), res.datagrams(), TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - t0),
                    to.getHostAddress(), id, res.unplaced() + res.persistenceEngine() == 0 ? ""
                            : "; skipped " + res.unplaced() + " whose service the table does not have and "
                            + res.persistenceEngine() + " persistence-engine entries");
        } catch (Exception e) {
            catchUpReplays("failed").increment();
            answered.remove(n); // a repeated request tries again
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warn("sync: catch-up replay for {} ({}): {}", to.getHostAddress(), id, c.getMessage());
        }
    }

    /**
     * Replays this director's whole connection table to the group as sync messages, paced; null when the
     * sync-group socket is closed. The table comes from the driver thread, which never waits for this one.
     */
    private CatchUpReplay.Result replayTable(SyncDaemonConfig s) throws Exception {
        io.lvsd.sync.SyncGroupSocket w = watcher;
        if (w == null) {
            return null;
        }
        CompletableFuture<List<ServiceState>> table = new CompletableFuture<>();
        ipvs.execute(client -> table.complete(client.dump())).get(30, TimeUnit.SECONDS);
        int[] sent = {0};
        IOException[] failed = {null};
        IpFamily family = io.lvsd.linux.net.IpAddresses.family(group(s));
        int mtu = w.mtu();
        if (s.maxlen() > 0) {
            // The operator's cap on sync payloads holds for the replay too.
            mtu = Math.min(mtu, s.maxlen() + (family == IpFamily.IPV6 ? 48 : 28));
        }
        CatchUpReplay r = new CatchUpReplay(table.getNow(List.of()), s.syncId(), mtu, family,
                d -> {
                    if (failed[0] != null) {
                        return;
                    }
                    try {
                        w.send(d);
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                    if (++sent[0] % BURST == 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(BURST_PAUSE_NANOS);
                    }
                });
        conns.read(r::add);
        CatchUpReplay.Result res = r.finish();
        if (failed[0] != null) {
            throw failed[0];
        }
        return res;
    }

    /** From the sync-group listener's thread: during a fail-back wait, notes connections new to this director. */
    @Override
    public void message(InetAddress from, SyncMessage message) {
        if (!view.failBack().tracking()) {
            return;
        }
        long at = nanos.getAsLong();
        home.execute(() -> learn(message, at));
    }

    private void learn(SyncMessage message, long at) {
        if (!tracking) {
            return;
        }
        for (SyncConnection c : message.connections()) {
            if (learned.size() >= MAX_TRACKED) {
                break;
            }
            boolean template = (c.flags() & SyncConnection.F_TEMPLATE) != 0;
            if (learned.add(new ConnKey(c.protocol(), c.client(), c.clientPort(), c.virtual(), c.virtualPort(),
                    c.fwmark(), template))) {
                lastNewConnection = at;
            }
        }
        if (lastNewConnection == Long.MIN_VALUE) {
            lastNewConnection = at; // a first message with nothing in it still starts the quiet window
        }
        publish();
    }

    @Override
    public void malformed(InetAddress from, SyncCodec.Error e, String detail) {
        log.debug("sync datagram from {} did not decode: {} ({})", from.getHostAddress(), e.label(), detail);
    }

    // ---- status

    /** The {@code /status} view. */
    public SyncStatus status() {
        View v = view;
        SyncDaemonConfig s = v.config();
        List<SyncStatus.Sender> senders = new ArrayList<>();
        long now = nanos.getAsLong();
        for (SyncTraffic.SenderStats st : traffic.senders()) {
            senders.add(new SyncStatus.Sender(st.sender(), st.syncId(), st.messages(), st.entries(), st.errors(),
                    st.lastNanos() == Long.MIN_VALUE ? null : (now - st.lastNanos()) / 1e9));
        }
        List<String> roles = v.running().stream().sorted().map(SyncDaemon.Role::key).toList();
        return new SyncStatus(s.enabled(), s.interfaceName(), s.syncId(), s.follow(),
                s.follow() == null ? null : v.followedState().name(), roles, v.lastChange(), v.error(), v.watchError(),
                s.follow() == null ? null : gate.state, senders);
    }
}
