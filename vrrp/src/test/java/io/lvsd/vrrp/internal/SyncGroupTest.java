package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.vrrp.internal.VrrpStateMachine.SendAdvert;
import io.lvsd.vrrp.VrrpState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyncGroupTest {
    static final long MS = 1_000_000L;

    static VrrpStateMachine member(int vrid, int prio) {
        VrrpStateMachine m = new VrrpStateMachine(new VrrpStateMachine.Settings(3, vrid, 100, true, 0,
                IpAddresses.parse("10.99.0.11")), prio);
        m.startup(0);
        return m;
    }

    @Test
    void whenOneMemberBecomesMasterTheOthersFollow() {
        VrrpStateMachine outside = member(51, 150);
        VrrpStateMachine inside = member(52, 150);
        SyncGroup g = new SyncGroup("NAT", Map.of("outside", outside, "inside", inside));
        // The inside instance still hears a master; the outside one's timer runs out first.
        inside.advertReceived(1000 * MS, IpAddresses.parse("10.98.0.2"), 200, 100);
        var out = g.after("outside", outside.poll(outside.nextDeadline()), outside.nextDeadline());
        assertThat(outside.state()).isEqualTo(VrrpState.MASTER);
        assertThat(inside.state()).isEqualTo(VrrpState.MASTER);
        assertThat(out.get("inside")).contains(new SendAdvert(150));
    }

    @Test
    void whenTheMasterYieldsTheOthersYieldToo() {
        VrrpStateMachine a = member(51, 150);
        VrrpStateMachine b = member(52, 150);
        SyncGroup g = new SyncGroup("G", Map.of("a", a, "b", b));
        g.after("a", a.poll(a.nextDeadline()), a.nextDeadline());
        assertThat(b.state()).isEqualTo(VrrpState.MASTER);
        g.after("a", a.advertReceived(10_000 * MS, IpAddresses.parse("10.99.0.12"), 200, 100), 10_000 * MS);
        assertThat(a.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(b.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void aFaultInOneFaultsAllAndTheyRejoinWhenNoneIsFaulted() {
        VrrpStateMachine a = member(51, 150);
        VrrpStateMachine b = member(52, 150);
        SyncGroup g = new SyncGroup("G", Map.of("a", a, "b", b));
        g.fault("a", "eth0 is down", 5000 * MS);
        g.fault("b", "eth1 is down", 5000 * MS);
        assertThat(List.of(a.state(), b.state())).containsOnly(VrrpState.FAULT);
        assertThat(g.faultCleared("a", "eth0 is up", 6000 * MS)).isEmpty();
        assertThat(a.state()).isEqualTo(VrrpState.FAULT);
        g.faultCleared("b", "eth1 is up", 7000 * MS);
        assertThat(List.of(a.state(), b.state())).containsOnly(VrrpState.BACKUP);
    }

    @Test
    void aMemberStillHearingAMasterHoldsTheGroupBack() {
        VrrpStateMachine outside = member(51, 150);
        VrrpStateMachine inside = member(52, 150);
        SyncGroup g = new SyncGroup("NAT", Map.of("outside", outside, "inside", inside));
        long t = outside.nextDeadline();
        // inside keeps hearing a live master: its deadline moves past outside's.
        inside.advertReceived(t - 100 * MS, IpAddresses.parse("10.98.0.2"), 200, 100);
        long until = g.blockedUntil("outside", t);
        assertThat(until).isEqualTo(inside.nextDeadline()).isGreaterThan(t);
        outside.postponeMasterDown(until);
        assertThat(outside.poll(t)).isEmpty();
        assertThat(outside.state()).isEqualTo(VrrpState.BACKUP);
        // Once inside's master is silent too, the later timer finds nobody blocking.
        assertThat(g.blockedUntil("inside", until)).isZero();
    }

    @Test
    void membersWhoseTimersRunOutOfPhaseStillAgree() {
        VrrpStateMachine a = member(51, 150);
        VrrpStateMachine b = member(52, 150);
        b.advertReceived(5 * MS, IpAddresses.parse("10.98.0.2"), 200, 100); // b's timer runs 5 ms later
        SyncGroup g = new SyncGroup("G", Map.of("a", a, "b", b));
        long ta = a.nextDeadline();
        long until = g.blockedUntil("a", ta);
        assertThat(until).isEqualTo(b.nextDeadline());
        a.postponeMasterDown(until);
        assertThat(g.blockedUntil("b", until)).isZero(); // a's deadline is b's: not in the future
        g.after("b", b.poll(until), until);
        assertThat(a.state()).isEqualTo(VrrpState.MASTER);
        assertThat(b.state()).isEqualTo(VrrpState.MASTER);
    }
}
