package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.proc.Command;
import io.lvsd.vrrp.NotifyCommands;
import io.lvsd.vrrp.SyncGroupConfig;
import io.lvsd.vrrp.TrackScriptConfig;
import io.lvsd.vrrp.VrrpConfig;
import io.lvsd.vrrp.VrrpInstanceConfig;
import io.lvsd.vrrp.VrrpInstanceConfig.Track;
import io.lvsd.vrrp.VrrpInstanceConfig.TrackedInterface;
import io.lvsd.vrrp.VrrpInstanceConfig.TrackedScript;
import io.lvsd.vrrp.VrrpInstanceConfig.VirtualAddress;
import io.lvsd.vrrp.internal.ReloadPlan.Change;
import io.lvsd.vrrp.VrrpState;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every row of the reload table (docs/configuration.md, section vrrp), for a master and for a backup. */
class ReloadPlanTest {
    /** A v3 instance VI_1 on eth0, VRID 51, priority 100, one VIP. */
    static VrrpInstanceConfig vi(String name, UnaryOperator<Builder> edit) {
        return edit.apply(new Builder(name)).build();
    }

    static final class Builder {
        String name;
        String ifname = "eth0";
        int vrid = 51;
        int priority = 100;
        int version = 3;
        Duration interval = Duration.ofSeconds(1);
        boolean preempt = true;
        Duration preemptDelay = Duration.ZERO;
        InetAddress unicastSource;
        List<InetAddress> peers = List.of();
        String password;
        List<VirtualAddress> vips = List.of(vip("10.0.0.100/24"));
        boolean pseudo = true;
        Track track = Track.none();
        NotifyCommands notify = NotifyCommands.none();

        Builder(String name) {
            this.name = name;
        }

        VrrpInstanceConfig build() {
            return new VrrpInstanceConfig(name, ifname, vrid, priority, version, interval, preempt, preemptDelay,
                    unicastSource, peers, true, 0, password, vips, pseudo, track, notify);
        }
    }

    static VirtualAddress vip(String prefix) {
        return new VirtualAddress(IpPrefix.parse(prefix), null);
    }

    static VrrpConfig config(VrrpInstanceConfig... instances) {
        return config(Map.of(), Map.of(), instances);
    }

    static VrrpConfig config(Map<String, SyncGroupConfig> groups, Map<String, TrackScriptConfig> scripts,
                             VrrpInstanceConfig... instances) {
        Map<String, VrrpInstanceConfig> m = new LinkedHashMap<>();
        for (VrrpInstanceConfig i : instances) {
            m.put(i.name(), i);
        }
        return new VrrpConfig(m, groups, scripts);
    }

    static TrackScriptConfig script(String name, String cmd) {
        return new TrackScriptConfig(name, Command.parse(cmd), Duration.ofSeconds(2), Duration.ofSeconds(1), -20, 1, 1);
    }

    static List<Change> plan(VrrpConfig a, VrrpConfig b, VrrpState state) {
        Map<String, VrrpState> states = new LinkedHashMap<>();
        a.instances().keySet().forEach(n -> states.put(n, state));
        return ReloadPlan.plan(a, b, states).changes();
    }

    private static List<Change> one(UnaryOperator<Builder> edit, VrrpState state) {
        return plan(config(vi("VI_1", b -> b)), config(vi("VI_1", edit)), state);
    }

    @Test
    void anUnchangedConfigurationChangesNothing() {
        VrrpConfig c = config(vi("VI_1", b -> b));
        assertThat(ReloadPlan.plan(c, c, Map.of("VI_1", VrrpState.MASTER)).isEmpty()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = VrrpState.class, names = {"MASTER", "BACKUP"})
    void aPriorityChangeIsInPlaceEvenToAndFromTheOwner(VrrpState s) {
        assertThat(one(b -> { b.priority = 150; return b; }, s)).containsExactly(new ReloadPlan.Priority("VI_1", 100, 150));
        assertThat(one(b -> { b.priority = 255; return b; }, s)).containsExactly(new ReloadPlan.Priority("VI_1", 100, 255));
        VrrpConfig owner = config(vi("VI_1", b -> { b.priority = 255; return b; }));
        assertThat(plan(owner, config(vi("VI_1", b -> b)), s)).containsExactly(new ReloadPlan.Priority("VI_1", 255, 100));
    }

    @Test
    void aVipAddedOrRemovedIsChangedAloneAndInTheKernelOnlyOnAMaster() {
        UnaryOperator<Builder> add = b -> { b.vips = List.of(vip("10.0.0.100/24"), vip("10.0.0.101/24")); return b; };
        assertThat(one(add, VrrpState.MASTER)).containsExactly(new ReloadPlan.Addresses("VI_1",
                List.of(vip("10.0.0.101/24")), List.of(), true));
        assertThat(one(add, VrrpState.BACKUP)).containsExactly(new ReloadPlan.Addresses("VI_1",
                List.of(vip("10.0.0.101/24")), List.of(), false));
        VrrpConfig two = config(vi("VI_1", add));
        assertThat(plan(two, config(vi("VI_1", b -> b)), VrrpState.MASTER)).containsExactly(new ReloadPlan.Addresses(
                "VI_1", List.of(), List.of(vip("10.0.0.101/24")), true));
    }

    @Test
    void aPrefixLengthChangeReplacesJustThatAddress() {
        VrrpConfig two = config(vi("VI_1", b -> { b.vips = List.of(vip("10.0.0.100/24"), vip("10.0.0.101/24"));
            return b; }));
        VrrpConfig changed = config(vi("VI_1", b -> { b.vips = List.of(vip("10.0.0.100/24"), vip("10.0.0.101/25"));
            return b; }));
        assertThat(plan(two, changed, VrrpState.MASTER)).containsExactly(new ReloadPlan.Addresses("VI_1",
                List.of(vip("10.0.0.101/25")), List.of(vip("10.0.0.101/24")), true));
    }

    @Test
    void reorderingTheVipsIsASettingNotAnAddressChange() {
        VrrpConfig ab = config(vi("VI_1", b -> { b.vips = List.of(vip("10.0.0.100/24"), vip("10.0.0.101/24"));
            return b; }));
        VrrpConfig ba = config(vi("VI_1", b -> { b.vips = List.of(vip("10.0.0.101/24"), vip("10.0.0.100/24"));
            return b; }));
        assertThat(plan(ab, ba, VrrpState.MASTER)).singleElement().isInstanceOf(ReloadPlan.Settings.class);
    }

    @Test
    void aV3IntervalChangeIsInPlaceWithoutAdvice() {
        ReloadPlan p = ReloadPlan.plan(config(vi("VI_1", b -> b)), config(vi("VI_1", b -> {
            b.interval = Duration.ofMillis(300); return b; })), Map.of("VI_1", VrrpState.MASTER));
        assertThat(p.changes()).containsExactly(new ReloadPlan.AdvertInterval("VI_1", Duration.ofSeconds(1),
                Duration.ofMillis(300)));
        assertThat(p.advice()).isEmpty();
    }

    @Test
    void aV2IntervalOrPasswordChangeIsInPlaceAndSaysHowToRollItOut() {
        VrrpConfig v2 = config(vi("VI_1", b -> { b.version = 2; b.password = "secret"; return b; }));
        ReloadPlan p = ReloadPlan.plan(v2, config(vi("VI_1", b -> { b.version = 2; b.password = "secret";
            b.interval = Duration.ofSeconds(2); return b; })), Map.of("VI_1", VrrpState.BACKUP));
        assertThat(p.changes()).containsExactly(new ReloadPlan.AdvertInterval("VI_1", Duration.ofSeconds(1),
                Duration.ofSeconds(2)));
        assertThat(p.advice()).singleElement().asString().contains("RFC 3768 §7.1", "backups first, master last",
                "keepalived");
        ReloadPlan pw = ReloadPlan.plan(v2, config(vi("VI_1", b -> { b.version = 2; b.password = "other";
            return b; })), Map.of("VI_1", VrrpState.MASTER));
        assertThat(pw.changes()).containsExactly(new ReloadPlan.Password("VI_1"));
        assertThat(pw.advice()).singleElement().asString().contains("the password");
        assertThat(pw.changes().get(0).describe()).doesNotContain("secret", "other");
    }

    @ParameterizedTest
    @EnumSource(value = VrrpState.class, names = {"MASTER", "BACKUP"})
    void preemptionUnicastAndNotifySettingsTakeEffectWithoutAStateChange(VrrpState s) {
        assertThat(one(b -> { b.preempt = false; return b; }, s)).containsExactly(
                new ReloadPlan.Settings("VI_1", List.of("preempt")));
        assertThat(one(b -> { b.preemptDelay = Duration.ofSeconds(30); return b; }, s)).containsExactly(
                new ReloadPlan.Settings("VI_1", List.of("preempt-delay")));
        assertThat(one(b -> { b.peers = List.of(IpAddresses.parse("10.0.0.12")); return b; }, s)).containsExactly(
                new ReloadPlan.Settings("VI_1", List.of("unicast-peers")));
        assertThat(one(b -> { b.unicastSource = IpAddresses.parse("10.0.0.11"); return b; }, s)).containsExactly(
                new ReloadPlan.Settings("VI_1", List.of("unicast-source")));
        assertThat(one(b -> { b.notify = new NotifyCommands(Command.parse("/bin/true"), null, null, null, null);
            return b; }, s)).containsExactly(new ReloadPlan.Settings("VI_1", List.of("notify")));
        assertThat(one(b -> { b.pseudo = false; return b; }, s)).containsExactly(
                new ReloadPlan.Settings("VI_1", List.of("v3-checksum-pseudo-header")));
    }

    @Test
    void trackingChangesRecomputeThePriorityAndScriptsStartStopOrRestart() {
        TrackScriptConfig chk = script("chk", "/bin/true");
        VrrpConfig before = config(Map.of(), Map.of("chk", chk), vi("VI_1", b -> b));
        VrrpConfig tracked = config(Map.of(), Map.of("chk", chk), vi("VI_1", b -> {
            b.track = new Track(List.of(), List.of(new TrackedScript("chk", null)), List.of()); return b; }));
        assertThat(plan(before, tracked, VrrpState.MASTER)).containsExactly(new ReloadPlan.Tracking("VI_1"),
                new ReloadPlan.TrackScriptAdded("chk"));
        // The same reference, the script's command changed: the script restarts, the instance is re-evaluated only
        // through the script.
        VrrpConfig changed = config(Map.of(), Map.of("chk", script("chk", "/bin/false")), tracked.instances()
                .values().toArray(VrrpInstanceConfig[]::new));
        assertThat(plan(tracked, changed, VrrpState.MASTER)).containsExactly(new ReloadPlan.TrackScriptChanged("chk"));
        // Re-weighted: the instance only.
        VrrpConfig reweighted = config(Map.of(), Map.of("chk", chk), vi("VI_1", b -> {
            b.track = new Track(List.of(), List.of(new TrackedScript("chk", -50)), List.of()); return b; }));
        assertThat(plan(tracked, reweighted, VrrpState.BACKUP)).containsExactly(new ReloadPlan.Tracking("VI_1"));
        assertThat(plan(tracked, before, VrrpState.BACKUP)).containsExactly(new ReloadPlan.Tracking("VI_1"),
                new ReloadPlan.TrackScriptRemoved("chk"));
        // An interface tracked: the instance only.
        assertThat(one(b -> { b.track = new Track(List.of(new TrackedInterface("eth1", -30)), List.of(), List.of());
            return b; }, VrrpState.MASTER)).containsExactly(new ReloadPlan.Tracking("VI_1"));
    }

    @Test
    void anUnreferencedScriptDoesNotRun() {
        VrrpConfig a = config(vi("VI_1", b -> b));
        VrrpConfig b = config(Map.of(), Map.of("chk", script("chk", "/bin/true")), vi("VI_1", x -> x));
        assertThat(plan(a, b, VrrpState.MASTER)).isEmpty();
    }

    @Test
    void syncGroupsAreRebuiltWithoutRestartingAMember() {
        VrrpInstanceConfig a = vi("A", b -> b);
        VrrpInstanceConfig c = vi("C", b -> { b.vrid = 52; return b; });
        VrrpConfig none = config(a, c);
        SyncGroupConfig g = new SyncGroupConfig("G", List.of("A", "C"), NotifyCommands.none());
        VrrpConfig grouped = config(Map.of("G", g), Map.of(), a, c);
        assertThat(plan(none, grouped, VrrpState.MASTER)).containsExactly(new ReloadPlan.SyncGroups("", List.of("G")));
        SyncGroupConfig notified = new SyncGroupConfig("G", List.of("A", "C"), new NotifyCommands(null, null, null,
                null, Command.parse("/bin/true")));
        assertThat(plan(grouped, config(Map.of("G", notified), Map.of(), a, c), VrrpState.BACKUP))
                .containsExactly(new ReloadPlan.SyncGroups("", List.of("G")));
        assertThat(plan(grouped, none, VrrpState.BACKUP)).containsExactly(new ReloadPlan.SyncGroups("", List.of("G")));
        assertThat(plan(grouped, grouped, VrrpState.BACKUP)).isEmpty();
    }

    @Test
    void addedAndRemovedInstancesStartAndStop() {
        VrrpInstanceConfig a = vi("A", b -> b);
        VrrpInstanceConfig c = vi("C", b -> { b.vrid = 52; return b; });
        assertThat(plan(config(a), config(a, c), VrrpState.MASTER)).containsExactly(new ReloadPlan.Start("C"));
        assertThat(plan(config(a, c), config(a), VrrpState.MASTER)).containsExactly(new ReloadPlan.Stop("C", VrrpState.MASTER));
        assertThat(new ReloadPlan.Stop("C", VrrpState.MASTER).describe()).contains("priority 0");
    }

    @Test
    void onlyAnIdentityChangeRestartsAndOnlyThatInstance() {
        VrrpInstanceConfig other = vi("B", b -> { b.vrid = 52; return b; });
        VrrpConfig before = config(vi("VI_1", b -> b), other);
        assertThat(plan(before, config(vi("VI_1", b -> { b.vrid = 61; return b; }), other), VrrpState.MASTER))
                .containsExactly(new ReloadPlan.Restart("VI_1", "virtual-router-id 51 -> 61"));
        assertThat(plan(before, config(vi("VI_1", b -> { b.ifname = "eth1"; return b; }), other), VrrpState.MASTER))
                .containsExactly(new ReloadPlan.Restart("VI_1", "interface eth0 -> eth1"));
        assertThat(plan(before, config(vi("VI_1", b -> { b.version = 2; return b; }), other), VrrpState.MASTER))
                .containsExactly(new ReloadPlan.Restart("VI_1", "version 3 -> 2"));
        assertThat(plan(before, config(vi("VI_1", b -> { b.vips = List.of(vip("2001:db8::100/64")); return b; }),
                other), VrrpState.BACKUP)).containsExactly(new ReloadPlan.Restart("VI_1", "address family IPv4 -> IPv6"));
    }

    @Test
    void aRestartedMembersGroupIsRebuilt() {
        VrrpInstanceConfig a = vi("A", b -> b);
        VrrpInstanceConfig c = vi("C", b -> { b.vrid = 52; return b; });
        SyncGroupConfig g = new SyncGroupConfig("G", List.of("A", "C"), NotifyCommands.none());
        VrrpConfig before = config(Map.of("G", g), Map.of(), a, c);
        VrrpConfig after = config(Map.of("G", g), Map.of(), a, vi("C", b -> { b.vrid = 53; return b; }));
        assertThat(plan(before, after, VrrpState.MASTER)).containsExactly(new ReloadPlan.Restart("C",
                "virtual-router-id 52 -> 53"), new ReloadPlan.SyncGroups("", List.of("G")));
    }
}
