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

    private volatile SyncDaemonConfig config = SyncDaemonConfig.disabled();
    /** The followed instance's interface, to know whether sync senders share the VRRP addresses. */
    private volatile String followedInterface;
    private volatile boolean followedIsMaster;
    private volatile VrrpState followedState = VrrpState.INIT;
    private volatile Set<SyncDaemon.Role> running = EnumSet.noneOf(SyncDaemon.Role.class);
    private volatile String lastChange = "none";
    private volatile String error;
    private volatile String gateState = "idle";
    /** The fail-back wait in progress, by its start as the state machine gives it. */
    private long gateWait = Long.MIN_VALUE;
    /**
     * Whether the gate has opened for {@link #gateWait}: it stays open for the rest of that wait, as the state
     * machine asks again at every advert until Master_Down_Interval has passed and it takes over.
     */
    private boolean gateOpen;
    /** The connections the master's stream brought during the current fail-back wait; guarded by itself. */
    private final Set<ConnKey> learned = new java.util.HashSet<>();
    private volatile boolean tracking;
    private long lastNewConnection = Long.MIN_VALUE;

    /** What identifies a connection in the kernel's table (a template has no client port). */
    private record ConnKey(int protocol, InetAddress client, int clientPort, InetAddress virtual, int virtualPort,
                           long fwmark, boolean template) {
    }
    private volatile io.lvsd.sync.SyncGroupSocket watcher;
    private String watching;
    private volatile String watchError;

    // The catch-up exchange. As the requester: the nonce of this wait's request, when it was last sent, and the
    // answer. As the master: the requests answered (nonce -> when), guarded by itself.
    private long requestNonce;
    private long requestSentAt;
    /** When this wait's first request actually went out ({@link #nanos}); Long.MAX_VALUE until then. */
    private volatile long firstSentAt = Long.MAX_VALUE;
    private volatile boolean caughtUp;
    /** When the done arrived ({@link #nanos}). */
    private volatile long caughtUpAt;
    /** The master said it has this wait's request: it knows the exchange, so its done is worth waiting for. */
    private volatile boolean accepted;
    private volatile long caughtUpCount;
    private final java.util.Map<Long, Answer> answered = new java.util.LinkedHashMap<>();

    /** A catch-up request this master took on: when, and the entries replayed (-1 while the replay runs). */
    private record Answer(long at, long replayed) {
    }
    private final java.util.concurrent.Executor catchUp;
    private final Later later;
    private final Sleeper sleeper;
    /**
     * The role the director left at its last transition of the followed instance, kept until {@code until}
     * ({@link #nanos}); null when none. Written on the VRRP loop, read on the driver thread, as one value.
     */
    private record Linger(SyncDaemon.Role role, long until) {
    }
    private volatile Linger linger;
    /** The last handover replay, done or running; completed at once when there was none. */
    private volatile CompletableFuture<Void> handover = CompletableFuture.completedFuture(null);
    /** How long lvsd's stop waits at most for a running handover replay. */
    static final long HANDOVER_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * How long a director that has become master keeps its backup daemon: the old master's last flush window
     * and its handover replay, which on a large table or a slow machine takes seconds.
     */
    static final long BACKUP_LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final ConnSource conns;
    /**
     * Catch-up nonces, drawn on the VRRP loop: they need to be unlikely to repeat, not secret, so a SecureRandom
     * (a read of /dev/urandom per draw) only seeds this generator once, here.
     */
    private final java.util.SplittableRandom random = new java.util.SplittableRandom(
            new java.security.SecureRandom().nextLong());

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

    /** The production wiring: the sync group by multicast, the kernel's table from /proc, a catch-up thread. */
    public SyncComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                         WatcherFactory watchers) {
        this(ipvs, registry, clock, nanos, watchers, each -> ConnTable.read(ConnTable.procFile(), each),
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "lvsd-sync-catchup");
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
     * @param catchUp  runs catch-up I/O (requests, replays), off the VRRP loop and the driver thread
     * @param later    ends a flush window after a transition
     * @param sleeper  waits out the master daemon's flush window when lvsd stops
     */
    public SyncComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                         WatcherFactory watchers, ConnSource conns, java.util.concurrent.Executor catchUp,
                         Later later, Sleeper sleeper) {
        this.later = later;
        this.sleeper = sleeper;
        this.ipvs = ipvs;
        this.registry = registry;
        this.clock = clock;
        this.nanos = nanos;
        this.watchers = watchers;
        this.conns = conns;
        this.catchUp = catchUp;
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
            Gauge.builder("lvsd.sync.daemon.running", () -> running.contains(r) ? 1 : 0).tag("role", r.key())
                    .description("1 while this director runs the kernel's sync daemon of this role").register(registry);
            for (SyncDaemonPlan.Action a : SyncDaemonPlan.Action.values()) {
                changes(r, a);
            }
        }
        Counter.builder("lvsd.sync.daemon.failures").description("Sync daemon starts or stops the kernel refused")
                .register(registry);
        ipvs.syncListener(this::applied);
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

    @Override
    public void start(LvsdConfig c) throws Exception {
        configure(c);
        if (config.enabled()) {
            await(apply("start"));
        }
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        boolean was = config.enabled();
        configure(next);
        lastReload = List.of();
        if (was || config.enabled()) {
            await(apply("reload"));
        }
    }

    /** The sync daemon starts and stops the last reload made. */
    private volatile List<String> lastReload = List.of();

    @Override
    public List<String> lastReload() {
        return lastReload;
    }

    @Override
    public void stop() {
        boolean was = config.enabled();
        if (was) {
            finishHandover();
        }
        config = SyncDaemonConfig.disabled();
        closeWatcher();
        if (was) {
            try {
                await(apply("stop"));
            } catch (Exception e) {
                log.error("sync: could not stop the sync daemons: {}", e.getMessage());
            }
        }
    }

    /**
     * lvsd is stopping and VRRP has not yet let go: a master replays its connection table now, while it still
     * holds the VIPs, so that the peer knows every connection before the priority-0 advert makes it take over.
     * The replay when the instance then leaves MASTER adds what opened since.
     */
    @Override
    public void beforeStop() {
        SyncDaemonConfig s = config;
        if (!s.enabled() || s.follow() == null || !followedIsMaster) {
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        handOver(s, "lvsd is stopping, before " + s.follow() + " lets go", done);
    }

    /**
     * Before the daemons go: a handover replay still running finishes (bounded), and a master daemon the
     * director has just stopped needing (VRRP stops first, so a stopping master has just left MASTER) keeps
     * running until its flush window is over, so its last messages go out rather than being thrown away.
     */
    private void finishHandover() {
        try {
            handover.get(HANDOVER_PATIENCE_NANOS, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("sync: stopping before the handover replay finished");
        }
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

    // ---- following VRRP (called on the VRRP loop: only posts work)

    @Override
    public void transition(String instance, VrrpState from, VrrpState to, String reason) {
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
                CompletableFuture<Void> done = new CompletableFuture<>();
                handover = done;
                catchUp.execute(() -> handOver(s, cause, done));
            }
        }
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
     * On the catch-up thread, when the followed instance has left MASTER: replays this director's connection
     * table to the group at once. The kernel's master daemon holds a connection's sync for up to a flush window,
     * so the connections opened in the last seconds before a handover (a graceful stop, a preemption back) would
     * reach the new master only after their next packets do, which it then resets; the replay gets there first.
     */
    private void handOver(SyncDaemonConfig s, String cause, CompletableFuture<Void> done) {
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
        } finally {
            done.complete(null);
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
                error = c.getMessage();
                log.error("sync: {}: {}", cause, c.getMessage());
            }
        });
    }

    /** On the driver thread, after the reconciler brought the kernel's daemons to what this component asked. */
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
        running = now;
        if (o.ok()) {
            error = null;
        } else {
            registry.counter("lvsd.sync.daemon.failures").increment();
            error = o.failed().describe() + ": " + o.error();
            log.error("sync: {} ({}); the drift check tries again", error, cause);
        }
    }

    private static void await(CompletableFuture<Void> f) throws Exception {
        try {
            f.get(1, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            throw new IOException("the sync daemons did not change within a minute");
        }
    }

    // ---- sync-aware fail-back (called on the VRRP loop: answers from memory)

    @Override
    public boolean open(String instance, InetAddress master, long waitingSince, long now) {
        SyncDaemonConfig s = config;
        if (!s.enabled() || !instance.equals(s.follow()) || s.preemptWait().isZero()) {
            return true;
        }
        String who = master.getHostAddress();
        if (waitingSince != gateWait) {
            gateWait = waitingSince;
            gateOpen = false;
            startTracking();
            requestNonce = random.nextLong();
            caughtUp = false;
            accepted = false;
            firstSentAt = Long.MAX_VALUE;
            request(s, now);
            log.info(EVENT, "sync: {} holds back from preempting {} until it has caught up with its connections (at most {} "
                    + "ms); catch-up request {} sent", instance, who, s.preemptWait().toMillis(), Long.toHexString(requestNonce));
        } else if (gateOpen) {
            return true;
        }
        long waited = now - waitingSince;
        if (!caughtUp && now - requestSentAt >= REQUEST_AGAIN_NANOS) {
            request(s, now);
        }
        // A sync sender is the master's address on the sync interface; on another interface than VRRP's it is
        // another address of the same peer, so any sender will do there.
        boolean sameLink = s.interfaceName().equals(followedInterface);
        boolean heard = sameLink ? traffic.heardFrom(master, waited) : traffic.heardFromAny(waited);
        long quiet;
        int count;
        synchronized (learned) {
            quiet = lastNewConnection == Long.MIN_VALUE ? 0 : now - lastNewConnection;
            count = learned.size();
        }
        // After the done, one flush window more: a connection opened after the master read its table reaches
        // this director through the kernel's own stream within IPVS_SYNC_FLUSH_TIME of its third packet. Waiting
        // for a quiet stream instead would wait for ever under a steady stream of new connections.
        long sinceDone = caughtUp ? now - caughtUpAt : -1;
        if (caughtUp && sinceDone >= SETTLE_NANOS) {
            return pass("open: caught up: " + who + " replayed " + caughtUpCount + " connection(s), done "
                    + TimeUnit.NANOSECONDS.toMillis(sinceDone) + " ms ago; " + count + " learned; waited "
                    + TimeUnit.NANOSECONDS.toMillis(waited) + " ms", false, instance, who);
        }
        long unanswered = firstSentAt == Long.MAX_VALUE ? 0 : now - firstSentAt;
        if (!caughtUp && !accepted && unanswered >= ANSWER_PATIENCE_NANOS && heard && quiet >= SETTLE_NANOS) {
            return pass("open: sync traffic from " + who + " heard; " + count + " connection(s) learned, none new for "
                    + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms; waited " + TimeUnit.NANOSECONDS.toMillis(waited)
                    + " ms; no catch-up answer from " + who,
                    true, instance, who);
        }
        if (waited >= s.preemptWait().toNanos()) {
            return pass("open: preempt-wait (" + s.preemptWait().toMillis() + " ms) ran out " + (heard
                    ? "while the sync stream from " + who + " still brought new connections (" + count + " learned)"
                    : "without sync traffic from " + who), true, instance, who);
        }
        gateState = (caughtUp ? "caught up with " + who + " (" + caughtUpCount + " replayed); waiting one sync "
                + "flush window for connections opened since" : accepted ? "waiting for " + who + " to finish replaying its connections"
                : "waiting for " + who + " to answer the catch-up request and for its sync stream")
                + " (" + TimeUnit.NANOSECONDS.toMillis(waited) + " ms so far, " + count + " connection(s) learned)";
        return false;
    }

    /** Sends this wait's catch-up request to the group, off the VRRP loop. */
    private void request(SyncDaemonConfig s, long now) {
        requestSentAt = now;
        long nonce = requestNonce;
        CatchUp c = CatchUp.request(s.syncId(), nonce);
        catchUp.execute(() -> {
            if (send(c, null) && firstSentAt == Long.MAX_VALUE && nonce == requestNonce) {
                firstSentAt = nanos.getAsLong();
            }
        });
    }

    /** From the sync-group listener's thread: a catch-up request (as master) or its answer (as returning director). */
    @Override
    public void control(InetAddress from, CatchUp c) {
        SyncDaemonConfig s = config;
        if (!s.enabled() || (s.syncId() != 0 && c.syncId() != 0 && s.syncId() != c.syncId())) {
            return;
        }
        if (c.kind() == CatchUp.Kind.ACCEPTED) {
            if (tracking && c.nonce() == requestNonce) {
                accepted = true;
            }
            return;
        }
        if (c.kind() == CatchUp.Kind.DONE) {
            synchronized (learned) {
                if (tracking && c.nonce() == requestNonce && !caughtUp) {
                    caughtUpCount = c.count();
                    caughtUpAt = nanos.getAsLong();
                    caughtUp = true;
                    log.info(EVENT, "sync: {} replayed {} connection(s) (catch-up {})", from.getHostAddress(), c.count(),
                            Long.toHexString(c.nonce()));
                }
            }
            return;
        }
        if (s.follow() == null || !followedIsMaster) {
            return; // only the master's table is worth replaying
        }
        long now = nanos.getAsLong();
        Answer before;
        synchronized (answered) {
            answered.values().removeIf(a -> now - a.at() >= ANSWERED_NANOS);
            before = answered.get(c.nonce());
            if (before == null) {
                answered.put(c.nonce(), new Answer(now, -1));
            }
        }
        if (before == null) {
            // Said at once, from this thread: the requester then waits for the done however long the replay takes.
            send(CatchUp.accepted(s.syncId(), c.nonce()), from);
            catchUp.execute(() -> replay(s, from, c.nonce()));
        } else if (before.replayed() >= 0) {
            // The requester asks again: its done was lost. Say it again rather than replay everything again.
            catchUpReplays("repeated").increment();
            send(CatchUp.done(s.syncId(), c.nonce(), before.replayed()), from);
        }
    }

    /**
     * Sends a catch-up datagram now, on the calling thread (one small UDP send); {@code to} names the peer it
     * answers, null for a request. False when there is no socket or the send failed (logged).
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

    /** On the catch-up thread: replays this master's connection table to the group, then says it is done. */
    private void replay(SyncDaemonConfig s, InetAddress to, long nonce) {
        io.lvsd.sync.SyncGroupSocket w = watcher;
        String id = Long.toHexString(nonce);
        if (w == null) {
            return;
        }
        long t0 = nanos.getAsLong();
        try {
            CatchUpReplay.Result res = replayTable(s);
            if (res == null) {
                throw new IOException("the sync-group socket is closed");
            }
            w.send(SyncCodec.encode(CatchUp.done(s.syncId(), nonce, res.replayed())));
            synchronized (answered) {
                answered.computeIfPresent(nonce, (k, a) -> new Answer(a.at(), res.replayed()));
            }
            catchUpReplays("ok").increment();
            registry.counter("lvsd.sync.catchup.entries").increment(res.replayed());
            log.info(EVENT, "sync: replayed {} connection(s) in {} datagram(s) in {} ms at {}'s catch-up request {}{}",
                    res.replayed(), res.datagrams(), TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - t0),
                    to.getHostAddress(), id, res.unplaced() + res.persistenceEngine() == 0 ? ""
                            : "; skipped " + res.unplaced() + " whose service the table does not have and "
                            + res.persistenceEngine() + " persistence-engine entries");
        } catch (Exception e) {
            catchUpReplays("failed").increment();
            synchronized (answered) {
                answered.remove(nonce); // a repeated request tries again
            }
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warn("sync: catch-up replay for {} ({}): {}", to.getHostAddress(), id, c.getMessage());
        }
    }

    /**
     * Replays this director's whole connection table to the group as sync messages, paced; null when the
     * sync-group socket is closed. Runs on the catch-up thread.
     */
    private CatchUpReplay.Result replayTable(SyncDaemonConfig s) throws Exception {
        io.lvsd.sync.SyncGroupSocket w = watcher;
        if (w == null) {
            return null;
        }
        java.util.concurrent.atomic.AtomicReference<List<ServiceState>> table = new java.util.concurrent.atomic.AtomicReference<>();
        ipvs.execute(client -> table.set(client.dump())).get(30, TimeUnit.SECONDS);
        int[] sent = {0};
        IOException[] failed = {null};
        IpFamily family = io.lvsd.linux.net.IpAddresses.family(group(s));
        int mtu = w.mtu();
        if (s.maxlen() > 0) {
            // The operator's cap on sync payloads holds for the replay too.
            mtu = Math.min(mtu, s.maxlen() + (family == IpFamily.IPV6 ? 48 : 28));
        }
        CatchUpReplay r = new CatchUpReplay(table.get(), s.syncId(), mtu, family,
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

    private boolean pass(String state, boolean warn, String instance, String who) {
        gateState = state;
        tracking = false;
        gateOpen = true;
        if (warn) {
            log.warn(EVENT, "sync: {} preempts {}: {}: connections only it knows may break", instance, who, state.substring(6));
        } else {
            log.info(EVENT, "sync: {} may preempt {}: {}", instance, who, state.substring(6));
        }
        return true;
    }

    private void startTracking() {
        synchronized (learned) {
            learned.clear();
            lastNewConnection = Long.MIN_VALUE;
        }
        tracking = true;
    }

    /** From the sync-group listener's thread: during a fail-back wait, notes connections new to this director. */
    @Override
    public void message(InetAddress from, SyncMessage message) {
        if (!tracking) {
            return;
        }
        long now = nanos.getAsLong();
        synchronized (learned) {
            for (SyncConnection c : message.connections()) {
                if (learned.size() >= MAX_TRACKED) {
                    break;
                }
                boolean template = (c.flags() & SyncConnection.F_TEMPLATE) != 0;
                if (learned.add(new ConnKey(c.protocol(), c.client(), c.clientPort(), c.virtual(), c.virtualPort(),
                        c.fwmark(), template))) {
                    lastNewConnection = now;
                }
            }
            if (lastNewConnection == Long.MIN_VALUE) {
                lastNewConnection = now; // a first message with nothing in it still starts the quiet window
            }
        }
    }

    @Override
    public void malformed(InetAddress from, SyncCodec.Error e, String detail) {
        log.debug("sync datagram from {} did not decode: {} ({})", from.getHostAddress(), e.label(), detail);
    }

    // ---- status

    /** The {@code /status} view. */
    public SyncStatus status() {
        SyncDaemonConfig s = config;
        List<SyncStatus.Sender> senders = new ArrayList<>();
        long now = nanos.getAsLong();
        for (SyncTraffic.SenderStats st : traffic.senders()) {
            senders.add(new SyncStatus.Sender(st.sender(), st.syncId(), st.messages(), st.entries(), st.errors(),
                    st.lastNanos() == Long.MIN_VALUE ? null : (now - st.lastNanos()) / 1e9));
        }
        List<String> roles = running.stream().map(SyncDaemon.Role::key).toList();
        return new SyncStatus(s.enabled(), s.interfaceName(), s.syncId(), s.follow(),
                s.follow() == null ? null : followedState.name(), roles, lastChange, error, watchError,
                s.follow() == null ? null : gateState, senders);
    }
}
