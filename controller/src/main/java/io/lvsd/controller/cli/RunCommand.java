package io.lvsd.controller.cli;

import io.lvsd.controller.Main;
import io.lvsd.controller.admin.AdminServer;
import io.lvsd.controller.admin.StatusReport;
import io.lvsd.controller.config.ConfigLoader;
import io.lvsd.controller.config.ConfigProblem;
import io.lvsd.controller.config.LoadResult;
import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.daemon.DaemonMetrics;
import io.lvsd.controller.daemon.Daemon;
import io.lvsd.controller.daemon.EventLog;
import io.lvsd.controller.daemon.InstanceLock;
import io.lvsd.controller.daemon.Signals;
import io.lvsd.controller.health.HealthComponent;
import io.lvsd.controller.ipvs.IpvsComponent;
import io.lvsd.controller.ipvs.OwnedServices;
import io.lvsd.controller.ipvs.SchedulerSwitchGuard;
import io.lvsd.controller.routing.RoutingComponent;
import io.lvsd.routing.KernelVipRoutes;
import io.lvsd.healthcheck.ProbeTransport;
import io.lvsd.linux.Sysctl;
import io.lvsd.controller.sync.SyncComponent;
import io.lvsd.controller.vrrp.VrrpComponent;
import io.lvsd.ipvs.NetlinkIpvsClient;
import io.lvsd.linux.SdNotify;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lvsd run -f FILE}: the daemon, in the foreground. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the lvsd daemon in the foreground, logging to stdout.",
                "SIGHUP reloads the configuration (an invalid one is rejected and the old one kept);",
                "SIGTERM or SIGINT stop gracefully. Under systemd (Type=notify) it reports READY, RELOADING,",
                "STOPPING and, when WatchdogSec is set, WATCHDOG pings."},
        footer = {"", "Examples:",
                "  lvsd run -f /etc/lvsd/lvsd.conf",
                "  systemctl reload lvsd       # under systemd: SIGHUP, a reload",
                "", "Exit codes: 0 after a graceful stop, 1 when the configuration is invalid or startup fails."})
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-f", "--config"}, required = true, paramLabel = "FILE", description = "The configuration file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        LoadResult r = ConfigLoader.load(file);
        for (ConfigProblem w : r.warnings()) {
            log.warn("{}", w.format());
        }
        if (!r.ok()) {
            for (ConfigProblem e : r.errors()) {
                log.error("{}", e.format());
            }
            log.error("not starting: {} error(s) in {}", r.errors().size(), file);
            return Main.EXIT_FAILURE;
        }
        LvsdConfig config = r.config();
        InstanceLock lock = lock();
        if (lock == null) {
            return Main.EXIT_FAILURE;
        }
        try (lock) {
            return run(config);
        }
    }

    /**
     * This network namespace's instance lock (see {@link InstanceLock}), or null, with the reason logged, when
     * another lvsd holds it. A lock that cannot be taken at all (no writable runtime directory) is logged and lvsd
     * runs without it: the lock protects the table from the CLI, and lvsd's own work does not depend on it.
     */
    private static InstanceLock lock() {
        java.nio.file.Path f = InstanceLock.file(InstanceLock.directory(System.getenv()));
        try {
            InstanceLock l = InstanceLock.acquire(f);
            if (l == null) {
                log.error("not starting: another lvsd (pid {}) runs in this network namespace and owns its IPVS "
                        + "table ({})", InstanceLock.holder(f).orElse(0), f);
            }
            return l;
        } catch (java.io.IOException e) {
            log.warn("cannot take the instance lock {}: {}; running without it (lvsd ipvs restore|flush will not "
                    + "know that this daemon runs)", f, e.toString());
            return InstanceLock.none();
        }
    }

    private Integer run(LvsdConfig config) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        DaemonMetrics configMetrics = new DaemonMetrics();
        configMetrics.bindTo(registry);

        Clock clock = Clock.systemUTC();
        Instant startedAt = clock.instant();
        EventLog events = EventLog.install(EVENTS_KEPT, clock);
        AtomicReference<Daemon> daemonRef = new AtomicReference<>();
        boolean memory = "memory".equals(System.getenv(TEST_IPVS));
        IpvsComponent ipvs;
        if (memory) {
            // For labs of the control plane on kernels without IPVS (routing daemons, health checks, the API).
            log.warn("{}=memory: the IPVS table is kept in memory and nothing is forwarded (a test mode)", TEST_IPVS);
            io.lvsd.ipvs.InMemoryIpvsClient table = new io.lvsd.ipvs.InMemoryIpvsClient();
            ipvs = new IpvsComponent(() -> table, registry, clock, Duration.ofSeconds(5),
                    config.director().stateDirectory(System.getenv()).resolve(OwnedServices.FILE), null);
        } else {
            ipvs = new IpvsComponent(NetlinkIpvsClient::open, registry, clock, Duration.ofSeconds(5),
                    config.director().stateDirectory(System.getenv()).resolve(OwnedServices.FILE), new Sysctl());
            ipvs.switchGuard(SchedulerSwitchGuard.system());
        }
        HealthComponent health = new HealthComponent(ipvs, registry, clock, System::nanoTime,
                ProbeTransport.create(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2))));
        RoutingComponent routing = new RoutingComponent(KernelVipRoutes::open, () -> ipvs.status().available(),
                health::hasQuorum, registry, clock);
        VrrpComponent vrrp = new VrrpComponent(registry);
        SyncComponent sync = new SyncComponent(ipvs, registry, clock, System::nanoTime, SyncComponent.multicast());
        vrrp.addListener(sync);
        vrrp.preemptGate(sync);
        AdminServer admin = new AdminServer(registry,
                () -> StatusReport.of(daemonRef.get(), startedAt, clock, lastReloads(health, ipvs, routing, sync, vrrp),
                        vrrp.status(), ipvs.status(),
                        health.report(),
                        sync.status(), routing.status(), events.recent()),
                () -> configMetrics.internalError("admin"),
                (action, service, realServer, weight) -> action.startsWith("director/")
                        ? routing.control(action.substring("director/".length()))
                        : health.control(action, service, realServer, weight));
        try (SdNotify notify = SdNotify.fromEnvironment(System.getenv(), ProcessHandle.current().pid())) {
            // Health before IPVS: the first table already leaves out real servers that start down (alpha). Sync
            // before VRRP: the backup daemon listens before the first transition. VRRP last: it stops first, so a
            // SIGTERM hands the addresses over before anything else. Routing after IPVS: a VIP is announced only
            // once the table is applied; it withdraws at a stop before anything else stops (beforeStop).
            Daemon daemon = new Daemon(file, List.of(health, ipvs, routing, admin, sync, vrrp), configMetrics, notify,
                    clock);
            daemonRef.set(daemon);
            Signals.install(daemon);
            try {
                daemon.start(config);
            } catch (Exception e) {
                log.error("startup failed: {}", e.getMessage());
                return Main.EXIT_FAILURE;
            }
            daemon.awaitStopRequest();
            daemon.stop();
        } finally {
            gc.close();
            events.uninstall();
        }
        return 0;
    }

    /** {@code LVSD_TEST_IPVS=memory}: an IPVS table in memory, for labs on kernels without IPVS. */
    static final String TEST_IPVS = "LVSD_TEST_IPVS";

    /** How many events {@code /status} keeps: a few hours of a busy director's changes, a few kB of JSON. */
    static final int EVENTS_KEPT = 200;

    /** Each component's last reload, in start order; components the last reload did not change are left out. */
    static Map<String, List<String>> lastReloads(io.lvsd.controller.daemon.Component... components) {
        Map<String, List<String>> m = new java.util.LinkedHashMap<>();
        for (io.lvsd.controller.daemon.Component c : components) {
            List<String> l = c.lastReload();
            if (!l.isEmpty()) {
                m.put(c.name(), l);
            }
        }
        return m;
    }
}