package io.lvsd.controller.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.controller.ipvs.IpvsComponent;
import io.lvsd.healthcheck.CheckType;
import io.lvsd.healthcheck.Checker;
import io.lvsd.healthcheck.ProbeContext;
import io.lvsd.healthcheck.ProbeTransport;
import io.lvsd.ipvs.InMemoryIpvsClient;
import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.IpvsadmFormat;
import io.lvsd.linux.Sysctl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * From check results to the kernel table (the in-memory one): remove and quiesce, reported weights, alpha,
 * reloads that keep state, the UDP sysctls. Probes are a fake checker on an embedded loop with frozen time.
 */
class HealthComponentTest {
    @TempDir
    Path dir;

    final InMemoryIpvsClient kernel = new InMemoryIpvsClient();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<ProbeContext> probes = new ArrayList<>();
    EmbeddedChannel loop;
    IpvsComponent ipvs;
    HealthComponent health;
    Path proc;
    long now;

    static final String CONFIG = """
            scripts.user = nobody
            defaults.check { type = tcp, interval = 5s, timeout = 1s, retries = 1, rise = 1 }
            virtual-servers = [
              { name = web, address = "10.0.0.1:80", scheduler = rr, on-failure = remove,
                real-servers = [ { address = "10.1.0.1:80", weight = 3 }, { address = "10.1.0.2:80" } ] }
              { name = api, address = "10.0.0.1:8080", scheduler = rr, on-failure = quiesce,
                real-servers = [ { address = "10.1.0.1:80", weight = 3 } ] }
              %s
            ]
            """;

    @BeforeEach
    void setUp() throws Exception {
        loop = new EmbeddedChannel();
        loop.freezeTime();
        ipvs = new IpvsComponent(() -> shared(), registry, Clock.systemUTC(), Duration.ofHours(1), null,
                new Sysctl(dir.resolve("proc")));
        proc = Files.createDirectories(dir.resolve("proc/net/ipv4/vs"));
        Files.writeString(proc.resolve("expire_nodest_conn"), "0\n");
        Files.writeString(proc.resolve("expire_quiescent_template"), "0\n");
        Checker fake = probes::add;
        health = new HealthComponent(ipvs, registry, Clock.systemUTC(), () -> now, ProbeTransport.on(loop.eventLoop()),
                Map.of(CheckType.TCP, fake, CheckType.SCRIPT, fake, CheckType.AGENT, fake));
    }

    @AfterEach
    void tearDown() {
        ipvs.stop();
    }

    IpvsClient shared() {
        return (IpvsClient) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {IpvsClient.class}, (p, m, a) -> m.getName().equals("close") ? null : m.invoke(kernel, a));
    }

    LvsdConfig config(String extra) {
        return TestConfigs.valid(dir, CONFIG.formatted(extra));
    }

    void run() {
        loop.runPendingTasks();
        loop.runScheduledPendingTasks();
    }

    void advance(Duration d) {
        loop.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        run();
    }

    /** The kernel table once the IPVS driver has caught up. */
    String table() throws Exception {
        ipvs.execute(c -> { }).get(10, TimeUnit.SECONDS);
        return IpvsadmFormat.save(kernel.dump());
    }

    /** The probe in flight for 10.1.0.1 on {@code port}. */
    ProbeContext probe(int port) {
        return probeOf("10.1.0.1", port);
    }

    /** Both components start with {@code c}, in the daemon's order, and the first probes go out. */
    void start(LvsdConfig c) throws Exception {
        health.start(c);
        ipvs.start(c);
        run();
    }

    /** Both components take {@code next}, in the daemon's order. */
    void reload(LvsdConfig previous, LvsdConfig next) throws Exception {
        health.reload(previous, next);
        ipvs.reload(previous, next);
    }

    @Test
    void aFailedServerIsRemovedFromRemoveServicesAndQuiescedInQuiesceServicesAndComesBack() throws Exception {
        LvsdConfig c = config("");
        start(c);
        assertThat(probes).as("one probe for 10.1.0.1:80, shared by web and api; one for 10.1.0.2:80").hasSize(2);
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 3", "-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 3");
        probe(80).down("connection refused");
        assertThat(table()).doesNotContain("-a -t 10.0.0.1:80 -r 10.1.0.1:80")
                .contains("-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 1", "-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 0");
        assertThat(health.status()).filteredOn(s -> s.realServer().equals("10.1.0.1:80"))
                .extracting(HealthStatus::service, HealthStatus::state, HealthStatus::weight, HealthStatus::lastResult,
                        HealthStatus::sharedBy)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("web", "DOWN", null, "connection refused", 2),
                        org.assertj.core.groups.Tuple.tuple("api", "DOWN", 0, "connection refused", 2));
        assertThat(registry.get("lvsd.real.server.up").tag("service", "web").tag("real_server", "10.1.0.1:80").gauge()
                .value()).isZero();
        advance(Duration.ofSeconds(5));
        probe(80).up("connected");
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 3", "-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 3");
        assertThat(registry.get("lvsd.real.server.transitions").tag("service", "web").tag("to", "down").counter().count())
                .isEqualTo(1);
    }

    @Test
    void aReloadKeepsTheStateOfUnchangedChecksAndStartsChangedOnesAfresh() throws Exception {
        LvsdConfig c = config("");
        start(c);
        probe(80).down("connection refused");
        assertThat(table()).doesNotContain("-r 10.1.0.1:80 -m -w 3");
        // Same checks, one weight changed: the failed server stays out.
        LvsdConfig next = TestConfigs.valid(dir, CONFIG.formatted("").replace("weight = 3 } ]\n  }", "weight = 5 } ]\n  }"));
        reload(c, next);
        assertThat(table()).doesNotContain("-a -t 10.0.0.1:80 -r 10.1.0.1:80").contains("-r 10.1.0.1:80 -m -w 0");
        // A changed check on web is a new probe that starts up (no alpha): web programs it again.
        LvsdConfig changed = TestConfigs.valid(dir, CONFIG.formatted("").replaceFirst("on-failure = remove,",
                "on-failure = remove, check.interval = 7s,"));
        reload(next, changed);
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 3", "-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 0");
        assertThat(health.lastReload()).containsExactly("check-changed web 10.1.0.1:80", "check-changed web 10.1.0.2:80");
        assertThat(registry.get("lvsd.config.reload.actions").tags("component", "health", "action", "check-changed")
                .counter().count()).isEqualTo(2);
    }

    @Test
    void alphaServersStartOutOfTheTableUntilTheirFirstSuccess() throws Exception {
        LvsdConfig c = TestConfigs.valid(dir, CONFIG.formatted("").replace("retries = 1,", "retries = 1, alpha = true,"));
        health.start(c);
        ipvs.start(c);
        assertThat(table()).doesNotContain("-a -t 10.0.0.1:80 -r").contains("-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 0");
        run();
        probe(80).up("connected");
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 3").doesNotContain("10.1.0.2:80");
    }

    @Test
    void aDynamicScriptWeightReplacesTheConfiguredWeight() throws Exception {
        LvsdConfig c = config("""
                { name = db, address = "10.0.0.2:5432", scheduler = wrr,
                  check { type = script, script { command = "/usr/local/bin/db-weight", dynamic = true } },
                  real-servers = [ { address = "10.1.0.1:5432", weight = 10 } ] }""");
        start(c);
        probe(5432).upWithWeight(42, "exit 44: weight 42");
        assertThat(table()).contains("-a -t 10.0.0.2:5432 -r 10.1.0.1:5432 -m -w 42");
    }

    ProbeContext probeOf(String address, int port) {
        return probes.stream().filter(p -> !p.finished() && p.target().getPort() == port
                && p.target().getAddress().getHostAddress().equals(address)).findFirst().orElseThrow();
    }

    @Test
    void whenAllRealServersAreDownTheSorryServerTakesTheirPlaceAndLeavesWhenOneIsBack() throws Exception {
        LvsdConfig c = TestConfigs.valid(dir, """
                defaults.check { type = tcp, interval = 5s, timeout = 1s, retries = 1, rise = 1 }
                virtual-servers = [ { name = web, address = "10.0.0.1:80", scheduler = rr, sorry-server = "10.2.0.1:80",
                  real-servers = [ { address = "10.1.0.1:80" }, { address = "10.1.0.2:80" } ] } ]
                """);
        start(c);
        assertThat(table()).doesNotContain("10.2.0.1");
        probeOf("10.1.0.1", 80).down("connection refused");
        assertThat(table()).contains("-r 10.1.0.2:80").doesNotContain("10.2.0.1");
        probeOf("10.1.0.2", 80).down("connection refused");
        assertThat(table()).isEqualTo("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.2.0.1:80 -m -w 1\n");
        assertThat(health.report().services()).singleElement()
                .isEqualTo(new HealthStatus.Quorum("web", 0, 1, 0, "lost", "10.2.0.1:80"));
        assertThat(registry.get("lvsd.virtual.server.quorum").tag("service", "web").gauge().value()).isZero();
        advance(Duration.ofSeconds(5));
        probeOf("10.1.0.2", 80).up("connected");
        assertThat(table()).isEqualTo("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 1\n");
        assertThat(health.report().services().get(0).state()).isEqualTo("held");
    }

    @Test
    void quorumHasHysteresis() throws Exception {
        LvsdConfig c = TestConfigs.valid(dir, """
                defaults.check { type = tcp, interval = 5s, timeout = 1s, retries = 1, rise = 1 }
                virtual-servers = [ { name = web, address = "10.0.0.1:80", scheduler = wrr, sorry-server = "10.2.0.1:80",
                  quorum { weight = 4, hysteresis = 1 },
                  real-servers = [ { address = "10.1.0.1:80", weight = 2 }, { address = "10.1.0.2:80", weight = 2 },
                                   { address = "10.1.0.3:80", weight = 1 } ] } ]
                """);
        start(c);
        probeOf("10.1.0.2", 80).up("connected"); // and stays up (later probes are not answered before the timeout)
        probeOf("10.1.0.3", 80).down("refused"); // live 4: >= 4 - 1, held
        assertThat(health.report().services().get(0).state()).isEqualTo("held");
        probeOf("10.1.0.1", 80).down("refused"); // live 2 < 3: lost
        assertThat(health.report().services().get(0)).extracting(HealthStatus.Quorum::liveWeight, HealthStatus.Quorum::state)
                .containsExactly(2L, "lost");
        assertThat(table()).contains("-r 10.2.0.1:80").doesNotContain("-r 10.1.0.2:80");
        advance(Duration.ofSeconds(5));
        probeOf("10.1.0.2", 80).up("connected");
        probeOf("10.1.0.1", 80).up("connected"); // live 4 < 4 + 1: still lost
        assertThat(health.report().services().get(0).state()).isEqualTo("lost");
        probeOf("10.1.0.3", 80).up("connected"); // live 5: regained
        assertThat(health.report().services().get(0).state()).isEqualTo("held");
        assertThat(table()).doesNotContain("10.2.0.1").contains("-r 10.1.0.1:80 -m -w 2", "-r 10.1.0.3:80 -m -w 1");
    }

    @Test
    void aLoadAgentSetsTheWeightFromItsSmoothedSamples() throws Exception {
        LvsdConfig c = config("""
                { name = app, address = "10.0.0.4:80", scheduler = wlc,
                  check { type = agent, agent { port = 7777, reports = load, load-full = 2.0, smoothing = 0.5 } },
                  real-servers = [ { address = "10.1.0.1:80", weight = 20 } ] }""");
        start(c);
        probe(7777).complete(io.lvsd.healthcheck.CheckResult.sample(1.0, "agent load 1.0", 1));
        assertThat(table()).contains("-a -t 10.0.0.4:80 -r 10.1.0.1:80 -m -w 10");
        advance(Duration.ofSeconds(5));
        probe(7777).complete(io.lvsd.healthcheck.CheckResult.sample(0.0, "agent load 0.0", 1));
        assertThat(table()).as("smoothed load 0.5 of 2.0").contains("-a -t 10.0.0.4:80 -r 10.1.0.1:80 -m -w 15");
    }

    static java.net.InetSocketAddress rs(String hostPort) {
        int c = hostPort.lastIndexOf(':');
        return new java.net.InetSocketAddress(io.lvsd.linux.net.IpAddresses.parse(hostPort.substring(0, c)),
                Integer.parseInt(hostPort.substring(c + 1)));
    }

    @Test
    void aRealServerDroppedFromTheConfigurationDrainsAtWeightZeroUntilIdleOrDrainTimeout() throws Exception {
        LvsdConfig c = TestConfigs.valid(dir, CONFIG.formatted("").replace("on-failure = remove,",
                "on-failure = remove, drain-timeout = 60s,"));
        start(c);
        kernel.setActiveConnections(rs("10.1.0.2:80"), 3);
        kernel.setActiveConnections(rs("10.1.0.1:80"), 1);
        LvsdConfig dropped = TestConfigs.valid(dir, CONFIG.formatted("").replace("on-failure = remove,",
                "on-failure = remove, drain-timeout = 60s,").replace(", { address = \"10.1.0.2:80\" }", ""));
        reload(c, dropped);
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 0");
        assertThat(health.lastReload()).containsExactly("drain web 10.1.0.2:80", "check-stopped web 10.1.0.2:80");
        assertThat(health.status()).anyMatch(s -> s.realServer().equals("10.1.0.2:80") && s.state().equals("REMOVED"));
        health.drainTick();
        assertThat(table()).as("3 active connections: still draining").contains("-r 10.1.0.2:80 -m -w 0");
        kernel.setActiveConnections(rs("10.1.0.2:80"), 0);
        ipvs.driftCheckNow(); // a fresh snapshot of the kernel's counters
        health.drainTick();
        assertThat(table()).doesNotContain("10.1.0.2:80");

        // The same with connections that never end: drain-timeout decides.
        reload(dropped, c);
        kernel.setActiveConnections(rs("10.1.0.2:80"), 5);
        ipvs.driftCheckNow();
        reload(c, dropped);
        now += Duration.ofSeconds(59).toNanos();
        health.drainTick();
        assertThat(table()).contains("-r 10.1.0.2:80 -m -w 0");
        now += Duration.ofSeconds(1).toNanos();
        health.drainTick();
        assertThat(table()).doesNotContain("10.1.0.2:80");
    }

    @Test
    void theRuntimeApiDrainsEnablesAndWeightsUntilTheNextReload() throws Exception {
        LvsdConfig c = config("");
        start(c);
        kernel.setActiveConnections(rs("10.1.0.1:80"), 2);
        ipvs.driftCheckNow();
        assertThat(health.control("drain", "web", "10.1.0.1:80", null)).startsWith("draining web 10.1.0.1:80: weight 0");
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 0", "-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 3");
        health.drainTick();
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 0");
        kernel.setActiveConnections(rs("10.1.0.1:80"), 0);
        ipvs.driftCheckNow();
        health.drainTick();
        assertThat(table()).doesNotContain("-a -t 10.0.0.1:80 -r 10.1.0.1:80");
        assertThat(health.status()).filteredOn(s -> s.service().equals("web") && s.realServer().equals("10.1.0.1:80"))
                .singleElement().satisfies(s -> assertThat(s.override()).startsWith("drained since "));
        assertThat(health.control("enable", "web", "10.1.0.1:80", null)).startsWith("enabled web 10.1.0.1:80");
        assertThat(table()).contains("-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 3");
        assertThat(health.control("weight", "api", "10.1.0.1:80", "9")).startsWith("weight of api 10.1.0.1:80 set to 9");
        assertThat(table()).contains("-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 9");
        // Errors name the parameter.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> health.control("weight", "api", "10.1.0.1:80", "lots"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("weight: \"lots\" (expected 0-65535)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> health.control("drain", "nope", "10.1.0.1:80", null))
                .isInstanceOf(java.util.NoSuchElementException.class).hasMessage("service: no virtual server named nope");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> health.control("drain", "web", "10.9.9.9:80", null))
                .hasMessage("real-server: 10.9.9.9:80 is not a real server of web");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> health.control("pause", "web", "10.1.0.1:80", null))
                .hasMessage("action: \"pause\" (expected drain, enable or weight)");
        // A reload clears overrides.
        reload(c, c);
        assertThat(table()).contains("-a -t 10.0.0.1:8080 -r 10.1.0.1:80 -m -w 3");
    }

    @Test
    void udpServicesTurnOnTheSysctlsThatMoveUdpFlowsOffFailedServers() throws Exception {
        LvsdConfig tcpOnly = config("");
        health.start(tcpOnly);
        ipvs.start(tcpOnly);
        table();
        assertThat(Files.readString(proc.resolve("expire_nodest_conn"))).isEqualTo("0\n");
        LvsdConfig udp = config("""
                { name = dns, address = "10.0.0.3:53", protocol = udp, scheduler = rr, persistence.timeout = 60s,
                  check.type = none, real-servers = [ { address = "10.1.0.9:53" } ] }""");
        reload(tcpOnly, udp);
        table();
        assertThat(Files.readString(proc.resolve("expire_nodest_conn"))).isEqualTo("1\n");
        assertThat(Files.readString(proc.resolve("expire_quiescent_template"))).isEqualTo("1\n");
    }
}
