package io.lvsd.controller.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.controller.config.VirtualServerConfig;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.routing.InMemoryVipRoutes;
import io.lvsd.routing.VipRoutes;
import io.lvsd.testkit.FakeScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingComponentTest {
    @TempDir
    Path dir;

    private final InMemoryVipRoutes routes = new InMemoryVipRoutes();
    private final FakeScheduler timers = new FakeScheduler();
    private final AtomicBoolean applied = new AtomicBoolean(true);
    private final Set<String> withoutQuorum = ConcurrentHashMap.newKeySet();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private RoutingComponent routing;

    private static final String TWO_VIPS = """
            routing { enabled = true, daemon = none }
            virtual-servers = [
              { name = web, address = "192.0.2.10:80", scheduler = mh, forwarding = dr, check.type = none,
                real-servers = [ { address = "10.0.0.2:80" } ] },
              { name = web-tls, address = "192.0.2.10:443", scheduler = mh, forwarding = dr, check.type = none,
                real-servers = [ { address = "10.0.0.2:443" } ] },
              { name = dns, address = "[2001:db8::53]:53", protocol = udp, scheduler = mh, forwarding = dr,
                check.type = none, real-servers = [ { address = "[2001:db8::2]:53" } ] } ]
            """;

    /** Runs what is submitted at once on the caller's thread; what is scheduled waits for {@link #timers}. */
    private final class Inline extends AbstractExecutorService implements ScheduledExecutorService {
        @Override
        public void execute(Runnable r) {
            r.run();
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable r, long d, TimeUnit u) {
            return timers.schedule(r, d, u);
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> c, long d, TimeUnit u) {
            return timers.schedule(c, d, u);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable r, long i, long p, TimeUnit u) {
            return timers.scheduleAtFixedRate(r, i, p, u);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable r, long i, long d, TimeUnit u) {
            return timers.scheduleWithFixedDelay(r, i, d, u);
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long t, TimeUnit u) {
            return true;
        }
    }

    @BeforeEach
    void make() {
        routing = new RoutingComponent((table, protocol) -> routes, applied::get,
                (VirtualServerConfig v) -> !withoutQuorum.contains(v.name()), registry,
                Clock.fixed(Instant.parse("2026-12-04T10:00:00Z"), ZoneOffset.UTC), timers::nanoTime, new Inline());
    }

    private Set<String> announced() throws Exception {
        return texts(routes.list(VipRoutes.Kind.ANNOUNCE));
    }

    private static Set<String> texts(Set<java.net.InetAddress> a) {
        return a.stream().map(IpAddresses::text).collect(java.util.stream.Collectors.toSet());
    }

    private LvsdConfig config(String text) {
        return TestConfigs.valid(dir, text);
    }

    @Test
    void startAcceptsEveryVipAndAnnouncesTheHealthyOnesWithTheReasonInStatusAndMetrics() throws Exception {
        withoutQuorum.add("dns");
        routing.start(config(TWO_VIPS));
        assertThat(texts(routes.list(VipRoutes.Kind.ACCEPT))).containsExactlyInAnyOrder("192.0.2.10", "2001:db8::53");
        assertThat(announced()).containsExactly("192.0.2.10");
        RoutingStatus s = routing.status();
        assertThat(s.enabled()).isTrue();
        assertThat(s.vips()).extracting(RoutingStatus.Vip::vip, RoutingStatus.Vip::announced, RoutingStatus.Vip::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("192.0.2.10", true, "its 2 virtual servers have quorum"),
                        org.assertj.core.groups.Tuple.tuple("2001:db8::53", false, "quorum lost by dns"));
        assertThat(registry.get("lvsd.routing.vip.announced").tag("vip", "192.0.2.10").gauge().value()).isEqualTo(1);
        assertThat(registry.get("lvsd.routing.vip.announced").tag("vip", "2001:db8::53").gauge().value()).isZero();
        assertThat(registry.get("lvsd.routing.vip.last.change").tag("vip", "192.0.2.10").gauge().value())
                .isEqualTo(Instant.parse("2026-12-04T10:00:00Z").getEpochSecond());
    }

    @Test
    void quorumLossWithdrawsOnlyThatVipAtTheNextTickAndItsReturnAnnouncesItAgain() throws Exception {
        routing.start(config(TWO_VIPS));
        assertThat(announced()).containsExactlyInAnyOrder("192.0.2.10", "2001:db8::53");
        withoutQuorum.add("web-tls");
        timers.advance(RoutingComponent.TICK);
        assertThat(announced()).containsExactly("2001:db8::53");
        assertThat(routing.status().vips().get(0).reason()).isEqualTo("quorum lost by web-tls");
        withoutQuorum.clear();
        timers.advance(RoutingComponent.TICK);
        assertThat(announced()).containsExactlyInAnyOrder("192.0.2.10", "2001:db8::53");
        assertThat(routes.operations()).containsExactly("add accept 192.0.2.10", "add accept 2001:db8:0:0:0:0:0:53",
                "add announce 192.0.2.10", "add announce 2001:db8:0:0:0:0:0:53", "delete announce 192.0.2.10",
                "add announce 192.0.2.10");
    }

    @Test
    void drainWithdrawsEverythingButKeepsTheKernelAcceptingAndResumeAnnouncesAgain() throws Exception {
        routing.start(config(TWO_VIPS));
        assertThat(routing.control("drain")).isEqualTo("director draining: 0 of 2 VIPs announced");
        assertThat(announced()).isEmpty();
        assertThat(routes.list(VipRoutes.Kind.ACCEPT)).hasSize(2);
        assertThat(routing.status().draining()).isTrue();
        assertThat(routing.status().vips()).extracting(RoutingStatus.Vip::reason)
                .containsOnly("the director is draining (POST /director/drain)");
        timers.advance(RoutingComponent.TICK);
        assertThat(announced()).as("a tick does not undo the drain").isEmpty();
        assertThat(routing.control("drain")).isEqualTo("director already draining: 0 of 2 VIPs announced");
        assertThat(routing.control("resume")).isEqualTo("director resumed: 2 of 2 VIPs announced");
        assertThat(announced()).hasSize(2);
        assertThatThrownBy(() -> routing.control("nap")).isInstanceOf(java.util.NoSuchElementException.class)
                .hasMessage("director/nap: no such action (expected director/drain or director/resume)");
    }

    @Test
    void aTableNotAppliedWithdrawsAndAStopWithdrawsButLeavesTheAcceptRoutes() throws Exception {
        routing.start(config(TWO_VIPS));
        applied.set(false);
        timers.advance(RoutingComponent.TICK);
        assertThat(announced()).isEmpty();
        assertThat(routing.status().vips().get(0).reason()).isEqualTo("the IPVS table is not applied");
        applied.set(true);
        timers.advance(RoutingComponent.TICK);
        assertThat(announced()).hasSize(2);
        routing.beforeStop();
        assertThat(announced()).isEmpty();
        assertThat(routes.list(VipRoutes.Kind.ACCEPT)).as("fail static: the kernel goes on taking the VIPs in")
                .hasSize(2);
    }

    @Test
    void aReloadRemovesAVipThatLeftAndTurningRoutingOffRemovesEveryRoute() throws Exception {
        routing.start(config(TWO_VIPS));
        routing.reload(null, config("""
                routing { enabled = true, daemon = none }
                virtual-servers = [ { name = web, address = "192.0.2.10:80", scheduler = mh, forwarding = dr,
                  check.type = none, real-servers = [ { address = "10.0.0.2:80" } ] } ]
                """));
        assertThat(announced()).containsExactly("192.0.2.10");
        assertThat(texts(routes.list(VipRoutes.Kind.ACCEPT))).containsExactly("192.0.2.10");
        routing.reload(null, config("""
                virtual-servers = [ { name = web, address = "192.0.2.10:80", scheduler = mh, forwarding = dr,
                  check.type = none, real-servers = [ { address = "10.0.0.2:80" } ] } ]
                """));
        assertThat(routes.list(VipRoutes.Kind.ACCEPT)).isEmpty();
        assertThat(announced()).isEmpty();
        assertThat(routing.status().enabled()).isFalse();
        assertThatThrownBy(() -> routing.control("drain")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("director/drain: routing is not enabled");
    }

    @Test
    void aFailedRouteWriteIsReportedCountedAndRetriedAtTheNextTick() throws Exception {
        routing.start(config(TWO_VIPS));
        withoutQuorum.add("dns");
        routes.fail("Operation not permitted");
        timers.advance(RoutingComponent.TICK);
        assertThat(routing.status().error()).endsWith("delete announce 2001:db8:0:0:0:0:0:53: Operation not permitted");
        assertThat(registry.get("lvsd.routing.errors").counter().count()).isEqualTo(1);
        routes.fail(null);
        timers.advance(RoutingComponent.TICK);
        assertThat(announced()).containsExactly("192.0.2.10");
        assertThat(routing.status().error()).isNull();
    }
}
