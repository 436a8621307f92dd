package io.lvsd.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.ipvs.InMemoryIpvsClient;
import io.lvsd.ipvs.IpvsClient;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import io.lvsd.ipvs.SyncDaemon;
import io.lvsd.ipvs.SyncDaemon.Role;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncDaemonPlanTest {
    static SyncDaemonConfig config(String follow) {
        return new SyncDaemonConfig("eth1", 7, follow, 0, null, 8848, 1, Duration.ofSeconds(10));
    }

    static SyncDaemon kernel(Role role, String ifname, int syncId) {
        // What the kernel reports back: its own choices filled in.
        return new SyncDaemon(role, ifname, syncId, 1472, ip("224.0.0.81"), 8848, 1);
    }

    static InetAddress ip(String literal) {
        return io.lvsd.linux.net.IpAddresses.parse(literal);
    }

    static List<String> plan(List<SyncDaemon> actual, List<SyncDaemon> desired) {
        return SyncDaemonPlan.plan(actual, desired).stream().map(SyncDaemonPlan.Step::describe).toList();
    }

    @Test
    void aRoleLeftBehindLingersBesideTheWantedOneOnlyWhenFollowing() {
        assertThat(SyncDaemonPlan.desired(config("VI_1"), false, java.util.Set.of(Role.MASTER)))
                .extracting(SyncDaemon::role).containsExactly(Role.MASTER, Role.BACKUP);
        assertThat(SyncDaemonPlan.desired(config("VI_1"), true, java.util.Set.of(Role.MASTER)))
                .extracting(SyncDaemon::role).containsExactly(Role.MASTER);
        assertThat(SyncDaemonPlan.desired(SyncDaemonConfig.disabled(), false, java.util.Set.of(Role.MASTER))).isEmpty();
        assertThat(plan(List.of(kernel(Role.MASTER, "eth1", 7)),
                SyncDaemonPlan.desired(config("VI_1"), false, java.util.Set.of(Role.MASTER))))
                .as("leaving MASTER: the backup daemon starts, the master daemon stays").hasSize(1);
    }

    @Test
    void followingRunsTheMasterDaemonOnlyWhileMaster() {
        assertThat(SyncDaemonPlan.desired(config("VI_1"), true)).extracting(SyncDaemon::role).containsExactly(Role.MASTER);
        assertThat(SyncDaemonPlan.desired(config("VI_1"), false)).extracting(SyncDaemon::role).containsExactly(Role.BACKUP);
    }

    @Test
    void withoutFollowBothDaemonsRunWhateverTheState() {
        assertThat(SyncDaemonPlan.desired(config(null), false)).extracting(SyncDaemon::role)
                .containsExactly(Role.MASTER, Role.BACKUP);
        assertThat(SyncDaemonPlan.desired(config(null), true)).extracting(SyncDaemon::role)
                .containsExactly(Role.MASTER, Role.BACKUP);
    }

    @Test
    void disabledSyncWantsNoDaemon() {
        assertThat(SyncDaemonPlan.desired(SyncDaemonConfig.disabled(), true)).isEmpty();
    }

    @Test
    void becomingMasterStartsTheMasterDaemonBeforeStoppingTheBackupDaemon() {
        assertThat(plan(List.of(kernel(Role.BACKUP, "eth1", 7)), SyncDaemonPlan.desired(config("VI_1"), true)))
                .containsExactly("start master daemon (eth1, sync-id 7, port 8848, ttl 1)",
                        "stop backup daemon (eth1, sync-id 7, group 224.0.0.81, port 8848, maxlen 1472, ttl 1)");
    }

    @Test
    void becomingBackupStartsTheBackupDaemonBeforeStoppingTheMasterDaemon() {
        assertThat(SyncDaemonPlan.plan(List.of(kernel(Role.MASTER, "eth1", 7)), SyncDaemonPlan.desired(config("VI_1"), false)))
                .extracting(s -> s.action() + " " + s.daemon().role())
                .containsExactly("START BACKUP", "STOP MASTER");
    }

    @Test
    void aRunningDaemonWithTheKernelsDefaultsFilledInIsLeftAlone() {
        assertThat(plan(List.of(kernel(Role.BACKUP, "eth1", 7)), SyncDaemonPlan.desired(config("VI_1"), false))).isEmpty();
    }

    @Test
    void aChangedSettingRestartsOnlyThatDaemon() {
        List<SyncDaemon> running = List.of(kernel(Role.MASTER, "eth1", 7), kernel(Role.BACKUP, "eth1", 7));
        SyncDaemonConfig newId = new SyncDaemonConfig("eth1", 9, null, 0, null, 8848, 1, Duration.ofSeconds(10));
        assertThat(plan(running, SyncDaemonPlan.desired(newId, false))).containsExactly(
                "stop master daemon (eth1, sync-id 7, group 224.0.0.81, port 8848, maxlen 1472, ttl 1)",
                "start master daemon (eth1, sync-id 9, port 8848, ttl 1)",
                "stop backup daemon (eth1, sync-id 7, group 224.0.0.81, port 8848, maxlen 1472, ttl 1)",
                "start backup daemon (eth1, sync-id 9, port 8848, ttl 1)");
        SyncDaemonConfig newTtl = new SyncDaemonConfig("eth1", 7, null, 0, null, 8848, 2, Duration.ofSeconds(10));
        assertThat(SyncDaemonPlan.plan(running, SyncDaemonPlan.desired(newTtl, false))).hasSize(4);
        SyncDaemonConfig sameButExplicitMaxlen = new SyncDaemonConfig("eth1", 7, null, 1472, null, 8848, 1,
                Duration.ofSeconds(10));
        assertThat(plan(running, SyncDaemonPlan.desired(sameButExplicitMaxlen, false))).isEmpty();
    }

    @Test
    void turningSyncOffStopsEveryDaemon() {
        assertThat(SyncDaemonPlan.plan(List.of(kernel(Role.MASTER, "eth1", 7), kernel(Role.BACKUP, "eth1", 7)), List.of()))
                .extracting(s -> s.action() + " " + s.daemon().role()).containsExactly("STOP MASTER", "STOP BACKUP");
    }

    @Test
    void applyCarriesThePlanOutAndAFollowingApplyHasNothingToDo() throws Exception {
        InMemoryIpvsClient kernel = new InMemoryIpvsClient();
        SyncDaemonPlan.Outcome o = SyncDaemonPlan.apply(kernel, SyncDaemonPlan.desired(config("VI_1"), false));
        assertThat(o.ok()).isTrue();
        assertThat(kernel.daemons()).extracting(SyncDaemon::role).containsExactly(Role.BACKUP);
        o = SyncDaemonPlan.apply(kernel, SyncDaemonPlan.desired(config("VI_1"), true));
        assertThat(o.done()).extracting(s -> s.action() + " " + s.daemon().role()).containsExactly("START MASTER", "STOP BACKUP");
        assertThat(kernel.daemons()).extracting(SyncDaemon::role).containsExactly(Role.MASTER);
        assertThat(SyncDaemonPlan.apply(kernel, SyncDaemonPlan.desired(config("VI_1"), true)).done()).isEmpty();
    }

    @Test
    void applyStopsAtTheFirstFailureSoAStopNeverRunsWithoutItsStart() throws Exception {
        InMemoryIpvsClient real = new InMemoryIpvsClient();
        real.startDaemon(kernel(Role.BACKUP, "eth1", 7));
        // The kernel refuses every new daemon (say the interface vanished).
        IpvsClient refusing = (IpvsClient) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {IpvsClient.class}, (proxy, m, args) -> {
                    if (m.getName().equals("startDaemon")) {
                        throw new IOException("sendmsg(netlink IPVS NEW_DAEMON master on eth1): ENODEV");
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        SyncDaemonPlan.Outcome o = SyncDaemonPlan.apply(refusing, SyncDaemonPlan.desired(config("VI_1"), true));
        assertThat(o.ok()).isFalse();
        assertThat(o.failed().describe()).startsWith("start master daemon");
        assertThat(o.error()).contains("ENODEV");
        assertThat(o.done()).isEmpty();
        assertThat(real.daemons()).extracting(SyncDaemon::role).containsExactly(Role.BACKUP);
    }
}
