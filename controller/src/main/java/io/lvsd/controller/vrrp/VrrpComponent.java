package io.lvsd.controller.vrrp;

import io.lvsd.vrrp.VrrpState;
import io.lvsd.arp.AnnounceConfig;
import io.lvsd.arp.Announcer;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.ScriptsConfig;
import io.lvsd.controller.daemon.Component;
import io.lvsd.linux.proc.ScriptRunner;
import io.lvsd.vrrp.InstanceStatus;
import io.lvsd.vrrp.PreemptGate;
import io.lvsd.vrrp.ReloadChange;
import io.lvsd.vrrp.Vrrp;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpHooks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the VRRP module and connects it to the announcer: a new master's addresses are
 * announced with the instance's {@code garp} settings. Other components follow the state
 * through {@link #addListener}. Without VRRP instances nothing is opened.
 */
public final class VrrpComponent implements Component {
    private static final Logger log = LoggerFactory.getLogger(VrrpComponent.class);
    private static final AnnounceConfig DEFAULT_ANNOUNCE = new AnnounceConfig(Duration.ofSeconds(5), 5, Duration.ZERO, 1);

    /** Told of every state change of every instance. */
    public interface Listener {
        void transition(String instance, VrrpState from, VrrpState to, String reason);
    }

    private final MeterRegistry registry;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    // The daemon's thread only: it wires, starts, reloads and stops the component, one at a time. The VRRP loop
    // and /status read {@link #view}, replaced whole after each change.
    private PreemptGate gate = PreemptGate.OPEN;
    private Map<String, AnnounceConfig> announce = Map.of();
    private DefaultEventLoop announceLoop;
    private Announcer announcer;
    private ScriptRunner scripts;
    private Vrrp vrrp;
    private List<ReloadChange> lastReload = List.of();

    /** What other threads read: the running module (null without VRRP), garp settings, the gate, the last reload. */
    private record View(Vrrp vrrp, Map<String, AnnounceConfig> announce, PreemptGate gate,
                        List<ReloadChange> lastReload) {
    }

    private volatile View view = new View(null, Map.of(), PreemptGate.OPEN, List.of());

    private void publish() {
        view = new View(vrrp, announce, gate, lastReload);
    }

    public VrrpComponent(MeterRegistry registry) {
        this.registry = registry;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** Asked before any instance preempts a lower-priority master (sync-aware fail-back); must answer at once. */
    public void preemptGate(PreemptGate g) {
        gate = g;
        publish();
    }

    @Override
    public String name() {
        return "vrrp";
    }

    @Override
    public void start(LvsdConfig config) throws Exception {
        announce = config.announce();
        publish();
        if (config.vrrp().instances().isEmpty()) {
            return;
        }
        open(config);
    }

    private void open(LvsdConfig config) throws Exception {
        announceLoop = new DefaultEventLoop(new DefaultThreadFactory("lvsd-announce", true));
        announcer = Announcer.open(announceLoop, registry);
        config.vrrp().instances().keySet().forEach(announcer::prepare);
        scripts = newScriptRunner(config);
        Vrrp v = new Vrrp(hooks(announcer), registry, scripts, config.scripts().timeout());
        try {
            v.start(config.vrrp());
        } catch (Exception e) {
            v.stop(Duration.ofSeconds(1));
            close();
            throw new IllegalStateException("VRRP cannot start: " + e.getMessage(), e);
        }
        vrrp = v;
        publish();
    }

    private static ScriptRunner newScriptRunner(LvsdConfig config) {
        ScriptRunner r = new ScriptRunner(config.scripts().user(), config.scripts().maxConcurrent(), "lvsd-script");
        if (r.setupError() != null && usesScripts(config.vrrp())) {
            log.error("{}: track and notify scripts will fail until this is fixed", r.setupError());
        }
        return r;
    }

    private static boolean usesScripts(VrrpConfig c) {
        return !c.trackScripts().isEmpty() || c.instances().values().stream().anyMatch(i -> i.notifyCommands().master() != null
                || i.notifyCommands().backup() != null || i.notifyCommands().fault() != null
                || i.notifyCommands().stop() != null || i.notifyCommands().any() != null);
    }

    /** The module's hooks, called on the VRRP loop: they read only {@code announcer} and {@link #view}. */
    private VrrpHooks hooks(Announcer announcer) {
        return new VrrpHooks() {
            @Override
            public void announce(String instance, List<Announce> targets) {
                announcer.announce(instance, announcerTargets(targets), view.announce().getOrDefault(instance,
                        DEFAULT_ANNOUNCE));
            }

            @Override
            public void rehearseAnnounce(String instance, List<Announce> targets) {
                announcer.rehearse(instance, announcerTargets(targets));
            }

            /**
             * A plain loop: a lambda's call site is linked the first time it runs, and this runs first on a takeover,
             * between the VIPs going up and the first announcement.
             */
            private List<Announcer.Target> announcerTargets(List<Announce> targets) {
                List<Announcer.Target> t = new ArrayList<>(targets.size());
                for (Announce a : targets) {
                    t.add(new Announcer.Target(a.ifname(), a.ifindex(), a.mac(), a.address()));
                }
                return t;
            }

            @Override
            public void addressesChanged(String instance, List<Announce> all, List<Announce> added) {
                announcer.update(instance, announcerTargets(all), announcerTargets(added));
            }

            @Override
            public void reannounce(String instance) {
                announcer.reannounce(instance);
            }

            @Override
            public void withdraw(String instance) {
                announcer.withdraw(instance);
            }

            @Override
            public PreemptGate preemptGate() {
                return (instance, master, since, now) -> view.gate().open(instance, master, since, now);
            }

            @Override
            public void transition(String instance, VrrpState from, VrrpState to, String reason) {
                for (Listener l : listeners) {
                    try {
                        l.transition(instance, from, to, reason);
                    } catch (RuntimeException e) {
                        log.error("listener failed on {} {} -> {}: {}", instance, from, to, e.toString());
                    }
                }
            }
        };
    }

    @Override
    public void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        announce = next.announce();
        publish();
        boolean had = vrrp != null;
        boolean wants = !next.vrrp().instances().isEmpty();
        if (had && wants) {
            next.vrrp().instances().keySet().forEach(announcer::prepare);
            ScriptRunner old = scripts;
            if (!next.scripts().user().equals(previous.scripts().user())
                    || next.scripts().maxConcurrent() != previous.scripts().maxConcurrent()) {
                scripts = newScriptRunner(next);
            }
            List<ReloadChange> changes = new ArrayList<>(vrrp.reload(next.vrrp(), scripts, next.scripts().timeout()));
            if (old != scripts) {
                old.closeWhenIdle(); // scripts it runs finish (each within its timeout); new ones use the new runner
            }
            for (ReloadChange c : settingsChanges(previous, next)) {
                log.info("vrrp: reload: {}", c.describe());
                changes.add(c);
            }
            for (ReloadChange c : changes) {
                Component.countReloadAction(registry, name(), c.action());
            }
            lastReload = List.copyOf(changes);
            publish();
        } else if (!had && wants) {
            open(next);
        } else if (had) {
            stop();
        }
    }

    /**
     * What a reload changes for VRRP outside the module's own configuration: an instance's {@code garp} settings
     * (from its next announcement) and {@code scripts.*} (VRRP's track and notify scripts use them from their next
     * run). Neither changes a state or restarts anything. Added and removed instances are the module's own changes.
     */
    static List<ReloadChange> settingsChanges(LvsdConfig previous, LvsdConfig next) {
        List<ReloadChange> out = new ArrayList<>();
        for (String name : next.vrrp().instances().keySet()) {
            if (previous.vrrp().instances().containsKey(name)) {
                AnnounceConfig was = previous.announce().getOrDefault(name, DEFAULT_ANNOUNCE);
                AnnounceConfig is = next.announce().getOrDefault(name, DEFAULT_ANNOUNCE);
                if (!was.equals(is)) {
                    out.add(new ReloadChange(name, "garp", name + ": garp " + garp(was) + " -> " + garp(is)
                            + " (from the next announcement; no state change)"));
                }
            }
        }
        int rtWas = previous.vrrp().realtimePriority();
        int rtIs = next.vrrp().realtimePriority();
        if (rtWas != rtIs) {
            out.add(new ReloadChange("vrrp", "realtime-priority", "vrrp.realtime-priority " + rtWas + " -> " + rtIs
                    + " (the VRRP threads take it at once, each advert reader at its next packet; no state change)"));
        }
        ScriptsConfig was = previous.scripts();
        ScriptsConfig is = next.scripts();
        if (!was.equals(is)) {
            out.add(new ReloadChange("scripts", "scripts", "scripts: user " + was.user() + " -> " + is.user()
                    + ", timeout " + was.timeout().toMillis() + " ms -> " + is.timeout().toMillis() + " ms, max-concurrent "
                    + was.maxConcurrent() + " -> " + is.maxConcurrent() + " (VRRP's track and notify scripts use them "
                    + "from their next run)"));
        }
        return out;
    }

    private static String garp(AnnounceConfig a) {
        return "delay " + a.delay().toMillis() + " ms, repeat " + a.repeat() + ", refresh " + a.refresh().toMillis()
                + " ms, refresh-repeat " + a.refreshRepeat();
    }

    @Override
    public void stop() {
        Vrrp v = vrrp;
        vrrp = null;
        publish();
        if (v != null) {
            v.stop(Duration.ofSeconds(5));
        }
        close();
    }

    private void close() {
        if (announcer != null) {
            announceLoop.submit(() -> null).awaitUninterruptibly(1, TimeUnit.SECONDS);
            announcer.close();
            announcer = null;
        }
        if (announceLoop != null) {
            announceLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            announceLoop = null;
        }
        if (scripts != null) {
            scripts.close();
            scripts = null;
        }
    }

    /** What the last reload changed in the running instances (empty before the first, or when it changed none). */
    public List<ReloadChange> lastReloadChanges() {
        return view.lastReload();
    }

    @Override
    public List<String> lastReload() {
        return view.lastReload().stream().map(ReloadChange::describe).toList();
    }

    /** Every instance now; empty without VRRP. */
    public List<InstanceStatus> status() {
        Vrrp v = view.vrrp();
        return v == null ? List.of() : v.status();
    }
}
