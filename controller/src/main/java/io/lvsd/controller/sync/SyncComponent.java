package io.lvsd.controller.sync;

import io.lvsd.vrrp.VrrpState;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.controller.ipvs.IpvsComponent;
import io.lvsd.controller.vrrp.VrrpComponent;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.linux.net.IpAddresses;
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
 *   <li>Sync-aware fail-back ({@link PreemptGate}): a returning director that would preempt the followed
 *       instance's master first waits, at most {@code sync-daemon.preempt-wait}, until it has heard that master's
 *       sync traffic since it started to wait.</li>
 * </ul>
 */
public final class SyncComponent implements Component, VrrpComponent.Listener, PreemptGate, SyncWatcher.Listener {
    private static final Logger log = LoggerFactory.getLogger(SyncComponent.class);
    /**
     * How long the master's sync stream must bring no connection new to this director before fail-back. The
     * kernel's master daemon sends a partly filled message at the latest after IPVS_SYNC_FLUSH_TIME (2 s,
     * net/netfilter/ipvs/ip_vs_sync.c), so one such window with nothing new means the stream has caught up
     * with the connections that carried traffic.
     */
    static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** At most this many connections are remembered during one fail-back wait. */
    static final int MAX_TRACKED = 100_000;

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
    private AutoCloseable watcher;
    private String watching;
    private volatile String watchError;

    /**
     * Opens the sync-group listener, which counts what it hears in {@code traffic} and hands every message to
     * {@code listener}; a seam for tests.
     */
    public interface WatcherFactory {
        AutoCloseable open(String ifname, InetAddress group, int port, SyncTraffic traffic, SyncWatcher.Listener listener)
                throws IOException;
    }

    public SyncComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                         WatcherFactory watchers) {
        this.ipvs = ipvs;
        this.registry = registry;
        this.clock = clock;
        this.nanos = nanos;
        this.watchers = watchers;
        this.traffic = new SyncTraffic(registry, nanos);
        for (SyncDaemon.Role r : SyncDaemon.Role.values()) {
            Gauge.builder("lvsd.sync.daemon.running", () -> running.contains(r) ? 1 : 0).tag("role", r.key())
                    .description("1 while this director runs the kernel's sync daemon of this role").register(registry);
            for (SyncDaemonPlan.Action a : SyncDaemonPlan.Action.values()) {
                changes(r, a);
            }
        }
        Counter.builder("lvsd.sync.daemon.failures").description("Sync daemon starts or stops the kernel refused")
                .register(registry);
        ipvs.addDriftTask(client -> reconcile(client, "drift check"));
    }

    /** The production watcher: {@link SyncWatcher} joined on the sync interface. */
    public static WatcherFactory multicast() {
        return SyncWatcher::open;
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
        if (was || config.enabled()) {
            await(apply("reload"));
        }
    }

    @Override
    public void stop() {
        boolean was = config.enabled();
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
        if (watcher != null) {
            try {
                watcher.close();
            } catch (Exception e) {
                log.warn("sync: closing the sync-group listener: {}", e.getMessage());
            }
            watcher = null;
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
            apply(instance + " " + from + " -> " + to + " (" + reason + ")");
        }
    }

    private CompletableFuture<Void> apply(String cause) {
        return ipvs.execute(client -> reconcile(client, cause)).whenComplete((v, t) -> {
            if (t != null) {
                Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                error = c.getMessage();
                log.error("sync: {}: {}", cause, c.getMessage());
            }
        });
    }

    /** On the driver thread: brings the kernel's daemons to what the configuration and VRRP state want. */
    private void reconcile(io.lvsd.ipvs.IpvsClient client, String cause) throws IOException {
        SyncDaemonConfig s = config;
        if (!s.enabled() && cause.equals("drift check")) {
            return; // sync off: lvsd leaves the kernel's daemons alone
        }
        List<SyncDaemon> want = SyncDaemonPlan.desired(s, followedIsMaster);
        SyncDaemonPlan.Outcome o = SyncDaemonPlan.apply(client, want);
        for (SyncDaemonPlan.Step step : o.done()) {
            changes(step.daemon().role(), step.action()).increment();
            String line = "sync: " + step.describe() + ": " + cause;
            if (cause.equals("drift check")) {
                log.warn("{} (it was changed outside lvsd)", line);
            } else {
                log.info("{}", line);
            }
        }
        if (!o.done().isEmpty()) {
            lastChange = clock.instant() + " " + String.join(", ", o.done().stream().map(SyncDaemonPlan.Step::describe)
                    .toList()) + ": " + cause;
        }
        Set<SyncDaemon.Role> now = EnumSet.noneOf(SyncDaemon.Role.class);
        for (SyncDaemon d : client.daemons()) {
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
            log.info("sync: {} holds back from preempting {} until its sync stream has caught up (at most {} ms)",
                    instance, who, s.preemptWait().toMillis());
        } else if (gateOpen) {
            return true;
        }
        long waited = now - waitingSince;
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
        if (heard && quiet >= SETTLE_NANOS) {
            return pass("open: sync traffic from " + who + " heard; " + count + " connection(s) learned, none new for "
                    + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms; waited " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms",
                    false, instance, who);
        }
        if (waited >= s.preemptWait().toNanos()) {
            return pass("open: preempt-wait (" + s.preemptWait().toMillis() + " ms) ran out " + (heard
                    ? "while the sync stream from " + who + " still brought new connections (" + count + " learned)"
                    : "without sync traffic from " + who), true, instance, who);
        }
        gateState = "waiting for the sync stream from " + who + " (" + TimeUnit.NANOSECONDS.toMillis(waited)
                + " ms so far, " + count + " connection(s) learned)";
        return false;
    }

    private boolean pass(String state, boolean warn, String instance, String who) {
        gateState = state;
        tracking = false;
        gateOpen = true;
        if (warn) {
            log.warn("sync: {} preempts {}: {}: connections only it knows may break", instance, who, state.substring(6));
        } else {
            log.info("sync: {} may preempt {}: {}", instance, who, state.substring(6));
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
