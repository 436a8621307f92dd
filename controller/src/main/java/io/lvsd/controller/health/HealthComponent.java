package io.lvsd.controller.health;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.RealServerConfig;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.controller.ipvs.DesiredTable;
import io.lvsd.controller.ipvs.IpvsComponent;
import io.lvsd.healthcheck.CheckResult;
import io.lvsd.healthcheck.CheckType;
import io.lvsd.healthcheck.Checker;
import io.lvsd.healthcheck.HealthMonitor;
import io.lvsd.healthcheck.HealthTracker;
import io.lvsd.healthcheck.ProbeTransport;
import io.lvsd.healthcheck.ScriptChecker;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.proc.ScriptRunner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health checks on this director: one {@link HealthMonitor} watch per real server of every virtual server (the
 * monitor shares probes of the same target and method), and the {@link DesiredTable.Health} the IPVS component
 * programs from: up at the configured (or reported) weight; down removed ({@code on-failure = remove}) or at
 * weight 0 ({@code quiesce}). A transition logs its reason, counts, runs the real server's notify script and asks
 * the IPVS component to reconcile. A reload keeps the watch, and so the state, of every real server whose check
 * did not change.
 */
public final class HealthComponent implements Component, DesiredTable.Health {
    private static final Logger log = LoggerFactory.getLogger(HealthComponent.class);
    private static final org.slf4j.Marker EVENT = io.lvsd.controller.daemon.EventLog.marker("health");

    /** A real server of a virtual server. */
    record Key(ServiceKey service, InetSocketAddress realServer) {
    }

    /**
     * One watched real server: the monitor's listener for it. Its mutable fields are the health thread's; other
     * threads see it through {@link Seen}.
     */
    final class Entry implements HealthMonitor.Listener {
        final Key key;
        final String service;
        final String realServer;
        VirtualServerConfig vs;
        RealServerConfig rs;
        /** Set before the entry is published. */
        HealthMonitor.Watch watch;
        String since;
        final String how;
        /** The weight last logged for this real server (weights reported while up), or -1. */
        private int loggedWeight = -1;

        Entry(Key key, VirtualServerConfig vs, RealServerConfig rs) {
            this.key = key;
            this.service = vs.name();
            this.realServer = IpAddresses.format(rs.address());
            this.vs = vs;
            this.rs = rs;
            this.how = how(vs, rs);
            this.since = clock.instant().toString();
        }

        /** On a probe loop: handed to the health thread. */
        @Override
        public void changed(HealthMonitor.Watch w, HealthTracker.Transition t, CheckResult result) {
            if (home.inEventLoop()) {
                transition(w, t);
            } else {
                home.execute(() -> transition(w, t));
            }
        }

        private void transition(HealthMonitor.Watch w, HealthTracker.Transition t) {
            since = clock.instant().toString();
            String check = rs.check().type().name().toLowerCase(java.util.Locale.ROOT);
            if (t.from() == t.to()) {
                int now = HealthComponent.upWeight(w, rs); // w: a first result may come before monitor.watch has returned
                if (now == loggedWeight) {
                    return; // an agent's sample moved, the weight did not
                }
                loggedWeight = now;
                log.info(EVENT, "health: {} {} ({}) weight {}: {}", service, realServer, check, now, t.reason());
            } else if (t.to() == HealthTracker.State.DOWN) {
                log.warn(EVENT, "health: {} {} ({}) DOWN: {}; {}", service, realServer, check, t.reason(),
                        vs.onFailure() == VirtualServerConfig.OnFailure.REMOVE ? "removing it" : "quiescing it (weight 0)");
            } else {
                log.info(EVENT, "health: {} {} ({}) UP: {}", service, realServer, check, t.reason());
            }
            if (t.from() != t.to()) {
                Counter.builder("lvsd.real.server.transitions").tag("service", service).tag("real_server", realServer)
                        .tag("to", t.to().name().toLowerCase(java.util.Locale.ROOT))
                        .description("Health state changes of real servers").register(registry).increment();
                io.lvsd.linux.proc.Command notify = t.to() == HealthTracker.State.UP ? rs.notifyUp() : rs.notifyDown();
                ScriptRunner runner = scripts;
                if (notify != null && runner != null) {
                    runner.run(notify, List.of(), scriptTimeout).thenAccept(r -> {
                        if (!r.ok()) {
                            log.warn("health: notify script {} for {} {}: {}", notify, service, realServer, r.describe());
                        }
                    });
                }
            }
            publish();
            evaluateQuorum(vs, "after " + realServer + " went " + t.to());
            ipvs.healthChanged();
        }

        /** What other threads see of this real server now. */
        Seen seen() {
            boolean up = watch.state() == HealthTracker.State.UP;
            return new Seen(key, service, realServer, vs, rs, watch, since, up, HealthComponent.upWeight(watch, rs));
        }
    }

    /** A watched real server as the health thread last published it. */
    record Seen(Key key, String service, String realServer, VirtualServerConfig vs, RealServerConfig rs,
                HealthMonitor.Watch watch, String since, boolean up, int upWeight) {
    }

    /**
     * What the health thread publishes after every change, whole: the IPVS driver computes a table from one
     * ({@link #now}), and {@code /status}, the gauges and the admin API's checks read it.
     */
    private record View(Map<Key, Seen> entries, Map<ServiceKey, VirtualServerConfig> services,
                        java.util.Set<ServiceKey> quorumLost, Map<Key, RuntimeOverride> overrides,
                        Map<Key, Draining> draining, List<String> lastReload) implements DesiredTable.Health {
        static final View EMPTY = new View(Map.of(), Map.of(), java.util.Set.of(), Map.of(), Map.of(), List.of());

        @Override
        public java.net.InetSocketAddress sorryServer(VirtualServerConfig v) {
            return v.sorryServer() != null && quorumLost.contains(DesiredTable.keyOf(v)) ? v.sorryServer() : null;
        }

        @Override
        public List<RealServerConfig> draining(VirtualServerConfig v) {
            ServiceKey k = DesiredTable.keyOf(v);
            List<RealServerConfig> out = new ArrayList<>();
            draining.forEach((key, d) -> {
                if (key.service().equals(k)) {
                    out.add(d.rs());
                }
            });
            return out;
        }

        @Override
        public Integer weight(VirtualServerConfig v, RealServerConfig r) {
            if (sorryServer(v) != null) {
                return null; // the sorry server stands in for all of them
            }
            Key k = new Key(DesiredTable.keyOf(v), r.address());
            RuntimeOverride o = overrides.get(k);
            if (o != null && o.weight() == null) {
                return o.drained() ? null : 0;
            }
            Seen e = entries.get(k);
            if (e != null && !e.up()) {
                return v.onFailure() == VirtualServerConfig.OnFailure.REMOVE ? null : 0;
            }
            if (o != null) {
                return o.weight();
            }
            return e == null ? r.weight() : e.upWeight();
        }

        /** The sum of the weights of {@code v}'s real servers that are up. */
        long liveWeight(VirtualServerConfig v) {
            ServiceKey k = DesiredTable.keyOf(v);
            long live = 0;
            for (RealServerConfig r : v.realServers()) {
                Seen e = entries.get(new Key(k, r.address()));
                if (e == null) {
                    live += r.weight();
                } else if (e.up()) {
                    live += e.upWeight();
                }
            }
            return live;
        }
    }

    private final IpvsComponent ipvs;
    private final MeterRegistry registry;
    private final Clock clock;
    private final LongSupplier nanos;
    private final ProbeTransport transport;
    /**
     * The health thread, one of the probe loops: every field below except {@link #view} and {@link #scripts} is
     * read and written only there. Probe results from the other loops, the daemon's start, reload and stop, the
     * admin API and the drain ticker all run on it.
     */
    private final io.netty.channel.EventLoop home;
    private HealthMonitor monitor;
    /** Where probes through the VIP come from; made at start, started by the first such probe. */
    private io.lvsd.healthcheck.ProbeNamespace probeNamespace;
    /** The script runner, handed to the script and agent checkers on the probe loops; itself thread-safe. */
    private volatile ScriptRunner scripts;
    private String scriptsUser;
    private java.time.Duration scriptTimeout = java.time.Duration.ofSeconds(10);
    private Map<Key, Entry> entries = Map.of();
    /** Virtual servers whose quorum is lost now. */
    private final java.util.Set<ServiceKey> quorumLost = new java.util.HashSet<>();
    private Map<ServiceKey, VirtualServerConfig> services = Map.of();
    private final List<Meter> meters = new ArrayList<>();
    /** Operators' runtime overrides (admin API), until cleared or the next reload. */
    private final Map<Key, RuntimeOverride> overrides = new LinkedHashMap<>();
    /** Real servers the configuration no longer names, at weight 0 until idle or drain-timeout. */
    private final Map<Key, Draining> draining = new LinkedHashMap<>();
    /** What the last reload changed: checks started, restarted (a new definition) or stopped, and drains begun. */
    private List<String> lastReload = List.of();
    private io.netty.util.concurrent.ScheduledFuture<?> drainTicker;
    private volatile View view = View.EMPTY;

    /**
     * Whether virtual server {@code v} has its quorum now (true for one the health checks do not know yet). Any
     * thread: it reads the last published view.
     */
    public boolean hasQuorum(VirtualServerConfig v) {
        return !view.quorumLost().contains(DesiredTable.keyOf(v));
    }

    /**
     * A runtime override: {@code weight} null means drain (weight 0, then out of the table once idle or after
     * drain-timeout: {@code drained}).
     */
    record RuntimeOverride(Integer weight, String since, long deadlineNanos, boolean drained) {
        RuntimeOverride done() {
            return new RuntimeOverride(weight, since, deadlineNanos, true);
        }
    }

    /** A real server the configuration dropped, draining. */
    record Draining(String service, RealServerConfig rs, long deadlineNanos) {
    }

    private final Map<CheckType, Checker> checkers;

    public HealthComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                           ProbeTransport transport) {
        this(ipvs, registry, clock, nanos, transport, null);
    }

    /** With {@code checkers} instead of the real ones (tests); null for the real ones. */
    HealthComponent(IpvsComponent ipvs, MeterRegistry registry, Clock clock, LongSupplier nanos,
                    ProbeTransport transport, Map<CheckType, Checker> checkers) {
        this.checkers = checkers;
        this.ipvs = ipvs;
        this.registry = registry;
        this.clock = clock;
        this.nanos = nanos;
        this.transport = transport;
        this.home = transport.next();
        ipvs.health(this);
    }

    /**
     * Runs {@code task} on the health thread and returns what it returns; from another thread, waits for it. A
     * RuntimeException it throws reaches the caller as it is.
     */
    private <T> T onHome(java.util.concurrent.Callable<T> task) throws Exception {
        if (home.inEventLoop()) {
            return task.call();
        }
        try {
            return home.submit(task).get(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the health checks' thread did not answer within a minute");
        }
    }

    /** Replaces {@link #view} with the state now. */
    private void publish() {
        Map<Key, Seen> seen = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            seen.put(e.key, e.seen());
        }
        view = new View(java.util.Collections.unmodifiableMap(seen), services, java.util.Set.copyOf(quorumLost),
                Map.copyOf(overrides), java.util.Collections.unmodifiableMap(new LinkedHashMap<>(draining)), lastReload);
    }

    @Override
    public String name() {
        return "health";
    }

    @Override
    public void start(LvsdConfig config) throws Exception {
        onHome(() -> {
            scripts(config);
            Map<CheckType, Checker> all = checkers;
            if (all == null) {
                all = new HashMap<>(HealthMonitor.networkCheckers());
                all.put(CheckType.SCRIPT, new ScriptChecker(() -> scripts));
                all.put(CheckType.AGENT, new io.lvsd.healthcheck.AgentChecker(() -> scripts));
            }
            probeNamespace = new io.lvsd.healthcheck.ProbeNamespace(config.throughVip(), runDirectory());
            transport.namespace(probeNamespace);
            prepareProbeNamespace(config);
            monitor = new HealthMonitor(transport, all, registry, nanos,
                    () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
            apply(config);
            drainTicker = home.scheduleWithFixedDelay(this::drainTick, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            return null;
        });
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        onHome(() -> {
            scripts(next);
            probeNamespace.links(next.throughVip());
            prepareProbeNamespace(next);
            lastReload = List.copyOf(apply(next));
            publish();
            for (String change : lastReload) {
                io.lvsd.controller.daemon.Component.countReloadAction(registry, name(),
                        change.substring(0, change.indexOf(' ')));
            }
            return null;
        });
    }

    @Override
    public List<String> lastReload() {
        return view.lastReload();
    }

    @Override
    public void stop() {
        try {
            onHome(() -> {
                if (drainTicker != null) {
                    drainTicker.cancel(false);
                }
                if (monitor != null) {
                    monitor.close();
                }
                return null;
            });
        } catch (Exception e) {
            log.warn("health: stopping the checks: {}", e.getMessage());
        }
        transport.close();
        if (probeNamespace != null) {
            probeNamespace.close();
        }
        ScriptRunner s = scripts;
        if (s != null) {
            s.close();
        }
    }

    /** Starts the probe namespace ahead of the first probe when a check goes through the VIP. */
    private void prepareProbeNamespace(LvsdConfig config) {
        if (config.virtualServers().stream().flatMap(v -> v.realServers().stream()).anyMatch(r -> r.check().throughVip())) {
            probeNamespace.prepare();
        } else {
            probeNamespace.release();
        }
    }

    /** What a check is: its definition and, through the VIP, the route to the real server. */
    private static String how(VirtualServerConfig v, RealServerConfig r) {
        io.lvsd.healthcheck.ThroughVip via = throughVip(v, r);
        return via == null ? r.check().toString() : r.check() + " " + via;
    }

    /** Where a check with {@code through-vip} goes: the service's VIP, forwarded as IPVS forwards to {@code r}. */
    public static io.lvsd.healthcheck.ThroughVip throughVip(VirtualServerConfig v, RealServerConfig r) {
        if (!r.check().throughVip()) {
            return null;
        }
        io.lvsd.healthcheck.ThroughVip.Encapsulation how = r.forwarding() == io.lvsd.ipvs.Forwarding.DR
                ? io.lvsd.healthcheck.ThroughVip.Encapsulation.DR : switch (r.tunnel().type()) {
                    case GUE -> io.lvsd.healthcheck.ThroughVip.Encapsulation.GUE;
                    case GRE -> io.lvsd.healthcheck.ThroughVip.Encapsulation.GRE;
                    default -> io.lvsd.healthcheck.ThroughVip.Encapsulation.IPIP;
                };
        return new io.lvsd.healthcheck.ThroughVip(v.address().getAddress(), r.address().getAddress(), how,
                how == io.lvsd.healthcheck.ThroughVip.Encapsulation.GUE ? r.tunnel().port() : 0);
    }

    /** systemd's RuntimeDirectory= ($RUNTIME_DIRECTORY), else /run/lvsd. */
    private static java.nio.file.Path runDirectory() {
        String dir = System.getenv("RUNTIME_DIRECTORY");
        return java.nio.file.Path.of(dir == null || dir.isBlank() ? "/run/lvsd" : dir.split(":")[0]);
    }

    private void scripts(LvsdConfig config) {
        scriptTimeout = config.scripts().timeout();
        if (scripts == null || !config.scripts().user().equals(scriptsUser)) {
            ScriptRunner old = scripts;
            scripts = new ScriptRunner(config.scripts().user(), config.scripts().maxConcurrent(), "lvsd-check-script");
            scriptsUser = config.scripts().user();
            if (old != null) {
                old.close();
            }
        }
    }

    /**
     * Watches every real server of {@code config}, keeping the watches whose check is unchanged; returns what
     * changed ({@code check-started SERVICE REAL}, {@code check-changed}, {@code check-stopped}, {@code drain}).
     */
    private List<String> apply(LvsdConfig config) {
        List<String> changes = new ArrayList<>();
        Map<Key, Entry> old = entries;
        Map<Key, Entry> next = new LinkedHashMap<>();
        List<Entry> opened = new ArrayList<>();
        for (VirtualServerConfig v : config.virtualServers()) {
            ServiceKey sk = DesiredTable.keyOf(v);
            for (RealServerConfig r : v.realServers()) {
                Key k = new Key(sk, r.address());
                Entry e = old.get(k);
                if (e != null && e.how.equals(how(v, r))) {
                    e.vs = v;
                    e.rs = r;
                    next.put(k, e);
                    continue;
                }
                Entry fresh = new Entry(k, v, r);
                changes.add((e == null ? "check-started " : "check-changed ") + fresh.service + " " + fresh.realServer);
                fresh.watch = monitor.watch(r.address(), r.check(), throughVip(v, r), fresh);
                opened.add(fresh);
                next.put(k, fresh);
            }
        }
        Map<ServiceKey, VirtualServerConfig> vss = new LinkedHashMap<>();
        for (VirtualServerConfig v : config.virtualServers()) {
            vss.put(DesiredTable.keyOf(v), v);
        }
        // Real servers the new configuration drops from a virtual server it keeps drain first.
        long now = nanos.getAsLong();
        for (Map.Entry<Key, Entry> e : old.entrySet()) {
            VirtualServerConfig v = vss.get(e.getKey().service());
            if (!next.containsKey(e.getKey()) && v != null) {
                draining.put(e.getKey(), new Draining(v.name(), e.getValue().rs, now + v.drainTimeout().toNanos()));
                changes.add("drain " + e.getValue().service + " " + e.getValue().realServer);
                log.info(EVENT, "health: {} {} left the configuration: draining at weight 0 until it has no active "
                        + "connections, at most {} s", v.name(), e.getValue().realServer, v.drainTimeout().toSeconds());
            }
        }
        draining.keySet().removeIf(k -> next.containsKey(k) || !vss.containsKey(k.service()));
        if (!overrides.isEmpty()) {
            log.info(EVENT, "health: the reload clears {} runtime override(s)", overrides.size());
            overrides.clear();
        }
        entries = java.util.Collections.unmodifiableMap(next);
        services = java.util.Collections.unmodifiableMap(vss);
        quorumLost.retainAll(vss.keySet());
        publish();
        for (VirtualServerConfig v : config.virtualServers()) {
            evaluateQuorum(v, "configuration");
        }
        for (Map.Entry<Key, Entry> e : old.entrySet()) {
            if (next.get(e.getKey()) != e.getValue()) {
                e.getValue().watch.close();
                if (!next.containsKey(e.getKey())) {
                    changes.add("check-stopped " + e.getValue().service + " " + e.getValue().realServer);
                }
            }
        }
        meters(next.values());
        if (!opened.isEmpty()) {
            log.info("health: checking {} real server(s) with {} probe(s)", next.size(), monitor.probeCount());
        }
        return changes;
    }

    private void meters(java.util.Collection<Entry> all) {
        for (Meter m : meters) {
            registry.remove(m);
        }
        meters.clear();
        for (Entry e : all) {
            Key k = e.key;
            meters.add(Gauge.builder("lvsd.real.server.up", this, h -> {
                        Seen s = h.view.entries().get(k);
                        return s != null && s.up() ? 1 : 0;
                    }).tag("service", e.service)
                    .tag("real_server", e.realServer).description("1 while the real server's check passes")
                    .register(registry));
        }
        for (Map.Entry<ServiceKey, VirtualServerConfig> v : services.entrySet()) {
            ServiceKey k = v.getKey();
            meters.add(Gauge.builder("lvsd.virtual.server.quorum", this, h -> h.view.quorumLost().contains(k) ? 0 : 1)
                    .tag("service", v.getValue().name())
                    .description("1 while the live weight of the virtual server's real servers meets its quorum")
                    .register(registry));
            meters.add(Gauge.builder("lvsd.virtual.server.live.weight", this, h -> h.view.liveWeight(v.getValue()))
                    .tag("service", v.getValue().name()).description("Sum of the weights of the real servers that are up")
                    .register(registry));
        }
    }

    /**
     * Quorum with hysteresis: lost when the live weight falls below {@code weight - hysteresis}, regained when it
     * reaches {@code weight + hysteresis}; each change is logged and runs quorum.down / quorum.up. While it is
     * lost the sorry server, if any, takes the real servers' place.
     */
    private void evaluateQuorum(VirtualServerConfig v, String why) {
        ServiceKey k = DesiredTable.keyOf(v);
        VirtualServerConfig.Quorum q = v.quorum();
        long live = view.liveWeight(v);
        boolean lost = quorumLost.contains(k);
        String sorry = v.sorryServer() == null ? "" : "; sorry server " + IpAddresses.format(v.sorryServer());
        if (!lost && live < (long) q.weight() - q.hysteresis()) {
            quorumLost.add(k);
            publish();
            log.warn(EVENT, "health: {} lost its quorum: live weight {} < {}{} ({}){}", v.name(), live, q.weight(),
                    q.hysteresis() == 0 ? "" : " - " + q.hysteresis(), why, sorry.isEmpty() ? "" : sorry + " in place");
            runQuorumScript(v, q.down(), "down");
        } else if (lost && live >= (long) q.weight() + q.hysteresis()) {
            quorumLost.remove(k);
            publish();
            log.info(EVENT, "health: {} regained its quorum: live weight {} >= {}{} ({}){}", v.name(), live, q.weight(),
                    q.hysteresis() == 0 ? "" : " + " + q.hysteresis(), why, sorry.isEmpty() ? "" : sorry + " withdrawn");
            runQuorumScript(v, q.up(), "up");
        }
    }

    private void runQuorumScript(VirtualServerConfig v, io.lvsd.linux.proc.Command cmd, String which) {
        ScriptRunner runner = scripts;
        if (cmd != null && runner != null) {
            runner.run(cmd, List.of(), scriptTimeout).thenAccept(r -> {
                if (!r.ok()) {
                    log.warn("health: quorum.{} script {} for {}: {}", which, cmd, v.name(), r.describe());
                }
            });
        }
    }

    // ---- DesiredTable.Health (the IPVS driver thread): answered from the published view

    @Override
    public DesiredTable.Health now() {
        return view;
    }

    @Override
    public java.net.InetSocketAddress sorryServer(VirtualServerConfig v) {
        return view.sorryServer(v);
    }

    @Override
    public List<RealServerConfig> draining(VirtualServerConfig v) {
        return view.draining(v);
    }

    @Override
    public Integer weight(VirtualServerConfig v, RealServerConfig r) {
        return view.weight(v, r);
    }

    /** The sum of the weights of {@code v}'s real servers that are up. */
    long liveWeight(VirtualServerConfig v) {
        return view.liveWeight(v);
    }

    // ---- drains and the runtime API (the health thread)

    /** Ends drains whose real server has no active connection left, or whose drain-timeout has passed. */
    void drainTick() {
        long now = nanos.getAsLong();
        boolean changed = false;
        for (var it = draining.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Draining> d = it.next();
            String done = drainDone(d.getKey(), d.getValue().deadlineNanos(), now);
            if (done != null) {
                it.remove();
                log.info(EVENT, "health: {} {} drained ({}): deleting it", d.getValue().service(),
                        IpAddresses.format(d.getKey().realServer()), done);
                changed = true;
            }
        }
        for (Map.Entry<Key, RuntimeOverride> o : overrides.entrySet()) {
            RuntimeOverride ov = o.getValue();
            if (ov.weight() == null && !ov.drained()) {
                String done = drainDone(o.getKey(), ov.deadlineNanos(), now);
                if (done != null) {
                    o.setValue(ov.done());
                    log.info(EVENT, "health: {} {} drained ({}): out of the table until enabled or the next reload",
                            serviceName(o.getKey().service()), IpAddresses.format(o.getKey().realServer()), done);
                    changed = true;
                }
            }
        }
        if (changed) {
            publish();
            ipvs.healthChanged();
        }
    }

    private String drainDone(Key k, long deadline, long now) {
        long active = ipvs.activeConnections(k.service(), k.realServer());
        if (active <= 0) {
            return active == 0 ? "no active connections" : "not in the kernel table";
        }
        return now - deadline >= 0 ? "drain-timeout passed with " + active + " active connection(s)" : null;
    }

    private String serviceName(ServiceKey k) {
        VirtualServerConfig v = services.get(k);
        return v == null ? k.describe() : v.name();
    }

    /**
     * The admin API: {@code drain}, {@code enable} or {@code weight} for one real server of one virtual server,
     * done on the health thread. Returns what was done; throws IllegalArgumentException naming the parameter that
     * is wrong.
     */
    public String control(String action, String service, String realServer, String weight) {
        try {
            return onHome(() -> controlOnHome(action, service, realServer, weight));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private String controlOnHome(String action, String service, String realServer, String weight) {
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("service: missing (expected the virtual server's name)");
        }
        if (realServer == null || realServer.isBlank()) {
            throw new IllegalArgumentException("real-server: missing (expected ip:port as configured)");
        }
        Entry found = null;
        for (Entry e : entries.values()) {
            if (e.service.equals(service) && e.realServer.equals(realServer)) {
                found = e;
                break;
            }
        }
        if (found == null) {
            boolean known = entries.values().stream().anyMatch(e -> e.service.equals(service));
            throw new java.util.NoSuchElementException(known
                    ? "real-server: " + realServer + " is not a real server of " + service
                    : "service: no virtual server named " + service);
        }
        String since = clock.instant().toString();
        String what;
        switch (action) {
            case "drain" -> {
                long deadline = nanos.getAsLong() + found.vs.drainTimeout().toNanos();
                overrides.put(found.key, new RuntimeOverride(null, since, deadline, false));
                what = "draining " + service + " " + realServer + ": weight 0, out of the table once it has no active "
                        + "connections (at most " + found.vs.drainTimeout().toSeconds() + " s)";
            }
            case "enable" -> {
                RuntimeOverride was = overrides.remove(found.key);
                what = was == null ? service + " " + realServer + " had no override" : "enabled " + service + " "
                        + realServer + ": back to its checks and configured weight";
            }
            case "weight" -> {
                int w;
                try {
                    w = Integer.parseInt(weight == null ? "" : weight.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("weight: \"" + weight + "\" (expected 0-65535)");
                }
                if (w < 0 || w > RealServerConfig.MAX_WEIGHT) {
                    throw new IllegalArgumentException("weight: " + w + " (expected 0-65535)");
                }
                overrides.put(found.key, new RuntimeOverride(w, since, 0, false));
                what = "weight of " + service + " " + realServer + " set to " + w + " (while its check passes; until "
                        + "enabled or the next reload)";
            }
            default -> throw new IllegalArgumentException("action: \"" + action + "\" (expected drain, enable or weight)");
        }
        publish();
        log.info(EVENT, "health: admin API: {}", what);
        ipvs.healthChanged();
        return what;
    }

    /** The weight of an up real server: an agent's (smoothed, mapped), a dynamic script's, or the configured one. */
    private static int upWeight(HealthMonitor.Watch w, RealServerConfig r) {
        Double sample = w.sample();
        if (sample != null && r.check().spec() instanceof io.lvsd.healthcheck.CheckSpec.Agent a) {
            return io.lvsd.healthcheck.AgentChecker.weight(a, sample, r.weight());
        }
        Integer reported = w.weight();
        return reported != null ? reported : r.weight();
    }

    /** The /status view: every watched real server and every virtual server's quorum. */
    public HealthStatus.Report report() {
        View v = view;
        List<HealthStatus.Quorum> qs = new ArrayList<>();
        for (VirtualServerConfig vs : v.services().values()) {
            boolean lost = v.quorumLost().contains(DesiredTable.keyOf(vs));
            qs.add(new HealthStatus.Quorum(vs.name(), v.liveWeight(vs), vs.quorum().weight(), vs.quorum().hysteresis(),
                    lost ? "lost" : "held", lost && vs.sorryServer() != null ? IpAddresses.format(vs.sorryServer()) : null));
        }
        return new HealthStatus.Report(status(v), qs);
    }

    /** The /status view of every watched real server. */
    public List<HealthStatus> status() {
        return status(view);
    }

    private static List<HealthStatus> status(View v) {
        List<HealthStatus> out = new ArrayList<>();
        for (Seen e : v.entries().values()) {
            CheckResult last = e.watch().last();
            RuntimeOverride o = v.overrides().get(e.key());
            String override = o == null ? null : o.weight() != null ? "weight " + o.weight() + " since " + o.since()
                    : (o.drained() ? "drained" : "draining") + " since " + o.since();
            out.add(new HealthStatus(e.service(), e.realServer(),
                    e.rs().check().type().name().toLowerCase(java.util.Locale.ROOT), e.up() ? "UP" : "DOWN",
                    v.weight(e.vs(), e.rs()), e.since(), last == null ? null : last.detail(),
                    last == null ? null : last.latencyNanos() / 1e6, e.watch().sharedBy(), override));
        }
        v.draining().forEach((k, d) -> out.add(new HealthStatus(d.service(), IpAddresses.format(k.realServer()),
                d.rs().check().type().name().toLowerCase(java.util.Locale.ROOT), "REMOVED", 0, null, null, null, 0,
                "draining: no longer in the configuration")));
        return out;
    }
}
