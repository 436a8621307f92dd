package io.lvsd.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RealServerTest {
    /** A host in memory: what check reads, what setup changes, and what undo must put back. */
    static final class FakeHost implements RealServerHost {
        final Map<String, String> sysctls = new HashMap<>();
        final Map<String, List<IpPrefix>> links = new HashMap<>();
        final Set<String> up = new HashSet<>();
        final Set<String> modules = new HashSet<>();
        Route route4;

        FakeHost() {
            links.put("lo", new ArrayList<>(List.of(IpPrefix.parse("127.0.0.1/8"))));
            links.put("eth0", new ArrayList<>(List.of(IpPrefix.parse("10.0.0.21/24"))));
            up.addAll(List.of("lo", "eth0"));
            for (String l : List.of("all", "default", "lo", "eth0")) {
                sysctls.put("net.ipv4.conf." + l + ".arp_ignore", "0");
                sysctls.put("net.ipv4.conf." + l + ".arp_announce", "0");
                sysctls.put("net.ipv4.conf." + l + ".rp_filter", l.equals("all") || l.equals("default") ? "1" : "0");
            }
            route4 = new Route(IpAddresses.parse("10.0.0.1"), "eth0");
        }

        @Override
        public String sysctl(String name) {
            return sysctls.get(name);
        }

        @Override
        public void setSysctl(String name, String value) {
            assertThat(sysctls).containsKey(name);
            sysctls.put(name, value);
        }

        @Override
        public boolean linkExists(String name) {
            return links.containsKey(name);
        }

        @Override
        public boolean linkUp(String name) {
            return up.contains(name);
        }

        @Override
        public void setLinkUp(String name, boolean u) {
            if (u) {
                up.add(name);
            } else {
                up.remove(name);
            }
        }

        @Override
        public List<IpPrefix> addresses(String name) {
            return List.copyOf(links.getOrDefault(name, List.of()));
        }

        @Override
        public void addAddress(String link, IpPrefix prefix) {
            links.get(link).add(prefix);
        }

        @Override
        public void deleteAddress(String link, IpPrefix prefix) {
            links.get(link).remove(prefix);
        }

        @Override
        public Route defaultRoute(IpFamily family) {
            return family == IpFamily.IPV4 ? route4 : null;
        }

        @Override
        public boolean moduleLoaded(String name) {
            return modules.contains(name);
        }

        @Override
        public void loadModule(String name) {
            modules.add(name);
            if (name.equals("ipip")) {
                links.put("tunl0", new ArrayList<>());
                sysctls.put("net.ipv4.conf.tunl0.rp_filter", sysctls.get("net.ipv4.conf.default.rp_filter"));
                sysctls.put("net.ipv4.conf.tunl0.arp_ignore", "0");
                sysctls.put("net.ipv4.conf.tunl0.arp_announce", "0");
            }
        }

        @Override
        public void unloadModule(String name) {
            modules.remove(name);
            if (name.equals("ipip")) {
                links.remove("tunl0");
                up.remove("tunl0");
                sysctls.keySet().removeIf(k -> k.startsWith("net.ipv4.conf.tunl0."));
            }
        }

        Object state() {
            return List.of(new HashMap<>(sysctls), new HashMap<>(links), new HashSet<>(up), new HashSet<>(modules));
        }
    }

    static final InetAddress VIP = IpAddresses.parse("192.0.2.10");

    static List<String> verdicts(List<Finding> findings) {
        return findings.stream().map(f -> f.verdict() + " " + f.check()).toList();
    }

    @Test
    void drWithoutTheVipOnLoAndWithTheArpProblemFailsAndNamesTheFix() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec dr = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.DR, null);
        List<Finding> f = RealServer.check(h, dr);
        assertThat(verdicts(f)).containsExactly("FAIL dr: VIP 192.0.2.10 on lo", "FAIL arp_ignore", "FAIL arp_announce");
        assertThat(f.get(0).fix()).isEqualTo("ip addr add 192.0.2.10/32 dev lo");
        assertThat(f.get(1).evidence()).startsWith("0 in force (all and eth0): the real server answers ARP for the VIP");
        assertThat(f.get(1).fix()).isEqualTo("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1");
    }

    @Test
    void arpSettingsInForceAreTheLargerOfAllAndTheInterface() throws Exception {
        FakeHost h = new FakeHost();
        h.sysctls.put("net.ipv4.conf.eth0.arp_ignore", "1");
        h.sysctls.put("net.ipv4.conf.all.arp_announce", "2");
        h.links.get("lo").add(IpPrefix.parse("192.0.2.10/32"));
        assertThat(verdicts(RealServer.check(h, new RealServer.Spec(List.of(VIP), RealServer.Forwarding.DR, null))))
                .containsExactly("OK dr: VIP 192.0.2.10 on lo", "OK arp_ignore", "OK arp_announce");
    }

    @Test
    void drSetupMakesEveryCheckPassAndUndoRestoresExactlyThePreviousState() throws Exception {
        FakeHost h = new FakeHost();
        Object before = h.state();
        RealServer.Spec dr = new RealServer.Spec(List.of(VIP, IpAddresses.parse("192.0.2.11")), RealServer.Forwarding.DR, null);
        List<RealServer.Change> plan = RealServer.plan(h, dr);
        assertThat(plan).extracting(RealServer.Change::command).containsExactly(
                "ip addr add 192.0.2.10/32 dev lo", "ip addr add 192.0.2.11/32 dev lo",
                "sysctl -w net.ipv4.conf.all.arp_ignore=1", "sysctl -w net.ipv4.conf.eth0.arp_ignore=1",
                "sysctl -w net.ipv4.conf.all.arp_announce=2", "sysctl -w net.ipv4.conf.eth0.arp_announce=2");
        List<RealServer.Change> applied = new ArrayList<>();
        RealServer.apply(h, plan, applied::add);
        assertThat(RealServer.check(h, dr)).allMatch(f -> f.verdict() == Verdict.OK);
        assertThat(RealServer.plan(h, dr)).as("idempotent: nothing left to do").isEmpty();
        String record = String.join("\n", applied.stream().map(RealServer.Change::record).toList());
        List<String> log = new ArrayList<>();
        RealServer.undo(h, RealServer.parseRecord(record), log::add);
        assertThat(h.state()).isEqualTo(before);
        assertThat(log).first().isEqualTo("sysctl -w net.ipv4.conf.eth0.arp_announce=0");
    }

    @Test
    void tunNeedsTheModuleTunl0UpTheVipAndLooseReversePathFiltering() throws Exception {
        FakeHost h = new FakeHost();
        Object before = h.state();
        RealServer.Spec tun = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null);
        List<Finding> f = RealServer.check(h, tun);
        assertThat(verdicts(f)).containsExactly("FAIL tun: ipip module", "FAIL tun: tunl0 up",
                "FAIL tun: VIP 192.0.2.10 on tunl0", "FAIL tun: rp_filter on tunl0", "FAIL arp_ignore",
                "FAIL arp_announce");
        List<RealServer.Change> plan = RealServer.plan(h, tun);
        assertThat(plan).extracting(RealServer.Change::command).startsWith("modprobe ipip", "ip link set tunl0 up",
                "ip addr add 192.0.2.10/32 dev tunl0", "sysctl -w net.ipv4.conf.all.rp_filter=2",
                "sysctl -w net.ipv4.conf.tunl0.rp_filter=2");
        List<RealServer.Change> applied = new ArrayList<>();
        RealServer.apply(h, plan, applied::add);
        assertThat(RealServer.check(h, tun)).allMatch(x -> x.verdict() == Verdict.OK);
        RealServer.undo(h, applied, x -> { });
        assertThat(h.state()).isEqualTo(before);
    }

    @Test
    void strictReversePathFilteringOnAllAloneBreaksTun() throws Exception {
        FakeHost h = new FakeHost();
        h.loadModule("ipip");
        h.setLinkUp("tunl0", true);
        h.sysctls.put("net.ipv4.conf.tunl0.rp_filter", "0");
        h.links.get("tunl0").add(IpPrefix.parse("192.0.2.10/32"));
        Finding rp = RealServer.check(h, new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null)).stream()
                .filter(x -> x.check().startsWith("tun: rp_filter")).findFirst().orElseThrow();
        assertThat(rp.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(rp.evidence()).startsWith("1 (strict) in force (all 1, tunl0 0)");
        assertThat(rp.fix()).isEqualTo("sysctl -w net.ipv4.conf.all.rp_filter=2");
    }

    @Test
    void natChecksTheDefaultRouteGoesThroughTheDirectorAndChangesNothing() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec nat = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.NAT, IpAddresses.parse("10.0.0.2"));
        Finding f = RealServer.check(h, nat).get(0);
        assertThat(f.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(f.evidence()).startsWith("via 10.0.0.1 dev eth0: replies to clients bypass the director");
        assertThat(f.fix()).isEqualTo("ip route replace default via 10.0.0.2");
        assertThat(RealServer.plan(h, nat)).isEmpty();
        h.route4 = new RealServerHost.Route(IpAddresses.parse("10.0.0.2"), "eth0");
        assertThat(RealServer.check(h, nat).get(0).verdict()).isEqualTo(Verdict.OK);
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> new RealServer.Spec(List.of(), RealServer.Forwarding.DR, null))
                .hasMessage("vip: none (expected at least one address)");
        assertThatThrownBy(() -> new RealServer.Spec(List.of(VIP), RealServer.Forwarding.NAT, null))
                .hasMessage("director: missing (expected the director's address with --forwarding nat)");
        assertThatThrownBy(() -> RealServer.parseRecord("sysctl a\n"))
                .hasMessageStartingWith("line 1: \"sysctl a\"");
    }

    @Test
    void theDefaultRouteIsReadFromProcNetRoute() throws Exception {
        String table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                + "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                + "eth1\t00000000\t0200000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                + "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        RealServerHost.Route r = LinuxRealServerHost.defaultRoute4(table);
        assertThat(r.link()).isEqualTo("eth0");
        assertThat(IpAddresses.text(r.gateway())).isEqualTo("10.0.0.1");
        String v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                + "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n"
                + "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                + "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n";
        RealServerHost.Route r6 = LinuxRealServerHost.defaultRoute6(v6);
        assertThat(r6.link()).isEqualTo("eth0");
        assertThat(IpAddresses.text(r6.gateway())).isEqualTo("fe80::1");
    }

    @Test
    void persistWritesTheSetupForTheNextBootAndUndoRemovesIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root)
            throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec dr = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.DR, null);
        List<RealServer.PersistFile> files = RealServer.persistence(h, dr, RealServer.Persistence.NETWORKD);
        assertThat(files).extracting(RealServer.PersistFile::path).containsExactly("etc/sysctl.d/90-lvsd-real-server.conf",
                "etc/systemd/network/09-lvsd-real-server-lo.network");
        assertThat(files.get(0).content()).endsWith("net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce = 2\n"
                + "net.ipv4.conf.eth0.arp_ignore = 1\nnet.ipv4.conf.eth0.arp_announce = 2\n");
        assertThat(files.get(1).content()).endsWith("[Match]\nName=lo\n\n[Link]\nRequiredForOnline=no\n\n[Network]\n"
                + "KeepConfiguration=static\n\n[Address]\nAddress=" + VIP.getHostAddress() + "/32\n");

        // An existing file is replaced and, on undo, put back; a new one is removed.
        java.nio.file.Path sysctl = root.resolve("etc/sysctl.d/90-lvsd-real-server.conf");
        java.nio.file.Files.createDirectories(sysctl.getParent());
        java.nio.file.Files.writeString(sysctl, "# an older one\n");
        List<RealServer.Change> plan = RealServer.plan(h, dr, RealServer.Persistence.NETWORKD, root);
        List<RealServer.Change> applied = new ArrayList<>();
        RealServer.apply(h, plan, applied::add);
        assertThat(java.nio.file.Files.readString(sysctl)).isEqualTo(files.get(0).content());
        assertThat(root.resolve("etc/systemd/network/09-lvsd-real-server-lo.network")).hasContent(files.get(1).content());
        assertThat(RealServer.plan(h, dr, RealServer.Persistence.NETWORKD, root)).as("nothing left to do").isEmpty();

        StringBuilder record = new StringBuilder();
        applied.forEach(c -> record.append(c.record()).append('\n'));
        RealServer.undo(h, RealServer.parseRecord(record.toString()), l -> { });
        assertThat(java.nio.file.Files.readString(sysctl)).isEqualTo("# an older one\n");
        assertThat(root.resolve("etc/systemd/network/09-lvsd-real-server-lo.network")).doesNotExist();
    }

    @Test
    void persistForTunWithIfupdownLoadsIpipAndBringsTunl0Up() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec tun = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null);
        List<RealServer.PersistFile> files = RealServer.persistence(h, tun, RealServer.Persistence.IFUPDOWN);
        assertThat(files).extracting(RealServer.PersistFile::path).containsExactly("etc/sysctl.d/90-lvsd-real-server.conf",
                "etc/modules-load.d/lvsd-real-server.conf", "etc/network/interfaces.d/lvsd-real-server-tunl0");
        assertThat(files.get(0).content()).contains("net.ipv4.conf.all.rp_filter = 2\nnet.ipv4.conf.tunl0.rp_filter = 2\n");
        assertThat(files.get(1).content()).endsWith("ipip\n");
        String v = VIP.getHostAddress();
        assertThat(files.get(2).content()).endsWith("\nauto tunl0\niface tunl0 inet manual\n    pre-up modprobe ipip\n"
                + "    up ip link set tunl0 up\n    up ip addr replace " + v + "/32 dev tunl0\n    down ip addr del " + v
                + "/32 dev tunl0\n");
        assertThat(RealServer.persistence(h, new RealServer.Spec(List.of(VIP), RealServer.Forwarding.NAT,
                IpAddresses.parse("10.0.0.1")), RealServer.Persistence.IFUPDOWN)).isEmpty();
    }
}
