package io.lvsd.controller.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.controller.config.LvsdConfig;
import io.lvsd.controller.config.TestConfigs;
import io.lvsd.ipvs.IpvsSysctls;
import io.lvsd.ipvs.SyncDaemon;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one function that computes what lvsd wants of the kernel besides the VIPs. */
class KernelStateTest {
    @TempDir
    Path dir;

    LvsdConfig config(String text) {
        return TestConfigs.valid(dir, text);
    }

    static final String TCP = """
            ipvs.timeouts { tcp = 900s, udp = 60s }
            virtual-servers = [ { name = web, address = "10.0.0.1:80", check.type = none,
                                  real-servers = [ { address = "10.1.0.1:80", weight = 3 } ] } ]
            sync-daemon { interface = eth0, sync-id = 7, follow = VI_1 }
            vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = 150,
                                  virtual-addresses = ["10.0.0.1/24"] }
            """;

    @Test
    void theTableTimeoutsAndSyncDaemonsComeFromConfigurationHealthAndTheFollowedRole() {
        LvsdConfig c = config(TCP);
        KernelState backup = KernelState.desired(c, DesiredTable.Health.CONFIGURED,
                new KernelState.SyncIntent(c.syncDaemon(), false));
        assertThat(backup.table()).isEqualTo(DesiredTable.from(c));
        assertThat(backup.timeouts().tcp()).isEqualTo(Duration.ofSeconds(900));
        assertThat(backup.sysctls()).as("no UDP or fwmark service: lvsd leaves the sysctls alone").isEmpty();
        assertThat(backup.sync().managed()).isTrue();
        assertThat(backup.sync().daemons()).extracting(SyncDaemon::role).containsExactly(SyncDaemon.Role.BACKUP);
        KernelState master = KernelState.desired(c, DesiredTable.Health.CONFIGURED,
                new KernelState.SyncIntent(c.syncDaemon(), true));
        assertThat(master.sync().daemons()).extracting(SyncDaemon::role).containsExactly(SyncDaemon.Role.MASTER);
        // A real server health leaves out is not in the table.
        KernelState down = KernelState.desired(c, (v, r) -> null, null);
        assertThat(down.table().services()).singleElement().satisfies(s -> assertThat(s.destinations()).isEmpty());
        assertThat(down.sync().managed()).as("no sync component asked: the daemons are left alone").isFalse();
    }

    @Test
    void udpAndFwmarkServicesWantTheSysctlsThatMoveUdpFlowsOffFailedServers() {
        LvsdConfig udp = config("""
                virtual-servers = [ { name = dns, address = "10.0.0.3:53", protocol = udp, check.type = none,
                                      real-servers = [ { address = "10.1.0.9:53" } ] } ]
                """);
        assertThat(KernelState.desired(udp, DesiredTable.Health.CONFIGURED, null).sysctls())
                .containsExactly(java.util.Map.entry(IpvsSysctls.EXPIRE_NODEST_CONN, "1"));
        LvsdConfig persistentMark = config("""
                virtual-servers = [ { name = m, fwmark = 5, persistence.timeout = 60s, check.type = none,
                                      real-servers = [ { address = "10.1.0.9" } ] } ]
                """);
        assertThat(KernelState.desired(persistentMark, DesiredTable.Health.CONFIGURED, null).sysctls())
                .containsOnlyKeys(IpvsSysctls.EXPIRE_NODEST_CONN, IpvsSysctls.EXPIRE_QUIESCENT_TEMPLATE);
    }

    @Test
    void routingWantsSloppyTcpAndWithAnSctpServiceSloppySctp() {
        LvsdConfig tcp = config("""
                routing.enabled = true
                virtual-servers = [ { name = web, address = "10.0.0.3:80", scheduler = mh, forwarding = dr,
                                      check.type = none, real-servers = [ { address = "10.1.0.9:80" } ] } ]
                """);
        assertThat(KernelState.desired(tcp, DesiredTable.Health.CONFIGURED, null).sysctls())
                .containsExactly(java.util.Map.entry(IpvsSysctls.SLOPPY_TCP, "1"),
                        java.util.Map.entry(IpvsSysctls.DROP_ENTRY, "1"));
        LvsdConfig sctp = config("""
                routing.enabled = true
                virtual-servers = [ { name = s, address = "10.0.0.3:3868", protocol = sctp, scheduler = mh,
                                      forwarding = dr, check.type = none, real-servers = [ { address = "10.1.0.9:3868" } ] } ]
                """);
        assertThat(KernelState.desired(sctp, DesiredTable.Health.CONFIGURED, null).sysctls())
                .containsOnlyKeys(IpvsSysctls.SLOPPY_TCP, IpvsSysctls.DROP_ENTRY, IpvsSysctls.SLOPPY_SCTP);
    }

    @Test
    void aDisabledSyncSectionAsksForNoDaemonAndNothingConfiguredAsksForNothing() {
        LvsdConfig off = config(TCP.replace("sync-daemon { interface = eth0, sync-id = 7, follow = VI_1 }",
                "sync-daemon.interface = null"));
        KernelState s = KernelState.desired(off, DesiredTable.Health.CONFIGURED,
                new KernelState.SyncIntent(off.syncDaemon(), false));
        assertThat(s.sync().managed()).isFalse();
        assertThat(s.sync().daemons()).isEmpty();
        KernelState none = KernelState.desired(null, DesiredTable.Health.CONFIGURED, null);
        assertThat(none.table().services()).isEmpty();
        assertThat(none.sysctls()).isEmpty();
    }
}
