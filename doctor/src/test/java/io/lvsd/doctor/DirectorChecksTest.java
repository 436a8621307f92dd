package io.lvsd.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DirectorChecksTest {
    /** A director in memory: its sysctls, modules, links and firewall. */
    static final class FakeHost implements DirectorHost {
        final Map<String, String> sysctls = new HashMap<>();
        final Map<String, ModuleState> modules = new HashMap<>();
        final Map<String, Link> links = new HashMap<>();
        String release = "6.1.0-28-amd64";
        Firewall.Ruleset firewall = new Firewall.Ruleset("nft", List.of());

        FakeHost() {
            sysctls.put("net.ipv4.ip_forward", "1");
            sysctls.put("net.ipv6.conf.all.forwarding", "0");
            sysctls.put("net.ipv4.vs.expire_nodest_conn", "1");
            sysctls.put("net.ipv4.vs.expire_quiescent_template", "1");
            sysctls.put("net.ipv4.vs.conn_reuse_mode", "1");
            sysctls.put("net.ipv4.vs.conntrack", "0");
            sysctls.put("net.ipv4.conf.all.rp_filter", "0");
            sysctls.put("net.ipv4.conf.eth0.rp_filter", "2");
            modules.put("ip_vs", ModuleState.LOADED);
            modules.put("ip_vs_wlc", ModuleState.LOADED);
            modules.put("ip_vs_rr", ModuleState.LOADABLE);
            links.put("eth0", new Link("eth0", true, true, 1500));
            links.put("eth1", new Link("eth1", true, true, 1500));
        }

        @Override
        public String sysctl(String name) {
            return sysctls.get(name);
        }

        @Override
        public String kernelRelease() {
            return release;
        }

        @Override
        public ModuleState module(String name) {
            return modules.getOrDefault(name, ModuleState.MISSING);
        }

        @Override
        public Link link(String name) {
            return links.get(name);
        }

        @Override
        public Firewall.Ruleset firewall() {
            return firewall;
        }
    }

    static final InetAddress VIP = IpAddresses.parse("10.0.0.100");
    static final DirectorSpec.Service WEB = new DirectorSpec.Service("web", IpFamily.IPV4, "tcp", "wlc", Set.of("nat"), null);
    static final DirectorSpec.Service DNS = new DirectorSpec.Service("dns", IpFamily.IPV4, "udp", "rr", Set.of("dr"),
            Duration.ofSeconds(600));
    static final DirectorSpec.Router VI_1 = new DirectorSpec.Router("VI_1", "eth0", 51, 3, List.of(VIP), List.of());
    static final DirectorSpec.Sync SYNC = new DirectorSpec.Sync("eth1", 7, IpAddresses.parse("224.0.0.81"), 8848, 0);
    static final DirectorSpec SPEC = new DirectorSpec(List.of(WEB, DNS), List.of(VI_1), SYNC);

    static Finding find(List<Finding> fs, String check) {
        return fs.stream().filter(f -> f.check().equals(check)).findFirst()
                .orElseThrow(() -> new AssertionError("no finding " + check + " in " + fs));
    }

    @Test
    void aHealthyKernelIsOkThroughout() throws Exception {
        List<Finding> fs = DirectorChecks.kernel(SPEC, new FakeHost());
        assertThat(fs).extracting(Finding::verdict).containsOnly(Verdict.OK);
        assertThat(fs).extracting(Finding::check).containsExactly("kernel: ip_vs", "kernel: scheduler wlc",
                "kernel: scheduler rr", "kernel: net.ipv4.ip_forward", "kernel: expire_nodest_conn",
                "kernel: expire_quiescent_template", "kernel: conn_reuse_mode", "kernel: rp_filter eth0");
        assertThat(find(fs, "kernel: scheduler rr").evidence()).contains("loadable: the kernel loads it when a service asks");
    }

    @Test
    void ipForwardOffWithNatFailsWithTheFix() throws Exception {
        FakeHost h = new FakeHost();
        h.sysctls.put("net.ipv4.ip_forward", "0");
        Finding f = find(DirectorChecks.kernel(SPEC, h), "kernel: net.ipv4.ip_forward");
        assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(f.evidence()).contains("net.ipv4.ip_forward = 0 but web use NAT");
        assertThat(f.fix()).startsWith("sysctl -w net.ipv4.ip_forward=1");
        // Without NAT, forwarding is not needed and not checked.
        DirectorSpec dr = new DirectorSpec(List.of(DNS), List.of(), null);
        assertThat(DirectorChecks.kernel(dr, h)).extracting(Finding::check).doesNotContain("kernel: net.ipv4.ip_forward");
    }

    @Test
    void udpWithoutExpireNodestConnFails() throws Exception {
        FakeHost h = new FakeHost();
        h.sysctls.put("net.ipv4.vs.expire_nodest_conn", "0");
        h.sysctls.put("net.ipv4.vs.expire_quiescent_template", "0");
        List<Finding> fs = DirectorChecks.kernel(SPEC, h);
        Finding f = find(fs, "kernel: expire_nodest_conn");
        assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(f.evidence()).contains("= 0 and dns carry UDP", "stays bound to a removed real server");
        assertThat(f.fix()).startsWith("sysctl -w net.ipv4.vs.expire_nodest_conn=1");
        assertThat(find(fs, "kernel: expire_quiescent_template").verdict()).isEqualTo(Verdict.FAIL);
        // TCP only: neither is needed, persistence on TCP warns.
        DirectorSpec tcp = new DirectorSpec(List.of(new DirectorSpec.Service("p", IpFamily.IPV4, "tcp", "wlc", Set.of("dr"),
                Duration.ofSeconds(300))), List.of(), null);
        List<Finding> t = DirectorChecks.kernel(tcp, h);
        assertThat(t).extracting(Finding::check).doesNotContain("kernel: expire_nodest_conn");
        assertThat(find(t, "kernel: expire_quiescent_template").verdict()).isEqualTo(Verdict.WARN);
    }

    @Test
    void aSchedulerTheKernelLacksFails() throws Exception {
        FakeHost h = new FakeHost();
        h.modules.remove("ip_vs_rr");
        Finding f = find(DirectorChecks.kernel(SPEC, h), "kernel: scheduler rr");
        assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(f.evidence()).isEqualTo("ip_vs_rr is not loaded, and kernel 6.1.0-28-amd64 does not have it (not in"
                + " /lib/modules/6.1.0-28-amd64/modules.dep) (used by dns)");
        h.modules.put("ip_vs_rr", DirectorHost.ModuleState.NO_MODULE_TREE);
        assertThat(find(DirectorChecks.kernel(SPEC, h), "kernel: scheduler rr").evidence())
                .contains("no module tree for kernel 6.1.0-28-amd64");
        h.modules.put("ip_vs", DirectorHost.ModuleState.LOADABLE);
        assertThat(find(DirectorChecks.kernel(SPEC, h), "kernel: ip_vs").verdict()).isEqualTo(Verdict.WARN);
    }

    @Test
    void connReuseModeIsJudgedAgainstTheKernelVersion() throws Exception {
        FakeHost h = new FakeHost();
        h.release = "5.4.0-150-generic";
        h.sysctls.put("net.ipv4.vs.conntrack", "1");
        Finding f = find(DirectorChecks.kernel(SPEC, h), "kernel: conn_reuse_mode");
        assertThat(f.verdict()).isEqualTo(Verdict.WARN);
        assertThat(f.evidence()).contains("before Linux 5.9 IPVS drops the SYN");
        h.release = "5.10.0-30-amd64";
        assertThat(find(DirectorChecks.kernel(SPEC, h), "kernel: conn_reuse_mode").verdict()).isEqualTo(Verdict.OK);
        h.sysctls.put("net.ipv4.vs.conn_reuse_mode", "0");
        assertThat(find(DirectorChecks.kernel(SPEC, h), "kernel: conn_reuse_mode").evidence())
                .contains("disables expire_nodest_conn");
        h.sysctls.remove("net.ipv4.vs.conn_reuse_mode");
        assertThat(find(DirectorChecks.kernel(SPEC, h), "kernel: conn_reuse_mode").verdict()).isEqualTo(Verdict.UNDETERMINED);
    }

    @Test
    void rpFilterInForceIsTheLargerOfAllAndTheInterface() throws Exception {
        FakeHost h = new FakeHost();
        h.sysctls.put("net.ipv4.conf.all.rp_filter", "1");
        h.sysctls.put("net.ipv4.conf.eth0.rp_filter", "0");
        Finding f = find(DirectorChecks.kernel(SPEC, h), "kernel: rp_filter eth0");
        assertThat(f.verdict()).isEqualTo(Verdict.WARN);
        assertThat(f.evidence()).startsWith("in force 1 (the larger of all = 1 and eth0 = 0)");
        assertThat(f.fix()).contains("net.ipv4.conf.all.rp_filter=2", "net.ipv4.conf.eth0.rp_filter=2");
    }

    @Test
    void theTableIsHeldAgainstTheConfiguration() {
        KernelTable healthy = new KernelTable(null, 2, List.of(), List.of(), List.of(), List.of(), 900, 120, 300);
        List<Finding> ok = DirectorChecks.table(SPEC, healthy, Map.of());
        assertThat(find(ok, "table: drift").verdict()).isEqualTo(Verdict.OK);
        // dns persists 600 s over UDP, whose entries expire after 300 s idle.
        Finding t = find(ok, "table: timeouts");
        assertThat(t.verdict()).isEqualTo(Verdict.WARN);
        assertThat(t.evidence()).contains("dns keeps clients for 600 s, but an idle UDP flow leaves the table after 300 s");

        KernelTable drifted = new KernelTable(null, 2, List.of("web (tcp 10.0.0.100:80)"),
                List.of("dns: scheduler wrr (configured rr)"), List.of("dns: 10.0.0.21:53 is not in the kernel"),
                List.of("tcp 10.0.0.200:22"), 900, 120, 900);
        List<Finding> fs = DirectorChecks.table(SPEC, drifted, Map.of());
        assertThat(fs).filteredOn(f -> f.check().equals("table: drift")).extracting(Finding::verdict)
                .containsExactly(Verdict.FAIL, Verdict.FAIL);
        assertThat(fs.get(0).evidence()).startsWith("1 of 2 configured service(s) missing from the kernel: web");
        assertThat(find(fs, "table: real servers").verdict()).isEqualTo(Verdict.WARN);
        assertThat(find(fs, "table: foreign").evidence()).contains("tcp 10.0.0.200:22");
        assertThat(find(fs, "table: timeouts").verdict()).isEqualTo(Verdict.OK);

        assertThat(find(DirectorChecks.table(SPEC, KernelTable.unavailable("no ip_vs"), Map.of()), "table: drift").verdict())
                .isEqualTo(Verdict.UNDETERMINED);
    }

    @Test
    void anotherRouterWithOurVridButOtherAddressesIsADuplicate() throws Exception {
        FakeHost h = new FakeHost();
        Set<InetAddress> local = Set.of(IpAddresses.parse("10.0.0.11"));
        List<Observed.Advert> adverts = List.of(
                new Observed.Advert(IpAddresses.parse("10.0.0.11"), 51, 3, 150, List.of(VIP)), // ourselves
                new Observed.Advert(IpAddresses.parse("10.0.0.12"), 51, 3, 100, List.of(VIP)), // the peer
                new Observed.Advert(IpAddresses.parse("10.0.0.9"), 52, 2, 100, List.of(IpAddresses.parse("10.0.0.7"))));
        Finding ok = find(DirectorChecks.vrrp(SPEC, h, local, adverts, List.of(), h.firewall, 5), "vrrp VI_1: duplicate VRID");
        assertThat(ok.verdict()).isEqualTo(Verdict.OK);
        assertThat(ok.evidence()).contains("sent only by its peers, with the same addresses: 10.0.0.12 (priority 100)");

        List<Observed.Advert> clash = List.of(new Observed.Advert(IpAddresses.parse("10.0.0.9"), 51, 2, 100,
                List.of(IpAddresses.parse("10.0.0.200"))));
        Finding f = find(DirectorChecks.vrrp(SPEC, h, local, clash, List.of(), h.firewall, 5), "vrrp VI_1: duplicate VRID");
        assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(f.evidence()).startsWith("10.0.0.9 sends VRID 51 v2 for [10.0.0.200], but this director has VRID 51 v3"
                + " for [10.0.0.100] on eth0");
        assertThat(f.fix()).contains("vrrp.instances.VI_1.virtual-router-id");
    }

    @Test
    void moreThanOneHostAnsweringForAVipFails() throws Exception {
        FakeHost h = new FakeHost();
        String own = "02:00:00:00:00:11";
        Observed.Answers two = new Observed.Answers(VIP, "eth0", Set.of("02:00:00:00:00:21"), own, true, null);
        Finding f = find(DirectorChecks.vrrp(SPEC, h, Set.of(), List.of(), List.of(two), h.firewall, 5),
                "vrrp VI_1: who answers 10.0.0.100");
        assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(f.evidence()).isEqualTo("2 hosts answer ARP for 10.0.0.100 on eth0: 02:00:00:00:00:11 (this director),"
                + " 02:00:00:00:00:21; clients send to whichever answer they keep, and traffic bypasses the director that"
                + " holds it");
        assertThat(f.fix()).contains("lvsd real-server setup --vip 10.0.0.100 --forwarding dr");
        // A backup: the master answers, and only it.
        Observed.Answers one = new Observed.Answers(VIP, "eth0", Set.of("02:00:00:00:00:12"), own, false, null);
        assertThat(DirectorChecks.answers("p ", one).verdict()).isEqualTo(Verdict.OK);
        Observed.Answers none = new Observed.Answers(VIP, "eth0", Set.of(), own, false, null);
        assertThat(DirectorChecks.answers("p ", none).verdict()).isEqualTo(Verdict.WARN);
        Observed.Answers err = new Observed.Answers(VIP, "eth0", Set.of(), own, false, "socket: EPERM");
        assertThat(DirectorChecks.answers("p ", err).verdict()).isEqualTo(Verdict.UNDETERMINED);
    }

    @Test
    void syncChecksTheLinkTheMtuAndWhatWasHeard() throws Exception {
        FakeHost h = new FakeHost();
        Observed.SyncHeard heard = new Observed.SyncHeard(5, List.of(new Observed.Sender(IpAddresses.parse("10.0.1.11"), 7, 12)), 0, null);
        List<Finding> fs = DirectorChecks.sync(SPEC, h, h.firewall, "backup", heard);
        assertThat(fs).extracting(Finding::verdict).containsOnly(Verdict.OK);
        assertThat(find(fs, "sync: master heard").evidence()).isEqualTo("heard in 5 s: 10.0.1.11 syncid 7 (12 message(s))");

        Observed.SyncHeard other = new Observed.SyncHeard(5, List.of(new Observed.Sender(IpAddresses.parse("10.0.1.11"), 5, 3)), 0, null);
        assertThat(find(DirectorChecks.sync(SPEC, h, h.firewall, "backup", other), "sync: master heard").verdict())
                .isEqualTo(Verdict.FAIL);
        Observed.SyncHeard silent = new Observed.SyncHeard(5, List.of(), 0, null);
        assertThat(find(DirectorChecks.sync(SPEC, h, h.firewall, "backup", silent), "sync: master heard").verdict())
                .isEqualTo(Verdict.WARN);
        assertThat(find(DirectorChecks.sync(SPEC, h, h.firewall, "master", silent), "sync: master heard").verdict())
                .isEqualTo(Verdict.OK);

        DirectorSpec big = new DirectorSpec(List.of(), List.of(), new DirectorSpec.Sync("eth1", 7,
                IpAddresses.parse("224.0.0.81"), 8848, 1500));
        Finding mtu = find(DirectorChecks.sync(big, h, h.firewall, null, silent), "sync: mtu");
        assertThat(mtu.verdict()).isEqualTo(Verdict.WARN);
        assertThat(mtu.evidence()).contains("carries 1472 bytes of UDP payload (MTU 1500)");

        h.links.put("eth1", new DirectorHost.Link("eth1", false, false, 1500));
        assertThat(find(DirectorChecks.sync(SPEC, h, h.firewall, null, silent), "sync: interface").fix())
                .isEqualTo("ip link set eth1 up");
        h.links.remove("eth1");
        assertThat(DirectorChecks.sync(SPEC, h, h.firewall, null, silent)).extracting(Finding::verdict)
                .containsExactly(Verdict.FAIL);
    }

    @Test
    void withoutAFirewallToolTheVerdictIsUndeterminedNeverOk() throws Exception {
        FakeHost h = new FakeHost();
        List<Finding> fs = DirectorChecks.vrrp(SPEC, h, Set.of(), List.of(), List.of(), null, 5);
        assertThat(find(fs, "vrrp VI_1: firewall in").verdict()).isEqualTo(Verdict.UNDETERMINED);
        assertThat(find(DirectorChecks.sync(SPEC, h, null, null, null), "sync: firewall in").verdict())
                .isEqualTo(Verdict.UNDETERMINED);
    }
}
