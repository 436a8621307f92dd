package io.lvsd.controller.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.InMemoryIpvsClient;
import io.lvsd.ipvs.IpvsClient;
import io.lvsd.ipvs.IpvsOp;
import io.lvsd.ipvs.IpvsUnavailableException;
import io.lvsd.ipvs.IpvsadmFormat;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.linux.net.IpAddresses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IPVS component against the in-memory kernel: start, reload, drift, absence of IPVS. */
class IpvsComponentTest {
    @TempDir
    Path dir;

    private final InMemoryIpvsClient kernel = new InMemoryIpvsClient();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private IpvsComponent component;

    private static final String WEB = """
            virtual-servers = [ {
              name = web
              address = "10.0.0.1:80"
              scheduler = %s
              real-servers = [ { address = "10.1.0.1:80", weight = %d }, { address = "10.1.0.2:8080" } ]
            } ]
            """;

    private LvsdConfig config(String sched, int weight) {
        return TestConfigs.valid(dir, WEB.formatted(sched, weight));
    }

    private IpvsComponent component(IpvsComponent.ClientFactory f) {
        component = new IpvsComponent(f, registry, Clock.systemUTC(), Duration.ofHours(1));
        return component;
    }

    /** A client whose close() leaves the shared in-memory kernel alone. */
    private IpvsClient shared() {
        return (IpvsClient) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {IpvsClient.class},
                (p, m, a) -> m.getName().equals("close") ? null : m.invoke(kernel, a));
    }

    @AfterEach
    void stop() {
        if (component != null) {
            component.stop();
        }
    }

    private double ops(String op, String result) {
        var c = registry.find("lvsd.ipvs.reconcile.operations").tags("op", op, "result", result).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void startProgramsTheTableAndAdoptsWhatIsAlreadyThere() throws Exception {
        ServiceKey web = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("10.0.0.1"), 80));
        kernel.apply(List.of(new IpvsOp.AddService(VirtualService.of(web, "wlc")),
                new IpvsOp.AddDest(web, Destination.of(new InetSocketAddress(IpAddresses.parse("10.1.0.1"), 80), Forwarding.NAT, 1))));
        long before = kernel.operations();
        component(this::shared).start(config("wlc", 1));
        // The existing service and destination stay; only the missing destination is added.
        assertThat(kernel.operations() - before).isEqualTo(1);
        assertThat(IpvsadmFormat.save(kernel.dump())).isEqualTo("""
                -A -t 10.0.0.1:80 -s wlc
                -a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1
                -a -t 10.0.0.1:80 -r 10.1.0.2:8080 -m -w 1
                """);
        IpvsStatus s = component.status();
        assertThat(s.available()).isTrue();
        assertThat(s.services()).singleElement().satisfies(svc -> {
            assertThat(svc.name()).isEqualTo("web");
            assertThat(svc.realServers()).extracting(IpvsStatus.RealServer::address).containsExactly("10.1.0.1:80", "10.1.0.2:8080");
        });
        assertThat(ops("new_dest", "success")).isEqualTo(1);
        assertThat(registry.find("lvsd.ipvs.real.server.weight").tags("service", "web", "real_server", "10.1.0.2:8080")
                .gauge().value()).isEqualTo(1);
    }

    // ---- ownership across restarts (the state file)

    private static final ServiceKey WEB_KEY = new ServiceKey.Addr(Protocol.TCP,
            new InetSocketAddress(IpAddresses.parse("10.0.0.1"), 80));
    private static final ServiceKey OLD = new ServiceKey.Addr(Protocol.TCP,
            new InetSocketAddress(IpAddresses.parse("10.0.0.2"), 443));
    private static final ServiceKey FOREIGN = new ServiceKey.Addr(Protocol.UDP,
            new InetSocketAddress(IpAddresses.parse("10.0.0.9"), 53));

    private IpvsComponent restarted(Path state) {
        component = new IpvsComponent(this::shared, registry, Clock.systemUTC(), Duration.ofHours(1), state);
        return component;
    }

    /** The kernel as an earlier run left it: web, a service that run owned, and one it never owned. */
    private void leftBehind() throws Exception {
        kernel.apply(List.of(new IpvsOp.AddService(VirtualService.of(WEB_KEY, "wlc")),
                new IpvsOp.AddService(VirtualService.of(OLD, "rr")),
                new IpvsOp.AddService(VirtualService.of(FOREIGN, "rr"))));
    }

    private List<ServiceKey> inKernel() throws Exception {
        return kernel.dump().stream().map(s -> s.service().key()).toList();
    }

    private double stateLoads(String result) {
        var c = registry.find("lvsd.state.file.loads").tags("result", result).counter();
        return c == null ? 0 : c.count();
    }

    private double stateErrors(String op) {
        var c = registry.find("lvsd.state.file.errors").tags("op", op).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aServiceRemovedFromTheFileWhileLvsdWasStoppedIsDeletedAtStartAndForeignOnesStay() throws Exception {
        Path state = dir.resolve("state/owned-services.json");
        OwnedServices.save(state, java.util.Set.of(WEB_KEY, OLD));
        leftBehind();
        restarted(state).start(config("wlc", 1));
        assertThat(inKernel()).containsExactlyInAnyOrder(WEB_KEY, FOREIGN);
        assertThat(component.status().foreignServices()).containsExactly(FOREIGN.describe());
        assertThat(OwnedServices.load(state).services()).containsExactly(WEB_KEY);
        assertThat(stateErrors("read") + stateErrors("write")).isZero();
    }

    @Test
    void theStateFileFollowsReloadsAndSurvivesARestart() throws Exception {
        Path state = dir.resolve("owned-services.json");
        restarted(state).start(config("wlc", 1));
        assertThat(OwnedServices.load(state).services()).containsExactly(WEB_KEY);
        component.stop();
        // The operator removes web while lvsd is stopped; the next start deletes it.
        restarted(state).start(TestConfigs.valid(dir, ""));
        assertThat(inKernel()).isEmpty();
        assertThat(OwnedServices.load(state).services()).isEmpty();
    }

    @Test
    void aMissingCorruptOrUnreadableStateFileOwnsNothingAndNeverStopsTheStart() throws Exception {
        Path missing = dir.resolve("missing/owned-services.json");
        leftBehind();
        restarted(missing).start(config("wlc", 1));
        assertThat(inKernel()).containsExactlyInAnyOrder(WEB_KEY, OLD, FOREIGN); // OLD cannot be proven ours
        assertThat(component.status().foreignServices()).containsExactlyInAnyOrder(OLD.describe(), FOREIGN.describe());
        assertThat(stateErrors("read")).isZero();
        assertThat(stateLoads("missing")).isEqualTo(1);
        component.stop();

        Path corrupt = dir.resolve("corrupt.json");
        java.nio.file.Files.writeString(corrupt, "{\"version\": 1, \"services\": [\"tcp 10.0.0.2:443\"");
        restarted(corrupt).start(config("wlc", 1));
        assertThat(inKernel()).contains(OLD, FOREIGN);
        assertThat(stateErrors("read")).isEqualTo(1);
        assertThat(OwnedServices.load(corrupt).services()).as("rewritten with what lvsd owns now")
                .containsExactly(WEB_KEY);
        component.stop();

        Path unreadable = dir.resolve("unreadable");
        java.nio.file.Files.createDirectories(unreadable);
        restarted(unreadable).start(config("wlc", 1));
        assertThat(inKernel()).contains(OLD, FOREIGN);
        assertThat(stateErrors("read")).isEqualTo(2);
        assertThat(stateLoads("unreadable")).isEqualTo(2);
        assertThat(stateLoads("adopted")).isZero();
        assertThat(stateErrors("write")).as("a directory stands where the file should be").isEqualTo(1);
        assertThat(component.status().available()).isTrue();
    }

    @Test
    void reloadAppliesOnlyTheDifference() throws Exception {
        component(this::shared).start(config("wlc", 1));
        long before = kernel.operations();
        component.reload(config("wlc", 1), config("rr", 4));
        assertThat(kernel.operations() - before).isEqualTo(2);
        assertThat(ops("set_service", "success")).isEqualTo(1);
        assertThat(ops("set_dest", "success")).isEqualTo(1);
        assertThat(component.lastReload()).containsExactly("SET_SERVICE tcp 10.0.0.1:80", "SET_DEST tcp 10.0.0.1:80 -> "
                + "10.1.0.1:80");
        assertThat(registry.get("lvsd.config.reload.actions").tags("component", "ipvs", "action", "set_dest").counter()
                .count()).isEqualTo(1);
        component.reload(config("rr", 4), config("rr", 4));
        assertThat(component.lastReload()).as("a reload that changes nothing here").isEmpty();
        LvsdConfig empty = TestConfigs.valid(dir, "");
        component.reload(config("rr", 4), empty);
        assertThat(kernel.dump()).isEmpty();
    }

    @Test
    void aSchedulerChangeRunsInsideTheGuardAndOnlyThatOne() throws Exception {
        List<String> nft = new java.util.ArrayList<>();
        List<String> tableWhenRaised = new java.util.ArrayList<>();
        component(this::shared).switchGuard(new SchedulerSwitchGuard(commands -> {
            nft.add(commands.substring(0, commands.indexOf(' ', commands.indexOf(' ') + 1)));
            if (commands.contains("add chain")) {
                tableWhenRaised.add(kernel.dump().get(0).service().scheduler());
            }
            return commands.startsWith("list") ? "ip saddr 10.0.0.1 icmp type destination-unreachable icmp code "
                    + "port-unreachable counter packets 2 bytes 112 drop" : "";
        }));
        component.start(config("wlc", 1));
        component.reload(config("wlc", 1), config("wlc", 4)); // runs on the driver after the start's clean-up
        assertThat(nft).as("a leftover table cleared at start; a weight change is not guarded")
                .containsExactly("add table");
        component.reload(config("wlc", 4), config("rr", 4));
        assertThat(nft).as("raise, read the counters, lower").containsExactly("add table", "add table", "list chain",
                "delete table");
        assertThat(tableWhenRaised).as("the guard was up before the edit").containsExactly("wlc");
        assertThat(kernel.dump().get(0).service().scheduler()).isEqualTo("rr");
        assertThat(registry.get("lvsd.ipvs.scheduler.switches").tags("guard", "held").counter().count()).isEqualTo(1);
        assertThat(registry.get("lvsd.ipvs.scheduler.switch.held").counter().count()).isEqualTo(2);
    }

    @Test
    void aSchedulerChangeWithoutNftIsMadeUnguardedAndCounted() throws Exception {
        component(this::shared).switchGuard(new SchedulerSwitchGuard(null));
        component.start(config("wlc", 1));
        component.reload(config("wlc", 1), config("rr", 1));
        assertThat(kernel.dump().get(0).service().scheduler()).isEqualTo("rr");
        assertThat(registry.get("lvsd.ipvs.scheduler.switches").tags("guard", "unguarded").counter().count())
                .isEqualTo(1);
    }

    @Test
    void driftIsCorrectedAndCounted() throws Exception {
        component(this::shared).start(config("wlc", 1));
        ServiceKey web = new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("10.0.0.1"), 80));
        kernel.apply(List.of(new IpvsOp.EditDest(web, Destination.of(new InetSocketAddress(IpAddresses.parse("10.1.0.1"), 80),
                Forwarding.NAT, 50)), new IpvsOp.DeleteDest(web, new InetSocketAddress(IpAddresses.parse("10.1.0.2"), 8080))));
        assertThat(component.driftCheckNow()).isEqualTo(2);
        assertThat(registry.get("lvsd.ipvs.drift.corrections").counter().count()).isEqualTo(2);
        assertThat(component.driftCheckNow()).isZero();
        assertThat(component.status().driftCorrections()).isEqualTo(2);
    }

    @Test
    void withoutIpvsTheComponentStartsAndSaysWhy() throws Exception {
        component(() -> {
            throw new IpvsUnavailableException();
        }).start(config("wlc", 1));
        IpvsStatus s = component.status();
        assertThat(s.available()).isFalse();
        assertThat(s.error()).isEqualTo("IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)");
        assertThat(registry.get("lvsd.ipvs.up").gauge().value()).isZero();
        assertThat(component.driftCheckNow()).isZero();
    }

    @Test
    void foreignServicesAreReportedAndLeftAlone() throws Exception {
        kernel.apply(List.of(new IpvsOp.AddService(VirtualService.of(
                new ServiceKey.Addr(Protocol.TCP, new InetSocketAddress(IpAddresses.parse("192.0.2.9"), 22)), "rr"))));
        component(this::shared).start(config("wlc", 1));
        assertThat(component.status().foreignServices()).containsExactly("tcp 192.0.2.9:22");
        assertThat(registry.get("lvsd.ipvs.foreign.services").gauge().value()).isEqualTo(1);
        assertThat(kernel.dump()).hasSize(2);
    }

    @Test
    void kernelRefusalsAreReportedAndCountedNotThrown() throws Exception {
        // A kernel older than 6.2 has no twos scheduler: NEW_SERVICE fails with ENOENT.
        IpvsClient old = (IpvsClient) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {IpvsClient.class}, (p, m, a) -> {
                    if (m.getName().equals("apply")) {
                        @SuppressWarnings("unchecked")
                        List<IpvsOp> in = (List<IpvsOp>) a[0];
                        List<io.lvsd.ipvs.ApplyResult.Outcome> out = new java.util.ArrayList<>();
                        for (IpvsOp op : in) {
                            out.add(op instanceof IpvsOp.AddService add && add.service().scheduler().equals("twos")
                                    ? new io.lvsd.ipvs.ApplyResult.Outcome(op, 2, "ENOENT", "No such file or directory")
                                    : kernel.apply(List.of(op)).outcomes().get(0));
                        }
                        return new io.lvsd.ipvs.ApplyResult(out);
                    }
                    return m.getName().equals("close") ? null : m.invoke(kernel, a);
                });
        component(() -> old).start(TestConfigs.valid(dir, """
                virtual-servers = [ { name = odd, address = "10.0.0.2:80", scheduler = twos } ]
                """));
        assertThat(component.status().lastFailures())
                .containsExactly("NEW_SERVICE tcp 10.0.0.2:80: ENOENT (No such file or directory)");
        assertThat(ops("new_service", "failure")).isEqualTo(1);
        assertThat(component.status().available()).isTrue();
    }
}
