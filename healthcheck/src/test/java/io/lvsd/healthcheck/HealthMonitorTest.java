package io.lvsd.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.healthcheck.HealthTracker.State;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The probe schedule, sharing and timeouts, on an embedded event loop whose time only moves when told. */
class HealthMonitorTest {
    static final InetSocketAddress RS1 = new InetSocketAddress(InetAddress.getLoopbackAddress(), 80);
    static final InetSocketAddress RS2 = new InetSocketAddress(InetAddress.getLoopbackAddress(), 81);

    EmbeddedChannel clock;
    long now;
    final List<ProbeContext> probes = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    SimpleMeterRegistry registry;
    HealthMonitor monitor;

    @BeforeEach
    void setUp() {
        clock = new EmbeddedChannel();
        clock.freezeTime();
        registry = new SimpleMeterRegistry();
        Checker fake = probes::add;
        monitor = new HealthMonitor(ProbeTransport.on(clock.eventLoop()), Map.of(CheckType.TCP, fake), registry,
                () -> now, () -> 0.5);
    }

    void advance(Duration d) {
        now += d.toNanos();
        clock.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        clock.runPendingTasks();
        clock.runScheduledPendingTasks();
    }

    static CheckConfig config(int retries, int rise, boolean warmup, int port) {
        return new CheckConfig(Duration.ofSeconds(5), Duration.ofSeconds(3), retries, Duration.ofSeconds(1), rise, warmup,
                false, null, port == 0 ? null : port, null, null, null, false, new CheckSpec.Tcp());
    }

    HealthMonitor.Listener listener(String name) {
        return (w, t, r) -> events.add(name + " " + t.from() + "->" + t.to() + " " + t.reason());
    }

    @Test
    void watchesOfTheSameTargetCheckedTheSameWayShareOneProbe() {
        HealthMonitor.Watch a = monitor.watch(RS1, config(1, 1, false, 0), listener("a"));
        HealthMonitor.Watch b = monitor.watch(RS1, config(1, 1, false, 0), listener("b"));
        HealthMonitor.Watch other = monitor.watch(RS2, config(1, 1, false, 0), listener("c"));
        assertThat(monitor.probeCount()).isEqualTo(2);
        assertThat(a.sharedBy()).isEqualTo(2);
        advance(Duration.ZERO);
        assertThat(probes).extracting(p -> p.target().getPort()).containsExactlyInAnyOrder(80, 81);
        probes.get(0).down("connection refused");
        assertThat(events).hasSize(2).allMatch(e -> e.endsWith("UP->DOWN connection refused"));
        assertThat(a.state()).isEqualTo(State.DOWN);
        assertThat(b.state()).isEqualTo(State.DOWN);
        assertThat(registry.get("lvsd.check.probes").gauge().value()).isEqualTo(2);
        a.close();
        assertThat(monitor.probeCount()).isEqualTo(2);
        b.close();
        other.close();
        assertThat(monitor.probeCount()).isZero();
        probes.clear();
        advance(Duration.ofSeconds(30));
        assertThat(probes).as("no probe after the last watch closed").isEmpty();
    }

    @Test
    void connectPortMakesADifferentTarget() {
        HealthMonitor.Watch a = monitor.watch(RS1, config(1, 1, false, 0), listener("a"));
        HealthMonitor.Watch b = monitor.watch(RS1, config(1, 1, false, 8080), listener("b"));
        assertThat(monitor.probeCount()).isEqualTo(2);
        assertThat(b.target().getPort()).isEqualTo(8080);
        assertThat(a.target()).isEqualTo(RS1);
    }

    @Test
    void probesFollowTheIntervalAndTheRetryDelayAndRiseBringsItBack() {
        HealthMonitor.Watch w = monitor.watch(RS1, config(2, 2, false, 0), listener("w"));
        advance(Duration.ZERO);
        assertThat(probes).hasSize(1);
        probes.get(0).up("connected");
        advance(Duration.ofMillis(4999));
        assertThat(probes).hasSize(1);
        advance(Duration.ofMillis(1));
        assertThat(probes).as("next probe after the interval").hasSize(2);
        probes.get(1).down("connection refused");
        assertThat(w.state()).isEqualTo(State.UP);
        advance(Duration.ofSeconds(1));
        assertThat(probes).as("after a failure: retry-delay").hasSize(3);
        probes.get(2).down("connection refused");
        assertThat(events).containsExactly("w UP->DOWN connection refused (2 failures in a row)");
        advance(Duration.ofSeconds(5));
        probes.get(3).up("connected");
        advance(Duration.ofSeconds(5));
        probes.get(4).up("connected");
        assertThat(events).last().isEqualTo("w DOWN->UP connected (2 successes in a row)");
        assertThat(w.last().detail()).isEqualTo("connected");
        assertThat(registry.get("lvsd.check.results").tag("type", "tcp").tag("result", "down").counter().count())
                .isEqualTo(2);
    }

    @Test
    void aProbeThatDoesNotAnswerTimesOutAndItsLateAnswerIsIgnored() {
        HealthMonitor.Watch w = monitor.watch(RS1, config(1, 1, false, 0), listener("w"));
        advance(Duration.ZERO);
        List<String> closed = new ArrayList<>();
        probes.get(0).onDone(() -> closed.add("channel closed"));
        advance(Duration.ofMillis(2999));
        assertThat(events).isEmpty();
        advance(Duration.ofMillis(1));
        assertThat(events).containsExactly("w UP->DOWN timed out after 3000 ms");
        assertThat(closed).containsExactly("channel closed");
        probes.get(0).up("connected");
        assertThat(w.state()).isEqualTo(State.DOWN);
        assertThat(events).hasSize(1);
    }

    @Test
    void warmupSpreadsTheFirstProbe() {
        monitor.watch(RS1, config(1, 1, true, 0), listener("w"));
        advance(Duration.ZERO);
        advance(Duration.ofMillis(2499));
        assertThat(probes).isEmpty();
        advance(Duration.ofMillis(1));
        assertThat(probes).as("first probe at random (0.5) x interval").hasSize(1);
    }

    @Test
    void checkTypeNoneIsAlwaysUpAndProbesNothing() {
        CheckConfig none = new CheckConfig(Duration.ofSeconds(5), Duration.ofSeconds(3), 1, Duration.ofSeconds(1), 1,
                false, true, null, null, null, null, null, false, new CheckSpec.None());
        HealthMonitor.Watch w = monitor.watch(RS1, none, listener("w"));
        advance(Duration.ofSeconds(60));
        assertThat(w.state()).isEqualTo(State.UP);
        assertThat(probes).isEmpty();
    }

    @Test
    void aTypeWithoutAChecker() {
        CheckConfig dns = new CheckConfig(Duration.ofSeconds(5), Duration.ofSeconds(3), 1, Duration.ofSeconds(1), 1,
                false, false, null, null, null, null, null, false, new CheckSpec.Dns(".", "SOA", null));
        assertThatThrownBy(() -> monitor.watch(RS1, dns, listener("w"))).hasMessage("no checker for check type DNS");
    }
}
