package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.netlink.NetlinkException;
import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Sh;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The netlink driver against a real IPVS kernel, with ipvsadm as the oracle. Runs inside the
 * lab VM (IpvsKernelLabIT boots it); each test starts from an empty table.
 */
class NetlinkIpvsVmTest {
    private NetlinkIpvsClient client;

    @BeforeEach
    void open() throws Exception {
        KernelLab.requireIpvs();
        Sh.ok("ipvsadm", "-C");
        client = NetlinkIpvsClient.open();
    }

    @AfterEach
    void close() throws Exception {
        if (client != null) {
            client.close();
        }
        Sh.ok("ipvsadm", "-C");
    }

    static String corpus() throws Exception {
        try (InputStream in = NetlinkIpvsVmTest.class.getResourceAsStream("/corpus/rules.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static List<IpvsOp> ops(String rules) throws Exception {
        List<IpvsOp> ops = new ArrayList<>();
        for (IpvsadmFormat.Restore.Step s : IpvsadmFormat.parseRestore(rules).steps()) {
            ops.add(s.op());
        }
        return ops;
    }

    @Test
    void lvsdWritesTheCorpusAndIpvsadmSavesWhatLvsdSaves() throws Exception {
        ApplyResult r = client.apply(ops(corpus()));
        assertThat(r.failures()).extracting(ApplyResult.Outcome::describe).isEmpty();
        String ipvsadm = Sh.ok("ipvsadm", "-Sn");
        assertThat(IpvsadmFormat.save(client.dump())).isEqualTo(ipvsadm);
        assertThat(ipvsadm.lines().count()).isEqualTo(corpus().lines().count());
    }

    @Test
    void ipvsadmRestoresTheCorpusAndLvsdSavesItByteForByte() throws Exception {
        Sh.Result restore = Sh.run(corpus(), "ipvsadm", "-R");
        assertThat(restore.rc()).as(restore.out()).isZero();
        assertThat(IpvsadmFormat.save(client.dump())).isEqualTo(Sh.ok("ipvsadm", "-Sn"));
        assertThat(IpvsadmFormat.list(client.info(), client.dump(), IpvsadmFormat.ListMode.PLAIN))
                .isEqualTo(Sh.ok("ipvsadm", "-Ln"));
    }

    @Test
    void infoAndTimeoutsMatchIpvsadm() throws Exception {
        assertThat(client.info().versionString()).isEqualTo("1.2.1");
        client.setTimeouts(new IpvsTimeouts(Duration.ofSeconds(901), Duration.ofSeconds(121), Duration.ofSeconds(301)));
        assertThat(Sh.ok("ipvsadm", "-L", "--timeout")).contains("Timeout (tcp tcpfin udp): 901 121 301");
        Sh.ok("ipvsadm", "--set", "900", "120", "300");
        assertThat(client.timeouts()).isEqualTo(new IpvsTimeouts(Duration.ofSeconds(900), Duration.ofSeconds(120),
                Duration.ofSeconds(300)));
    }

    @Test
    void kernelRefusalsComeBackPerOperationWithTheirErrno() throws Exception {
        ServiceKey web = ReconcilerTest.svc("10.0.0.1", 80);
        ApplyResult r = client.apply(List.of(
                new IpvsOp.AddService(VirtualService.of(web, "wlc")),
                new IpvsOp.AddService(VirtualService.of(web, "wlc")),
                new IpvsOp.AddService(VirtualService.of(ReconcilerTest.svc("10.0.0.2", 80), "nosuch")),
                new IpvsOp.AddDest(web, ReconcilerTest.dest("10.1.0.1", 1)),
                new IpvsOp.DeleteDest(web, new InetSocketAddress(IpAddresses.parse("10.1.0.9"), 80)),
                new IpvsOp.DeleteService(ReconcilerTest.svc("10.0.0.3", 80))));
        assertThat(r.outcomes()).extracting(o -> o.applied() ? "ok" : o.errnoName())
                .containsExactly("ok", "EEXIST", "ENOENT", "ok", "ENOENT", "ESRCH");
        assertThat(r.outcomes().get(1).describe()).startsWith("NEW_SERVICE tcp 10.0.0.1:80: EEXIST (File exists");
        assertThat(Sh.ok("ipvsadm", "-Sn")).isEqualTo("-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1\n");
    }

    @Test
    void reconcileConvergesDriftAndLeavesForeignServicesAlone() throws Exception {
        Sh.Result r = Sh.run("""
                -A -t 192.0.2.50:22 -s rr
                -a -t 192.0.2.50:22 -r 10.9.9.9:22 -m -w 3
                -A -t 10.0.0.1:80 -s rr
                -a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 7
                -a -t 10.0.0.1:80 -r 10.1.0.99:80 -m -w 1
                """, "ipvsadm", "-R");
        assertThat(r.rc()).as(r.out()).isZero();
        ServiceKey web = ReconcilerTest.svc("10.0.0.1", 80);
        List<Reconciler.DesiredService> want = List.of(new Reconciler.DesiredService(
                VirtualService.of(web, "wlc"), List.of(ReconcilerTest.dest("10.1.0.1", 1), ReconcilerTest.dest("10.1.0.2", 1))));
        Reconciler.Report rep = Reconciler.reconcile(client, want, Set.of(web));
        assertThat(rep.result().failures()).isEmpty();
        assertThat(rep.plan().foreign()).containsExactly(ReconcilerTest.svc("192.0.2.50", 22));
        assertThat(rep.plan().ops()).extracting(IpvsOp::kind).containsExactly("set_service", "del_dest", "new_dest", "set_dest");
        assertThat(Sh.ok("ipvsadm", "-Sn")).isEqualTo("""
                -A -t 192.0.2.50:22 -s rr
                -a -t 192.0.2.50:22 -r 10.9.9.9:22 -m -w 3
                -A -t 10.0.0.1:80 -s wlc
                -a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1
                -a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 1
                """);
        assertThat(Reconciler.reconcile(client, want, Set.of(web)).plan().ops()).isEmpty();
    }

    @Test
    void syncDaemonsStartListAndStopInBothRoles() throws Exception {
        Sh.sh("ip link add lvsd-sync0 type dummy && ip link set lvsd-sync0 multicast on up"
                + " && ip addr add 10.77.0.1/24 dev lvsd-sync0");
        try {
            client.startDaemon(new SyncDaemon(SyncDaemon.Role.MASTER, "lvsd-sync0", 7, 0, null, 0, 0));
            client.startDaemon(new SyncDaemon(SyncDaemon.Role.BACKUP, "lvsd-sync0", 7, 1400,
                    IpAddresses.parse("224.0.0.82"), 8849, 2));
            String listed = Sh.ok("ipvsadm", "-L", "--daemon");
            assertThat(listed).contains("master sync daemon (mcast=lvsd-sync0, syncid=7")
                    .contains("backup sync daemon (mcast=lvsd-sync0, syncid=7");
            List<SyncDaemon> ds = client.daemons();
            assertThat(ds).extracting(SyncDaemon::role).containsExactlyInAnyOrder(SyncDaemon.Role.MASTER, SyncDaemon.Role.BACKUP);
            SyncDaemon backup = ds.stream().filter(d -> d.role() == SyncDaemon.Role.BACKUP).findFirst().orElseThrow();
            assertThat(backup.group().getHostAddress()).isEqualTo("224.0.0.82");
            assertThat(backup.port()).isEqualTo(8849);
            assertThat(backup.ttl()).isEqualTo(2);
            assertThatThrownBy(() -> client.startDaemon(new SyncDaemon(SyncDaemon.Role.MASTER, "lvsd-sync0", 7, 0, null, 0, 0)))
                    .isInstanceOf(NetlinkException.class).hasMessageContaining("IPVS NEW_DAEMON master on lvsd-sync0");
            client.stopDaemon(SyncDaemon.Role.MASTER);
            client.stopDaemon(SyncDaemon.Role.BACKUP);
            assertThat(Sh.ok("ipvsadm", "-L", "--daemon")).isEmpty();
            assertThat(client.daemons()).isEmpty();
        } finally {
            Sh.run(null, "ip", "link", "del", "lvsd-sync0");
        }
    }

    @Test
    void thresholdsAndTunnelSettingsReachTheKernel() throws Exception {
        ServiceKey web = ReconcilerTest.svc("10.0.0.1", 80);
        Destination d = new Destination(new InetSocketAddress(IpAddresses.parse("10.1.0.1"), 80), Forwarding.TUN, 7, 100, 50,
                new TunnelConfig(TunnelConfig.Type.GUE, 6080, TunnelConfig.Checksum.REMCSUM));
        assertThat(client.apply(List.of(new IpvsOp.AddService(VirtualService.of(web, "wlc")), new IpvsOp.AddDest(web, d)))
                .allApplied()).isTrue();
        assertThat(Sh.ok("ipvsadm", "-Ln", "--thresholds"))
                .contains(String.format("  -> %-28s %-10d %-10d ", "10.1.0.1:80", 100, 50));
        assertThat(Sh.ok("ipvsadm", "-Ln", "--tun-info")).contains("Tunnel  gue:6080");
        assertThat(client.dump().get(0).destinations().get(0).destination()).isEqualTo(d);
    }
}
