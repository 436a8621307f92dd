package io.lvsd.vrrp.internal;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.LogThrottle;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.linux.netlink.NetlinkException;
import io.lvsd.linux.netlink.Rtnetlink;
import io.lvsd.linux.netlink.Rtnetlink.Address;
import io.lvsd.linux.netlink.Rtnetlink.Link;
import io.lvsd.linux.netlink.RtnetlinkMonitor;
import io.lvsd.linux.proc.ScriptRunner;
import io.lvsd.vrrp.InstanceStatus;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpHooks;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.lvsd.vrrp.VrrpInstanceConfig.TrackedInterface;
import io.lvsd.vrrp.VrrpInstanceConfig.VirtualAddress;
import io.lvsd.vrrp.internal.VipWriter.AddrOp;
import io.lvsd.vrrp.internal.VrrpStateMachine.Action;
import io.lvsd.vrrp.internal.VrrpStateMachine.Reannounce;
import io.lvsd.vrrp.internal.VrrpStateMachine.SendAdvert;
import io.lvsd.vrrp.VrrpState;
import io.lvsd.vrrp.internal.VrrpStateMachine.Transition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VRRP runtime: the thin shell that carries out what the pure state machines decide.
 *
 * <p>It reaches the kernel only through {@link VrrpKernel} and runs only on {@link VrrpExecutors}, so the tests run
 * it whole against an in-memory kernel on a fake clock ({@code VrrpRuntimeFakeKernelTest}); the daemon uses
 * {@link LinuxVrrpKernel} and {@link NettyVrrpExecutors}.
 *
 * <p>Threads (the real ones):
 * <ul>
 *   <li>{@code lvsd-vrrp}: a Netty {@code DefaultEventLoop} that does nothing else. It owns every
 *   state machine, timer and cache below and sends the adverts (a raw-socket {@code sendto} does
 *   not block in practice: a few hundred bytes per interval).</li>
 *   <li>One reader thread per (interface, family) socket. Netty has no raw-IP channel, so each
 *   reader blocks in {@code recvmsg} (250 ms timeout, to notice a close) and hands the packet to
 *   the loop with {@code execute}. The packet carries the kernel's receive timestamp, and an
 *   advert restarts the Master_Down timer from it (see {@link #arrival}), so a reader or loop
 *   that got to it late does not delay a takeover.</li>
 *   <li>{@code lvsd-vrrp-io}: another single-thread loop for what may block: adding and
 *   removing addresses over rtnetlink (the kernel takes its rtnl lock inside the {@code sendmsg};
 *   each change is timed as {@code lvsd_vrrp_address_change_seconds} and a long one logged),
 *   reading tracked files, and a takeover's first announcement frame, sent right after the
 *   addresses so that it waits for no third thread.</li>
 *   <li>The rtnetlink monitor's reader thread (link and address changes), handing events to
 *   the loop; scripts run on {@link ScriptRunner}'s bounded pool and post results back.</li>
 * </ul>
 * Every task on the loop catches, logs and counts what it throws and the loop goes on.
 */
public final class VrrpRuntime {
    private static final Logger log = LoggerFactory.getLogger("io.lvsd.vrrp");
    private static final int IFA_F_TENTATIVE = 0x40;
    private static final int IFA_F_DADFAILED = 0x08;
    /** How long start and reload wait for the loops. */
    private static final long CALL_TIMEOUT_MS = 30_000;

    private final VrrpHooks hooks;
    private final MeterRegistry registry;
    /** Notify scripts, and the script settings a reload may replace (track scripts use them too); loop only. */
    private final NotifyScripts notify;
    private final VrrpKernel kernel;
    /** The takeover's io-thread side: one object, made at construction (see {@link TakeoverPath}). */
    private final TakeoverIo takeoverIo = new TakeoverIo();
    private final VrrpExecutors ex;
    private final Counter loopErrors;
    /** What the channels' readers hand the loop: packets, counted. */
    private final VrrpChannel.Sink channelSink;
    /** The VIP writes, on the io thread. */
    private final VipWriter vips;
    private final Timer receiveWaits;
    private final RealtimeThreads realtime;
    private final Gauge realtimeGauge;

    // Everything below belongs to the loop thread.
    private AutoCloseable monitor;
    private final Map<String, Link> linksByName = new HashMap<>();
    private final Map<Integer, List<Address>> addresses = new HashMap<>();
    private final Map<String, Inst> instances = new LinkedHashMap<>();
    private final Map<String, VrrpChannel> channels = new HashMap<>();
    private final SyncGroups groups = new SyncGroups();
    private final Tracking tracking;
    private VrrpConfig config = VrrpConfig.none();
    private final List<CompletableFuture<?>> pendingNotifies = new ArrayList<>();

    public VrrpRuntime(VrrpHooks hooks, MeterRegistry registry, ScriptRunner scripts, Duration notifyTimeout) {
        this(hooks, registry, scripts, notifyTimeout, new LinuxVrrpKernel(), new NettyVrrpExecutors());
    }

    /** A runtime on {@code kernel} and {@code executors}: the tests' fakes, or the real ones. */
    VrrpRuntime(VrrpHooks hooks, MeterRegistry registry, ScriptRunner scripts, Duration notifyTimeout,
                VrrpKernel kernel, VrrpExecutors executors) {
        this.kernel = kernel;
        this.ex = executors;
        this.hooks = hooks;
        this.registry = registry;
        this.notify = new NotifyScripts(scripts, notifyTimeout);
        this.tracking = new Tracking(executors, registry, this.notify::runner,
                () -> instances.values().stream().map(i -> i.cfg).toList(), this::onLoop, this::guarded,
                picks -> new ArrayList<>(instances.values()).stream().filter(i -> picks.test(i.cfg))
                        .forEach(this::evaluate));
        this.realtime = new RealtimeThreads(new RealtimeThreads.Scheduler() {
            @Override
            public void schedule(int priority) throws NativeException {
                kernel.scheduleThisThread(priority);
            }

            @Override
            public int scheduleJvm(int priority) throws NativeException {
                return kernel.scheduleJvmThreads(priority);
            }
        });
        this.realtimeGauge = Gauge.builder("lvsd.vrrp.realtime.threads", realtime, RealtimeThreads::threads)
                .description("Threads running at real-time priority (vrrp.realtime-priority): the VRRP loop, io "
                        + "and advert readers, and the JVM's VM Thread").register(registry);
        this.loopErrors = Counter.builder("lvsd.vrrp.loop.errors")
                .description("Unexpected errors caught on the VRRP threads (logged; the loop goes on)")
                .register(registry);
        this.channelSink = new VrrpChannel.Sink() {
            @Override
            public void received(VrrpChannel ch, RawIpSocket.Packet p) {
                realtime.apply(); // on the reader thread
                receiveWaits.record(p.waitedNanos(), TimeUnit.NANOSECONDS);
                onLoop(() -> {
                    if (ch.handled(p.receivedAt())) {
                        onPacket(ch, p);
                    }
                });
            }

            @Override
            public void failed() {
                loopErrors.increment();
            }

            @Override
            public void filtered(VrrpChannel ch, RawIpSocket.Packet p, String instance, AdvertFilter.Rejection why) {
                ch.meters.filtered(instance, why.reason());
                if (why.reason() == DropReason.UNICAST_SOURCE_ERROR) {
                    long held = ch.strangers.admit(p.receivedAt());
                    if (held >= 0) {
                        byte[] m = p.payload();
                        log.warn("{}: dropped an advert from {} (priority {}): {}{}", instance,
                                IpAddresses.text(p.source()), m.length > 2 ? m[2] & 0xff : "?", why.detail(),
                                LogThrottle.heldBack(held));
                    }
                }
                if (log.isDebugEnabled()) {
                    log.debug("{}: dropped packet from {}: {} ({})", instance.isEmpty() ? ch.key : instance,
                            IpAddresses.text(p.source()), why.reason().label(), why.detail());
                }
            }

            @Override
            public void queueDropped(VrrpChannel ch, long count) {
                ch.meters.queueDropped(count);
                long held;
                synchronized (ch.overflows) {
                    held = ch.overflows.admit(ex.nanoTime());
                }
                if (held >= 0) {
                    log.warn("VRRP socket on {}: the kernel dropped {} packet(s), unread, on a full receive queue{}",
                            ch.key, count, LogThrottle.heldBack(held));
                }
            }
        };
        this.vips = new VipWriter(kernel, executors::nanoTime, registry, name -> onLoop(() -> {
            Inst i = instances.get(name);
            if (i != null) {
                i.restored.increment();
            }
        }));
        this.receiveWaits = Timer.builder("lvsd.vrrp.receive.wait")
                .description("How long received VRRP packets waited between the kernel's receive timestamp and "
                        + "lvsd's reader thread taking them")
                .register(registry);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts every instance of {@code c}; throws (with nothing left running) if rtnetlink is unusable. */
    public void start(VrrpConfig c) throws Exception {
        ex.callIo(() -> {
            kernel.open();
            return null;
        }, CALL_TIMEOUT_MS);
        monitor = kernel.watch(e -> onLoop(() -> onNetlinkEvent(e)), this::failure);
        Snapshot s = ex.callIo(this::snapshot, CALL_TIMEOUT_MS);
        ex.call(() -> {
            applySnapshot(s);
            apply(c);
            tracking.start();
            return null;
        }, CALL_TIMEOUT_MS);
    }

    /**
     * Applies a new configuration in place (see {@link ReloadPlan}): instances keep their state, and only those
     * whose identity changed restart. {@code runner} and {@code notify} replace the script settings from the next
     * script run on. Returns what changed.
     */
    public ReloadPlan reload(VrrpConfig c, ScriptRunner runner, Duration notifyTimeout) throws Exception {
        return ex.call(() -> {
            notify.settings(runner, notifyTimeout);
            return apply(c);
        }, CALL_TIMEOUT_MS);
    }

    /**
     * Stops gracefully: every master sends priority 0 (the backup takes over after Skew_Time),
     * addresses are removed, the stop notify scripts run; waits up to {@code wait} for that.
     */
    public void stop(Duration wait) {
        try {
            CompletableFuture<?>[] notifies = ex.call(() -> {
                for (String name : new ArrayList<>(instances.keySet())) {
                    stopInstance(name); // the priority-0 adverts go out before the sockets close
                }
                tracking.stop();
                channels.values().forEach(VrrpChannel::close);
                channels.clear();
                return pendingNotifies.toArray(new CompletableFuture<?>[0]);
            }, wait.toMillis());
            ex.callIo(() -> null, wait.toMillis()); // VIP removals done
            ex.call(() -> {
                realtime.want(0); // the JVM's VM Thread back to the ordinary policy; the VRRP threads end
                return null;
            }, wait.toMillis());
            registry.remove(realtimeGauge);
            CompletableFuture.allOf(notifies).get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("VRRP stop did not finish cleanly: {}", e.toString());
        }
        if (monitor != null) {
            try {
                monitor.close();
            } catch (Exception e) {
                log.warn("closing the link monitor: {}", e.toString());
            }
        }
        ex.executeIo(kernel::close);
        ex.shutdown();
    }

    /** A snapshot of every instance, taken on the loop. */
    public List<InstanceStatus> status() {
        try {
            return ex.call(() -> instances.values().stream().map(Inst::status).toList(), 2_000);
        } catch (Exception e) {
            return List.of();
        }
    }

    private ReloadPlan apply(VrrpConfig next) {
        realtime.want(next.realtimePriority());
        realtime.apply(); // the loop; the readers at their next packet
        ex.executeIo(() -> guarded(realtime::apply));
        Map<String, VrrpState> states = new LinkedHashMap<>();
        instances.forEach((n, i) -> states.put(n, i.sm.state()));
        ReloadPlan plan = ReloadPlan.plan(config, next, states);
        boolean reload = !states.isEmpty();
        for (ReloadPlan.Change c : plan.changes()) {
            if (reload) {
                log.info("reload: {}", c.describe());
            }
            if (c instanceof ReloadPlan.Stop || c instanceof ReloadPlan.Restart) {
                stopInstance(c.subject());
            }
        }
        plan.advice().forEach(a -> log.warn("reload: {}", a));
        config = next;
        Map<String, ReloadPlan.Addresses> vips = new HashMap<>();
        for (ReloadPlan.Change c : plan.changes()) {
            if (c instanceof ReloadPlan.Addresses a && a.kernel()) {
                vips.put(a.subject(), a);
            }
        }
        List<Inst> changed = new ArrayList<>();
        for (Inst i : instances.values()) {
            VrrpInstanceConfig n = next.instances().get(i.cfg.name());
            if (!n.equals(i.cfg)) {
                reconfigure(i, n, vips.get(n.name()), ex.nanoTime());
                changed.add(i);
            }
        }
        List<String> started = new ArrayList<>();
        for (VrrpInstanceConfig ic : next.instances().values()) {
            if (!instances.containsKey(ic.name())) {
                instances.put(ic.name(), new Inst(ic));
                started.add(ic.name());
            }
        }
        Set<String> scriptsChanged = tracking.reload(plan, next);
        Set<String> groupsChanged = new HashSet<>();
        plan.changes().stream().filter(ReloadPlan.SyncGroups.class::isInstance)
                .forEach(c -> groupsChanged.addAll(((ReloadPlan.SyncGroups) c).changed()));
        syncGroups(groupsChanged, started);
        for (String name : new ArrayList<>(channels.keySet())) {
            VrrpChannel ch = channels.get(name);
            if (instances.values().stream().noneMatch(i -> i.channelKey().equals(name))) {
                ch.close();
                channels.remove(name);
            }
        }
        // Before a new instance starts: a channel it shares must let its VRID in when it starts listening. Its readers
        // get the counters of the instances on it first, so that whatever the new filter names has its counters.
        channels.forEach((key, ch) -> {
            ch.meters.instances(dropsOn(key));
            ch.filter(channelFilter(key, ch.family));
        });
        for (String name : started) {
            Inst i = instances.get(name);
            ensureChannel(i);
            refreshSource(i);
            String fault = faultReason(i);
            // The clock is read here, once the socket is open: Master_Down_Interval counts from the moment adverts can
            // be heard. Building instances and opening sockets takes long on a slow host, and a time read before
            // that would make a starting backup take over before it could hear the master.
            long now = ex.nanoTime();
            if (fault != null) {
                dispatch(i, fault(i, now, fault));
            } else {
                i.sm.priorityChanged(now, i.effective().priority());
                dispatch(i, i.sm.startup(now));
            }
        }
        for (Inst i : instances.values()) {
            if (!started.contains(i.cfg.name()) && (changed.contains(i) || i.cfg.track().scripts().stream()
                    .anyMatch(t -> scriptsChanged.contains(t.name())))) {
                evaluate(i); // priority, tracking, a new source: the state machine decides
            }
        }
        for (String g : groupsChanged) {
            SyncGroupConfig gc = groups.config(g);
            if (gc != null && gc.instances().stream().map(m -> instances.get(m).sm.state()).distinct().count() > 1) {
                log.warn("sync group {}: its members are in different states ({}); they align at the next "
                        + "transition of one of them", g, String.join(", ", gc.instances().stream()
                        .map(m -> m + " " + instances.get(m).sm.state()).toList()));
            }
        }
        return plan;
    }

    /**
     * A running instance's configuration changed without a change of identity: it keeps its state machine, state
     * and timers. Its adverts are rebuilt; a master changes just the VIPs that changed. The caller then lets the
     * state machine judge the new priority ({@link #evaluate}).
     */
    private void reconfigure(Inst i, VrrpInstanceConfig n, ReloadPlan.Addresses vips, long now) {
        VrrpInstanceConfig old = i.cfg;
        i.configure(n);
        i.sm.reconfigure(now, settings(n));
        if (n.version() == 2 && (!old.advertInterval().equals(n.advertInterval())
                || !Objects.equals(old.authPassword(), n.authPassword()))) {
            i.previous = new AdvertFilter.Previous(old.advertInterval(), old.authPassword(), now + ROLLOVER_NANOS);
        }
        if (vips != null) {
            changeAddresses(i, vips);
        }
        ensureChannel(i);
        refreshSource(i);
        rearm(i); // a master's next advert may now be due sooner
    }

    /**
     * How long a v2 instance whose interval or password a reload changed still accepts the previous value, so that
     * a pair can roll the change out backups first without a takeover in between (RFC 3768 §7.1 would drop them).
     */
    static final long ROLLOVER_NANOS = TimeUnit.MINUTES.toNanos(10);

    /**
     * The state machine's settings for {@code c}. The primary address is unspecified until the interface's is
     * known ({@link #refreshSource}); {@link VrrpStateMachine#reconfigure} keeps the one it has.
     */
    private static VrrpStateMachine.Settings settings(VrrpInstanceConfig c) {
        InetAddress unspecified = IpAddresses.parse(c.family() == IpFamily.IPV4 ? "0.0.0.0" : "::");
        return new VrrpStateMachine.Settings(c.version(), c.virtualRouterId(), (int) (c.advertInterval().toMillis() / 10),
                c.preempt(), c.preemptDelay().toNanos(), unspecified);
    }

    /**
     * A master's VIPs changed at a reload: on the io thread, new addresses first, then the removed ones, then
     * those whose prefix length or interface changed (removed before they are added again: IPv6 knows an address
     * by itself, not by its prefix); then the new ones are announced. The other VIPs are never touched.
     */
    private void changeAddresses(Inst i, ReloadPlan.Addresses change) {
        String name = i.cfg.name();
        Set<InetAddress> replaced = new HashSet<>();
        change.removed().forEach(v -> replaced.add(v.prefix().address()));
        replaced.retainAll(change.added().stream().map(v -> v.prefix().address()).toList());
        List<AddrOp> fresh = new ArrayList<>();
        List<AddrOp> again = new ArrayList<>();
        List<VrrpHooks.Announce> announce = new ArrayList<>();
        for (VirtualAddress v : change.added()) {
            AddrOp op = addOp(i, v);
            if (op != null) {
                (replaced.contains(v.prefix().address()) ? again : fresh).add(op);
                announce.add(announceTarget(op));
            }
        }
        List<AddrOp> dels = new ArrayList<>();
        for (VirtualAddress v : change.removed()) {
            AddrOp op = addOp(i, v); // the identity, and so the instance's interface, did not change
            if (op != null) {
                dels.add(op);
            }
        }
        List<VrrpHooks.Announce> all = takeover(i).targets;
        ex.executeIo(() -> {
            fresh.forEach(op -> vips.addAndNote(name, "adding", op, false));
            dels.forEach(op -> vips.delete(name, op));
            again.forEach(op -> vips.addAndNote(name, "adding", op, false));
            hooks.addressesChanged(name, all, announce);
        });
    }

    /** The request that adds {@code v} for {@code i}, or null while its interface does not exist. */
    private AddrOp addOp(Inst i, VirtualAddress v) {
        String ifn = vipInterface(i, v);
        Link l = linksByName.get(ifn);
        return l == null ? null : new AddrOp(l.index(), ifn, v.prefix(), VipWriter.label(ifn, i.cfg.virtualRouterId()));
    }

    /** What announces the address {@code op} adds: its interface, MAC and address. */
    private VrrpHooks.Announce announceTarget(AddrOp op) {
        return new VrrpHooks.Announce(op.ifname(), op.ifindex(), linksByName.get(op.ifname()).mac(),
                op.prefix().address());
    }

    /**
     * Rebuilds the sync groups around the running instances: a group whose configuration and members are the same
     * keeps its object (and what it knows of faults); a changed or new one is built anew, and learns its members'
     * faults at once. No member restarts.
     */
    private void syncGroups(Set<String> changed, List<String> started) {
        long now = ex.nanoTime();
        List<SyncGroup> fresh = groups.rebuild(config.syncGroups().values(), changed, started,
                m -> instances.get(m).sm);
        for (SyncGroupConfig g : config.syncGroups().values()) {
            SyncGroup sg = groups.named(g.name());
            if (!fresh.contains(sg)) {
                continue;
            }
            for (String m : g.instances()) {
                Inst i = instances.get(m);
                if (!started.contains(m) && i.faultReason != null) {
                    dispatchGroup(sg.fault(m, i.faultReason, now), now);
                }
            }
        }
    }

    private void stopInstance(String name) {
        Inst i = instances.remove(name);
        if (i == null) {
            return;
        }
        long now = ex.nanoTime();
        // Shutdown is per instance: a sync group's other members do not follow a stop.
        handle(i, i.sm.shutdown(now));
        if (i.timer != null) {
            i.timer.cancel(false);
        }
        pendingNotifies.removeIf(CompletableFuture::isDone);
        pendingNotifies.add(i.notifyChain);
        i.meters.forEach(registry::remove);
    }

    // ------------------------------------------------------------------ instance

    /** One running instance: configuration, state machine, and what the loop knows about it. */
    final class Inst implements TakeoverPath.PreparedAdverts.Encoder {
        VrrpInstanceConfig cfg;
        final VrrpStateMachine sm;
        /** The addresses an advert lists, computed once per configuration: a takeover's first advert runs interpreted. */
        List<InetAddress> advertAddresses;
        /** A v2 interval or password a reload replaced, still accepted for a while (see {@link #ROLLOVER_NANOS}). */
        AdvertFilter.Previous previous;
        /** Its adverts ready to send (see {@link TakeoverPath}, rule 2). */
        private final TakeoverPath.PreparedAdverts prepared = new TakeoverPath.PreparedAdverts();
        /** Whether its takeover's code has been run once without effect (see {@code rehearseTakeover}). */
        private boolean rehearsed;
        /**
         * Set by the timer just before a Master_Down expiry is acted on: the expiry (the deadline that ran out) and
         * the advert that had last restarted the timer (MIN_VALUE: none). A takeover times its phases from them.
         */
        long expiryAt = Long.MIN_VALUE;
        long advertAt = Long.MIN_VALUE;
        /** {@code lvsd.vrrp.takeover} by phase, indexed as {@link TakeoverPath#PHASES}. */
        final Timer[] takeoverTimers = new Timer[TakeoverPath.PHASES.length];

        /** A new configuration of the same virtual router: the adverts are built again from it. */
        void configure(VrrpInstanceConfig c) {
            cfg = c;
            advertAddresses = c.virtualAddresses().stream().map(v -> v.prefix().address()).toList();
            prepared.clear();
        }

        Object prepared(VrrpKernel.Socket socket, int priority, InetAddress dst) {
            return prepared.get(socket, priority, source, dst, this);
        }

        @Override
        public byte[] advert(int priority, InetAddress dst) {
            return VrrpRuntime.advert(this, priority, dst);
        }
        final List<Meter> meters = new ArrayList<>();
        final Counter sent;
        final Counter received;
        final Counter restored;
        final Counter listMismatch;
        final Counter heldForUnread;
        final UnreadAdvertGuard unread = new UnreadAdvertGuard();
        /** Unicast adverts from strangers: logged at most once a minute, every one counted. */
        final LogThrottle strangers = new LogThrottle(Duration.ofMinutes(1));
        final Map<DropReason, Counter> drops = new TreeMap<>();
        final Map<String, Boolean> trackedLinks = new HashMap<>();
        Future<?> timer;
        InetAddress source;
        int ifindex;
        Instant lastTransition;
        String lastReason;
        String faultReason;
        String lastMismatch;
        CompletableFuture<?> notifyChain = CompletableFuture.completedFuture(null);

        Inst(VrrpInstanceConfig cfg) {
            configure(cfg);
            this.sm = new VrrpStateMachine(settings(cfg), cfg.priority(), cfg.name(), hooks.preemptGate());
            String n = cfg.name();
            sent = counter("lvsd.vrrp.adverts.sent", "Advertisements sent");
            received = counter("lvsd.vrrp.adverts.received", "Valid advertisements received for this instance");
            restored = counter("lvsd.vrrp.addresses.restored",
                    "Virtual addresses someone removed while this director was master, put back");
            listMismatch = counter("lvsd.vrrp.address.list.mismatch",
                    "Advertisements whose address list differs from ours (accepted, logged)");
            heldForUnread = counter("lvsd.vrrp.master.down.held",
                    "Master_Down_Interval expiries held back because VRRP packets still waited unread (a busy host)");
            meters.add(Gauge.builder("lvsd.vrrp.state", sm, m -> m.state().ordinal()).tag("instance", n)
                    .description("Instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT").register(registry));
            meters.add(Gauge.builder("lvsd.vrrp.priority", sm, VrrpStateMachine::priority).tag("instance", n)
                    .description("Effective priority (configured priority adjusted by tracking)").register(registry));
            meters.add(Gauge.builder("lvsd.vrrp.last.transition.seconds", this,
                            i -> i.lastTransition == null ? 0 : i.lastTransition.toEpochMilli() / 1000.0)
                    .tag("instance", n).description("Unix time of the last state change").register(registry));
            // Every possible transition exists from the start (at 0): dashboards see the series, and
            // the first takeover does not pay for registering a meter on its way to MASTER.
            for (VrrpState from : VrrpState.values()) {
                for (VrrpState to : VrrpState.values()) {
                    if (from != to) {
                        meters.add(transitionCounter(n, from, to));
                    }
                }
            }
            for (int k = 0; k < TakeoverPath.PHASES.length; k++) {
                Timer t = Timer.builder("lvsd.vrrp.takeover").tag("instance", n).tag("phase", TakeoverPath.PHASES[k])
                        .description("A new master's takeover by phase: master_down (the last advert heard to the "
                                + "Master_Down expiry), decision (expiry to the loop acting on it), vips (to the VIPs "
                                + "added), announce (to the first gratuitous ARP / NA sent), total")
                        .serviceLevelObjectives(TakeoverPath.BUCKETS).register(registry);
                meters.add(t);
                takeoverTimers[k] = t;
            }
            for (DropReason r : DropReason.values()) {
                Counter c = Counter.builder("lvsd.vrrp.drops").tag("instance", n).tag("reason", r.label())
                        .description("Received packets dropped, by reason (RFC 6527 names)").register(registry);
                meters.add(c);
                drops.put(r, c);
            }
        }

        private Counter counter(String name, String help) {
            Counter c = Counter.builder(name).tag("instance", cfg.name()).description(help).register(registry);
            meters.add(c);
            return c;
        }

        String channelKey() {
            return cfg.interfaceName() + "/" + cfg.family();
        }

        boolean multicast() {
            return cfg.unicastPeers().isEmpty();
        }

        EffectivePriority.Result effective() {
            List<EffectivePriority.Tracked> t = new ArrayList<>();
            for (TrackedInterface ti : cfg.track().interfaces()) {
                Link l = linksByName.get(ti.name());
                t.add(new EffectivePriority.Status("interface " + ti.name(), ti.weight(), l != null && l.up()));
            }
            t.addAll(tracking.tracked(cfg));
            return EffectivePriority.compute(cfg.priority(), t);
        }

        InstanceStatus status() {
            Map<String, Long> d = new LinkedHashMap<>();
            drops.forEach((r, c) -> d.put(r.label(), (long) c.count()));
            return new InstanceStatus(cfg.name(), cfg.interfaceName(), cfg.virtualRouterId(), cfg.version(),
                    sm.state().name(), cfg.priority(), sm.priority(),
                    sm.masterAddress() == null || sm.masterAddress().isAnyLocalAddress() ? null
                            : IpAddresses.text(sm.masterAddress()),
                    source == null ? null : IpAddresses.text(source),
                    cfg.virtualAddresses().stream().map(v -> v.prefix().toString()).toList(),
                    sm.state() == VrrpState.MASTER,
                    groups.nameOf(cfg.name()), lastTransition == null ? null : lastTransition.toString(), lastReason, faultReason, (long) sent.count(),
                    (long) received.count(), d, (long) restored.count());
        }
    }

    /** Why the instance must be in FAULT now, or null. */
    private String faultReason(Inst i) {
        Link l = linksByName.get(i.cfg.interfaceName());
        if (l == null) {
            return "interface " + i.cfg.interfaceName() + " does not exist";
        }
        if (!l.up()) {
            return "interface " + i.cfg.interfaceName() + " is down";
        }
        for (VirtualAddress v : i.cfg.virtualAddresses()) {
            if (v.interfaceName() != null && !linksByName.containsKey(v.interfaceName())) {
                return "interface " + v.interfaceName() + " (of " + v.prefix() + ") does not exist";
            }
        }
        VrrpChannel ch = channels.get(i.channelKey());
        if (ch == null || ch.socket == null) {
            return ch == null || ch.error == null ? "no socket on " + i.cfg.interfaceName() : ch.error;
        }
        if (i.source == null) {
            return i.cfg.family() == IpFamily.IPV4 ? "interface " + i.cfg.interfaceName() + " has no IPv4 address"
                    : "interface " + i.cfg.interfaceName() + " has no usable IPv6 link-local address yet";
        }
        EffectivePriority.Result r = i.effective();
        return r.fault() ? r.faultReason() : null;
    }

    /** Recomputes what tracking says and feeds the state machine (or its sync group). */
    private void evaluate(Inst i) {
        long now = ex.nanoTime();
        String fault = faultReason(i);
        i.faultReason = fault;
        SyncGroup g = group(i);
        if (fault != null) {
            if (i.sm.state() != VrrpState.FAULT) {
                dispatch(i, fault(i, now, fault));
            }
            return;
        }
        if (i.sm.state() == VrrpState.FAULT) {
            i.sm.priorityChanged(now, i.effective().priority());
            if (g != null) {
                dispatchGroup(g.faultCleared(i.cfg.name(), "fault cleared", now), now);
            } else {
                handle(i, i.sm.faultCleared(now, "fault cleared"));
            }
            return;
        }
        int p = i.effective().priority();
        if (p != i.sm.priority()) {
            log.info("{}: effective priority {} -> {}", i.cfg.name(), i.sm.priority(), p);
            dispatch(i, i.sm.priorityChanged(now, p));
        }
    }

    private List<Action> fault(Inst i, long now, String reason) {
        i.faultReason = reason;
        SyncGroup g = group(i);
        if (g != null) {
            dispatchGroup(g.fault(i.cfg.name(), reason, now), now);
            return List.of();
        }
        return i.sm.fault(now, reason);
    }

    private SyncGroup group(Inst i) {
        return groups.of(i.cfg.name());
    }

    /** Actions of one member: through its sync group first, so the others follow. */
    private void dispatch(Inst i, List<Action> actions) {
        SyncGroup g = group(i);
        long now = ex.nanoTime();
        if (g != null && actions.stream().anyMatch(a -> a instanceof Transition)) {
            dispatchGroup(g.after(i.cfg.name(), actions, now), now);
        } else {
            handle(i, actions);
        }
    }

    private void dispatchGroup(Map<String, List<Action>> all, long now) {
        String groupName = null;
        for (Map.Entry<String, List<Action>> e : all.entrySet()) {
            Inst m = instances.get(e.getKey());
            if (m != null) {
                handle(m, e.getValue());
                groupName = groups.nameOf(m.cfg.name());
            }
        }
        if (groupName != null) {
            groupNotify(groupName);
        }
    }

    /** Carries out one instance's actions and re-arms its timer. */
    private void handle(Inst i, List<Action> actions) {
        i.unread.reset();
        // A new master's VIPs (and their first announcement) go to the io thread before its first advert, as
        // keepalived orders them: the neighbours' traffic depends on them, while the backups only learn from the
        // advert who the master is.
        for (Action a : actions) {
            if (a instanceof Transition t && t.to() == VrrpState.MASTER) {
                takeAddresses(i);
            }
        }
        for (Action a : actions) {
            if (a instanceof SendAdvert s) {
                sendAdvert(i, s.priority());
            } else if (a instanceof Transition t) {
                transition(i, t);
            } else if (a instanceof Reannounce) {
                hooks.reannounce(i.cfg.name());
            }
        }
        rearm(i);
    }

    private void rearm(Inst i) {
        if (i.timer != null) {
            i.timer.cancel(false);
            i.timer = null;
        }
        long d = i.sm.nextDeadline();
        if (d != Long.MAX_VALUE && instances.get(i.cfg.name()) == i) {
            long early = i.sm.state() == VrrpState.BACKUP ? TakeoverPath.MASTER_DOWN_EARLY_WAKE_NANOS : 0;
            long delay = Math.max(0, d - early - ex.nanoTime());
            i.timer = ex.schedule(() -> guarded(() -> onTimer(i)), delay);
        }
    }


    private Counter transitionCounter(String instance, VrrpState from, VrrpState to) {
        return Counter.builder("lvsd.vrrp.transitions").tag("instance", instance).tag("from", from.name())
                .tag("to", to.name()).description("State changes by instance, from and to").register(registry);
    }

    private void onTimer(Inst i) {
        long due = i.sm.nextDeadline();
        if (i.sm.state() == VrrpState.BACKUP && due != Long.MAX_VALUE
                && due - ex.nanoTime() <= TakeoverPath.MASTER_DOWN_EARLY_WAKE_NANOS && !ex.awaitDeadline(due)) {
            rearm(i); // runs after the queued work
            return;
        }
        long now = ex.nanoTime();
        if (i.sm.state() == VrrpState.BACKUP && i.sm.nextDeadline() - now <= 0 && heldForUnread(i, now)) {
            return;
        }
        SyncGroup g = group(i);
        if (g != null && i.sm.state() == VrrpState.BACKUP) {
            long until = g.blockedUntil(i.cfg.name(), now);
            if (until > now) {
                i.sm.postponeMasterDown(until);
                rearm(i);
                return;
            }
        }
        if (i.sm.state() == VrrpState.BACKUP && due != Long.MAX_VALUE && now >= due) {
            i.expiryAt = due; // read before poll: a new master forgets its last advert
            i.advertAt = i.sm.lastAdvertNanos();
        }
        try {
            dispatch(i, i.sm.poll(now));
        } finally {
            i.expiryAt = Long.MIN_VALUE; // never left for a later takeover that is not this expiry's
        }
    }

    /**
     * At a backup's Master_Down expiry: true when packets still wait unread on its channel (see
     * {@link UnreadAdvertGuard}), and the loop looks again shortly instead of taking over.
     */
    private boolean heldForUnread(Inst i, long now) {
        VrrpChannel ch = channels.get(i.channelKey());
        boolean first = !i.unread.waiting();
        long limit = i.sm.masterDownIntervalNanos();
        // Compared with ==, not switched on: an enum switch loads a synthetic class at its first run, which here is
        // the first takeover.
        UnreadAdvertGuard.Verdict verdict = i.unread.atExpiry(now, ch != null && ch.behind(i.sm.nextDeadline()),
                limit);
        if (verdict == UnreadAdvertGuard.Verdict.WAIT) {
            if (first) {
                i.heldForUnread.increment();
                log.warn("{}: Master_Down_Interval ran out with VRRP packets still unread on {} (a busy host or "
                        + "a slow reader); waiting up to {} ms for them before taking over", i.cfg.name(), ch.key,
                        limit / 1_000_000);
            }
            i.timer = ex.schedule(() -> guarded(() -> onTimer(i)), UnreadAdvertGuard.RECHECK_NANOS);
            return true;
        }
        if (verdict == UnreadAdvertGuard.Verdict.GIVE_UP) {
            log.warn("{}: VRRP packets on {} still unread {} ms after Master_Down_Interval ran out; taking over",
                    i.cfg.name(), ch.key, limit / 1_000_000);
        }
        return false;
    }

    private void transition(Inst i, Transition t) {
        String name = i.cfg.name();
        i.lastTransition = ex.now();
        i.lastReason = t.reason();
        if (t.to() != VrrpState.FAULT) {
            i.faultReason = null;
        }
        // A new master's addresses were handed over before its first advert, in handle().
        if (t.to() == VrrpState.BACKUP) {
            rehearseTakeover(i);
        }
        if (t.to() != VrrpState.MASTER && (t.from() == VrrpState.MASTER || t.from() == VrrpState.INIT)) {
            releaseAddresses(i, t.from());
        }
        log.info(VrrpEvents.MARKER, "{}: {} -> {} ({})", name, t.from(), t.to(), t.reason());
        transitionCounter(name, t.from(), t.to()).increment();
        hooks.transition(name, t.from(), t.to(), t.reason());
        i.notifyChain = notify.instance(i.notifyChain, name, i.cfg.notifyCommands(), t.to(), i.sm.priority());
    }

    /** Adds the instance's VIPs on the io loop, then announces them (the first frames leave from there too). */
    private void takeAddresses(Inst i) {
        ex.executeIo(takeover(i));
    }

    private TakeoverPath.Takeover takeover(Inst i) {
        List<VrrpHooks.Announce> targets = new ArrayList<>();
        List<AddrOp> adds = new ArrayList<>();
        for (VirtualAddress v : i.cfg.virtualAddresses()) {
            AddrOp op = addOp(i, v);
            if (op != null) {
                adds.add(op);
                targets.add(announceTarget(op));
            }
        }
        long decided = ex.nanoTime();
        long expiry = i.expiryAt != Long.MIN_VALUE ? i.expiryAt : decided;
        long advert = i.expiryAt != Long.MIN_VALUE ? i.advertAt : Long.MIN_VALUE;
        return new TakeoverPath.Takeover(takeoverIo, i.cfg.name(), adds, targets, i.takeoverTimers, advert, expiry,
                decided);
    }

    /** The runtime's side of a takeover, on the io thread. */
    private final class TakeoverIo implements TakeoverPath.Io {
        @Override
        public long nanoTime() {
            return ex.nanoTime();
        }

        @Override
        public long addAddress(String instance, AddrOp op) {
            return vips.add(instance, op, false);
        }

        @Override
        public void noteAddressChange(String instance, String what, AddrOp op, long nanos) {
            vips.note(instance, what, op, nanos);
        }

        @Override
        public void announce(String instance, List<VrrpHooks.Announce> targets) {
            hooks.announce(instance, targets);
        }

        @Override
        public void rehearseAddAddress(AddrOp op) {
            vips.rehearseAdd(op);
        }

        @Override
        public void rehearseAnnounce(String instance, List<VrrpHooks.Announce> targets) {
            hooks.rehearseAnnounce(instance, targets);
        }

        @Override
        public void afterwards(Runnable r) {
            ex.executeIo(r);
        }
    }

    /**
     * Once per instance, when it first becomes a backup: runs what its takeover will run, short of changing
     * anything ({@link TakeoverPath}, rule 1).
     */
    private void rehearseTakeover(Inst i) {
        if (i.rehearsed) {
            return;
        }
        i.rehearsed = true;
        TakeoverPath.Takeover t = takeover(i);
        VrrpChannel ch = channels.get(i.channelKey());
        new UnreadAdvertGuard().atExpiry(0, ch != null && ch.behind(), 1); // a scratch guard: i.unread is untouched
        ex.executeIo(t::rehearse);
    }

    /** Leaving MASTER; or starting up ({@code from} INIT), when a crashed predecessor may have left them. */
    private void releaseAddresses(Inst i, VrrpState from) {
        String name = i.cfg.name();
        if (from == VrrpState.MASTER) {
            hooks.withdraw(name);
        }
        List<AddrOp> dels = new ArrayList<>();
        for (VirtualAddress v : i.cfg.virtualAddresses()) {
            String ifn = vipInterface(i, v);
            Link l = linksByName.get(ifn);
            if (l != null && (from == VrrpState.MASTER || present(l.index(), v.prefix().address()))) {
                dels.add(new AddrOp(l.index(), ifn, v.prefix(), null));
            }
        }
        if (!dels.isEmpty()) {
            ex.executeIo(() -> dels.forEach(op -> vips.delete(name, op)));
        }
    }

    /** The interface a VIP goes on: its own, else the instance's. */
    private static String vipInterface(Inst i, VirtualAddress v) {
        return v.interfaceName() != null ? v.interfaceName() : i.cfg.interfaceName();
    }

    private boolean present(int ifindex, InetAddress a) {
        return addresses.getOrDefault(ifindex, List.of()).stream().anyMatch(x -> x.prefix().address().equals(a));
    }

    // ------------------------------------------------------------------ adverts

    private void sendAdvert(Inst i, int priority) {
        VrrpChannel ch = channels.get(i.channelKey());
        if (ch == null || ch.socket == null || i.source == null) {
            return;
        }
        for (InetAddress dst : destinations(i)) {
            try {
                ch.socket.send(i.prepared(ch.socket, priority, dst));
                i.sent.increment();
            } catch (NativeException e) {
                ch.sendErrors++;
                if (ch.sendErrors == 1 || ch.sendErrors % 100 == 0) {
                    log.warn("{}: advert to {} failed ({} so far): {}", i.cfg.name(), IpAddresses.text(dst),
                            ch.sendErrors, e.getMessage());
                }
            }
        }
    }

    private static List<InetAddress> destinations(Inst i) {
        return i.multicast() ? List.of(VrrpChannel.group(i.cfg.family())) : i.cfg.unicastPeers();
    }

    /** The encoded advert of {@code i} from its current source to {@code dst}. */
    private static byte[] advert(Inst i, int priority, InetAddress dst) {
        VrrpInstanceConfig c = i.cfg;
        int interval = c.version() == 2 ? (int) c.advertInterval().toSeconds() : (int) (c.advertInterval().toMillis() / 10);
        VrrpPacket p = new VrrpPacket(c.version(), c.virtualRouterId(), priority, interval, i.advertAddresses,
                c.authPassword() == null ? 0 : VrrpCodec.AUTH_SIMPLE,
                c.authPassword() == null ? null : VrrpCodec.password(c.authPassword()));
        return VrrpCodec.encode(p, i.source, dst, c.v3ChecksumPseudoHeader());
    }

    private void onPacket(VrrpChannel ch, RawIpSocket.Packet pkt) {
        byte[] m = pkt.payload();
        int vrid = m.length >= 2 ? m[1] & 0xff : 0;
        Inst i = null;
        for (Inst x : instances.values()) {
            if (x.cfg.virtualRouterId() == vrid && x.channelKey().equals(ch.key)) {
                i = x;
                break;
            }
        }
        boolean pseudo = i == null || i.cfg.v3ChecksumPseudoHeader();
        VrrpCodec.Result r = VrrpCodec.decode(m, pkt.source(), pkt.destination(), pkt.ttl(), pseudo);
        if (r instanceof VrrpCodec.Dropped d) {
            drop(ch, i, d.reason(), pkt, d.detail());
            return;
        }
        VrrpPacket p = ((VrrpCodec.Decoded) r).packet();
        if (i == null) {
            drop(ch, null, DropReason.VRID_ERROR, pkt, "no instance with vrid " + vrid + " on " + ch.key);
            return;
        }
        VrrpInstanceConfig c = i.cfg;
        if (pkt.source().equals(i.source)) {
            drop(ch, i, DropReason.OWN_PACKET, pkt, "our own advert");
            return;
        }
        AdvertFilter.Rejection stranger = AdvertFilter.unicast(c, pkt.source(), pkt.ttl());
        if (stranger != null) {
            drop(ch, i, stranger.reason(), pkt, stranger.detail());
            long held = i.strangers.admit(pkt.receivedAt());
            if (held >= 0) {
                log.warn("{}: dropped an advert from {} (priority {}): {}{}", c.name(), IpAddresses.text(pkt.source()),
                        p.priority(), stranger.detail(), LogThrottle.heldBack(held));
            }
            return;
        }
        if (p.version() != c.version()) {
            drop(ch, i, DropReason.VERSION_ERROR, pkt, "version " + p.version() + " (expected " + c.version() + ")");
            return;
        }
        if (c.version() == 2) {
            AdvertFilter.Rejection rejected = AdvertFilter.v2(p, c.advertInterval(), c.authPassword());
            if (rejected != null) {
                AdvertFilter.Previous prev = i.previous;
                if (prev == null || pkt.receivedAt() - prev.untilNanos() > 0
                        || AdvertFilter.v2(p, prev.advertInterval(), prev.authPassword()) != null) {
                    drop(ch, i, rejected.reason(), pkt, rejected.detail());
                    return;
                }
                if (!prev.noted()) {
                    i.previous = prev.note();
                    log.info("{}: accepting {}'s advert with the previous interval/password while the pair rolls "
                            + "the change out ({}; for at most {} min after the reload)", c.name(),
                            IpAddresses.text(pkt.source()), rejected.detail(), TimeUnit.NANOSECONDS.toMinutes(ROLLOVER_NANOS));
                }
            } else if (i.previous != null) {
                i.previous = null;
                log.info("{}: {} now advertises the new interval/password; the previous one is no longer accepted",
                        c.name(), IpAddresses.text(pkt.source()));
            }
        }
        List<InetAddress> ours = c.virtualAddresses().stream().map(v -> v.prefix().address()).toList();
        if (p.priority() != 255 && !new java.util.HashSet<>(p.addresses()).equals(new java.util.HashSet<>(ours))) {
            i.listMismatch.increment();
            String text = p.addresses().stream().map(IpAddresses::text).toList().toString();
            if (!text.equals(i.lastMismatch)) {
                i.lastMismatch = text;
                log.warn("{}: advert from {} lists {} (ours: {}); accepted, check both directors' configuration",
                        c.name(), IpAddresses.text(pkt.source()), text,
                        ours.stream().map(IpAddresses::text).toList());
            }
        }
        i.received.increment();
        int intervalCs = c.version() == 2 ? p.interval() * 100 : p.interval();
        dispatch(i, i.sm.advertReceived(arrival(pkt, i.sm.masterDownIntervalNanos()), pkt.source(), p.priority(),
                intervalCs));
    }

    /**
     * When an advert counts as received (RFC 5798 §6.4.2 restarts the Master_Down timer then): when the kernel
     * received it, so that the time it waited for the reader and the loop is not added to a takeover. The kernel's
     * stamp is wall-clock time, which a step could move; so no more than an eighth of Master_Down_Interval (under
     * half an advert interval) is credited. A stepped clock can bring a takeover forward by no more than that,
     * which still leaves it more than two advert intervals after the advert.
     */
    static long arrival(RawIpSocket.Packet p, long masterDownIntervalNanos) {
        return p.receivedAt() + Math.max(0, p.waitedNanos() - masterDownIntervalNanos / 8);
    }

    /** What channel {@code key}'s socket lets in: the VRIDs and peers of the instances on it. */
    private AdvertSocketFilter channelFilter(String key, IpFamily family) {
        return AdvertSocketFilter.of(family, key, instances.values().stream().filter(i -> i.channelKey().equals(key))
                .map(i -> i.cfg).toList());
    }

    /** The drop counters of the instances on channel {@code key}, by instance (see {@link ChannelMeters}). */
    private Map<String, Map<DropReason, Counter>> dropsOn(String key) {
        Map<String, Map<DropReason, Counter>> m = new HashMap<>();
        for (Inst i : instances.values()) {
            if (i.channelKey().equals(key)) {
                m.put(i.cfg.name(), i.drops);
            }
        }
        return m;
    }

    /**
     * The drop counter of {@code instance} ("" for none) and {@code reason}, registered if need be: on the loop only
     * (readers count into their channel's {@link ChannelMeters}).
     */
    private Counter dropCounter(String instance, DropReason reason) {
        return Counter.builder("lvsd.vrrp.drops").tag("instance", instance).tag("reason", reason.label())
                .description("Received packets dropped, by reason (RFC 6527 names)").register(registry);
    }

    private void drop(VrrpChannel ch, Inst i, DropReason reason, RawIpSocket.Packet pkt, String detail) {
        (i != null ? i.drops.get(reason) : dropCounter("", reason)).increment();
        if (log.isDebugEnabled()) {
            log.debug("{}: dropped packet from {}: {} ({})", i == null ? ch.key : i.cfg.name(),
                    IpAddresses.text(pkt.source()), reason.label(), detail);
        }
    }

    // ------------------------------------------------------------------ sockets and sources

    private void ensureChannel(Inst i) {
        Link l = linksByName.get(i.cfg.interfaceName());
        VrrpChannel ch = channels.get(i.channelKey());
        if (ch != null && (l == null || ch.ifindex != l.index())) {
            ch.close(); // the interface went away or was recreated with a new index
            channels.remove(i.channelKey());
            ch = null;
        }
        if (ch == null && l != null) {
            String key = i.channelKey();
            ch = new VrrpChannel(key, i.cfg.interfaceName(), i.cfg.family(), l.index(), kernel, channelSink,
                    new ChannelMeters(registry, key, r -> dropCounter("", r)));
            ch.meters.instances(dropsOn(key));
            ch.open(instances.values().stream().anyMatch(x -> x.channelKey().equals(key) && x.multicast()),
                    channelFilter(key, i.cfg.family()));
            channels.put(i.channelKey(), ch);
        } else if (ch != null && i.multicast() && !ch.joined) {
            try {
                ch.join(); // a reload moved an instance from unicast to multicast
            } catch (NativeException e) {
                log.error("{}: cannot join the VRRP group on {}: {}", i.cfg.name(), ch.ifname, e.getMessage());
            }
        }
        i.ifindex = l == null ? 0 : l.index();
    }

    /** The source of our adverts: unicast-source, else the interface's primary IPv4 / IPv6 link-local. */
    private void refreshSource(Inst i) {
        InetAddress s = i.cfg.unicastSource();
        if (s == null) {
            List<InetAddress> vips = i.cfg.virtualAddresses().stream().map(v -> v.prefix().address()).toList();
            for (Address a : addresses.getOrDefault(i.ifindex, List.of())) {
                InetAddress x = a.prefix().address();
                if (IpAddresses.family(x) != i.cfg.family() || vips.contains(x)) {
                    continue;
                }
                if (i.cfg.family() == IpFamily.IPV4 ? (a.flags() & Rtnetlink.IFA_F_SECONDARY) == 0
                        : x.isLinkLocalAddress() && (a.flags() & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0) {
                    s = x;
                    break;
                }
            }
        }
        if (!Objects.equals(s, i.source)) {
            i.source = s;
            if (s != null) {
                i.sm.primaryAddress(s);
                // A backup's first advert is its takeover advert: build it now, while nothing waits, rather than
                // on that path, where a cold codec costs milliseconds (TakeoverPath's rule 2).
                VrrpChannel ch = channels.get(i.channelKey());
                if (ch != null && ch.socket != null) {
                    for (InetAddress dst : destinations(i)) {
                        i.prepared(ch.socket, i.sm.priority(), dst);
                    }
                } else {
                    advert(i, i.cfg.priority(), destinations(i).get(0));
                }
            }
        }
    }

    // ------------------------------------------------------------------ kernel events

    private record Snapshot(List<Link> links, List<Address> addresses) {
    }

    private Snapshot snapshot() throws NativeException {
        List<Address> a = new ArrayList<>(kernel.addresses(IpFamily.IPV4));
        a.addAll(kernel.addresses(IpFamily.IPV6));
        return new Snapshot(kernel.links(), a);
    }

    private void applySnapshot(Snapshot s) {
        linksByName.clear();
        s.links().forEach(l -> linksByName.put(l.name(), l));
        addresses.clear();
        s.addresses().forEach(a -> addresses.computeIfAbsent(a.ifindex(), k -> new ArrayList<>()).add(a));
    }

    private void onNetlinkEvent(RtnetlinkMonitor.Event e) {
        if (e instanceof RtnetlinkMonitor.LinkEvent le) {
            Link l = le.link();
            Link old = null;
            for (Link x : linksByName.values()) {
                if (x.index() == l.index()) {
                    old = x;
                }
            }
            if (old != null) {
                linksByName.remove(old.name());
            }
            if (!le.deleted() && l.name() != null) {
                linksByName.put(l.name(), l);
            }
            boolean changed = old == null || le.deleted() || old.up() != l.up() || !old.name().equals(l.name());
            if (changed) {
                if (old != null && old.up() != l.up()) {
                    log.info(VrrpEvents.MARKER, "interface {} is {}", l.name(), l.up() ? "up" : "down");
                }
                reevaluateAll();
            }
        } else if (e instanceof RtnetlinkMonitor.AddressEvent ae) {
            Address a = ae.address();
            List<Address> list = addresses.computeIfAbsent(a.ifindex(), k -> new ArrayList<>());
            list.removeIf(x -> x.prefix().address().equals(a.prefix().address()));
            if (!ae.deleted()) {
                list.add(a);
            } else {
                restoreIfOurs(a);
            }
            for (Inst i : instances.values()) {
                if (i.ifindex == a.ifindex()) {
                    InetAddress before = i.source;
                    refreshSource(i);
                    if (!Objects.equals(before, i.source)) {
                        evaluate(i);
                    }
                }
            }
        } else if (e instanceof RtnetlinkMonitor.Resync r) {
            log.warn("{}; re-reading links and addresses", r.why());
            ex.executeIo(() -> {
                try {
                    Snapshot s = snapshot();
                    onLoop(() -> {
                        applySnapshot(s);
                        reevaluateAll();
                    });
                } catch (NativeException ex) {
                    failure(ex);
                }
            });
        }
    }

    private void reevaluateAll() {
        for (Inst i : new ArrayList<>(instances.values())) {
            ensureChannel(i);
            refreshSource(i);
            evaluate(i);
        }
    }

    private void restoreIfOurs(Address a) {
        for (Inst i : instances.values()) {
            if (i.sm.state() != VrrpState.MASTER) {
                continue;
            }
            for (VirtualAddress v : i.cfg.virtualAddresses()) {
                AddrOp op = addOp(i, v);
                if (op != null && op.ifindex() == a.ifindex() && v.prefix().equals(a.prefix())) { // not one a reload replaced
                    String name = i.cfg.name();
                    ex.executeIo(() -> vips.addAndNote(name, "restoring", op, true));
                }
            }
        }
    }

    // ------------------------------------------------------------------ notify scripts

    private void groupNotify(String group) {
        VrrpState common = groups.settled(group, m -> {
            Inst i = instances.get(m);
            return i == null ? null : i.sm.state();
        });
        if (common == null) {
            return;
        }
        SyncGroupConfig g = groups.config(group);
        log.info("sync group {} is {}", group, common);
        Inst first = instances.get(g.instances().get(0));
        first.notifyChain = notify.group(first.notifyChain, g, common, first.sm.priority());
    }

    // ------------------------------------------------------------------ plumbing

    private void onLoop(Runnable r) {
        if (!ex.shuttingDown()) {
            ex.execute(() -> guarded(r));
        }
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            loopErrors.increment();
            log.error("unexpected error on the VRRP loop (continuing)", t);
        }
    }

    private void failure(Throwable t) {
        loopErrors.increment();
        log.error("VRRP: {}", t.getMessage());
    }
}
