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
        final List<FouPort> fou = new ArrayList<>();
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

        /** The fallback device each tunnel module brings, as the kernel creates it in every namespace (down). */
        static final Map<String, String> DEVICES = Map.of("ipip", "tunl0", "ip_gre", "gre0", "ip6_tunnel", "ip6tnl0",
                "ip6_gre", "ip6gre0");

        @Override
        public void loadModule(String name) {
            modules.add(name);
            String dev = DEVICES.get(name);
            if (dev != null) {
                links.put(dev, new ArrayList<>());
                if (!name.startsWith("ip6")) {
                    // IPv4's per-device settings start from 'default'.
                    sysctls.put("net.ipv4.conf." + dev + ".rp_filter", sysctls.get("net.ipv4.conf.default.rp_filter"));
                    sysctls.put("net.ipv4.conf." + dev + ".arp_ignore", "0");
                    sysctls.put("net.ipv4.conf." + dev + ".arp_announce", "0");
                }
            }
        }

        @Override
        public void unloadModule(String name) {
            modules.remove(name);
            String dev = DEVICES.get(name);
            if (dev != null) {
                links.remove(dev);
                up.remove(dev);
                sysctls.keySet().removeIf(k -> k.startsWith("net.ipv4.conf." + dev + "."));
            }
            if (name.equals("fou")) {
                fou.clear(); // the ports close with the module
            }
        }

        @Override
        public List<FouPort> fouPorts() {
            // Asking the kernel for the fou family would load the module: the checks must not.
            assertThat(modules).as("fou loaded when its ports are read").contains("fou");
            return List.copyOf(fou);
        }

        @Override
        public void addFouPort(int port, IpFamily family) {
            assertThat(modules).contains("fou");
            assertThat(fou).noneMatch(p -> p.port() == port && p.family() == family); // EALREADY
            fou.add(new FouPort(port, family, true, 0));
        }

        @Override
        public void deleteFouPort(int port, IpFamily family) {
            assertThat(fou.removeIf(p -> p.port() == port && p.family() == family)).as("EINVAL").isTrue();
        }

        Object state() {
            return List.of(new HashMap<>(sysctls), new HashMap<>(links), new HashSet<>(up), new HashSet<>(modules),
                    new ArrayList<>(fou));
        }
    }

    static final InetAddress VIP = IpAddresses.parse("192.0.2.10");
    static final InetAddress VIP6 = IpAddresses.parse("2001:db8::10");

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
        assertThatThrownBy(() -> new RealServer.Spec(List.of(VIP), RealServer.Forwarding.DR, null, RealServer.TunType.GRE, 0))
                .hasMessage("tun-type: gre (expected only with --forwarding tun)");
        assertThatThrownBy(() -> new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GUE, 0))
                .hasMessage("tun-port: missing (expected 1-65535 with --tun-type gue: the port the director sends GUE to)");
        assertThatThrownBy(() -> new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GRE,
                5555)).hasMessage("tun-port: 5555 (expected only with --tun-type gue)");
        assertThatThrownBy(() -> RealServer.parseRecord("gue-port 5555 ipx\n"))
                .hasMessageStartingWith("line 1: \"gue-port 5555 ipx\"");
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

    /** Applies {@code s}'s plan, checks that everything passes and nothing is left to do, and undoes it from the record. */
    static List<String> setupCheckUndo(FakeHost h, RealServer.Spec s) throws Exception {
        Object before = h.state();
        List<RealServer.Change> applied = new ArrayList<>();
        RealServer.apply(h, RealServer.plan(h, s), applied::add);
        assertThat(RealServer.check(h, s)).allSatisfy(f -> assertThat(f.verdict()).as(f.format()).isEqualTo(Verdict.OK));
        assertThat(RealServer.plan(h, s)).as("idempotent: nothing left to do").isEmpty();
        StringBuilder record = new StringBuilder();
        applied.forEach(c -> record.append(c.record()).append('\n'));
        List<String> log = new ArrayList<>();
        RealServer.undo(h, RealServer.parseRecord(record.toString()), log::add);
        assertThat(h.state()).as("exactly the previous state").isEqualTo(before);
        return log;
    }

    @Test
    void gueNeedsFouAGuePortAndTunl0UpWithTheVip() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec gue = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GUE, 5555);
        List<Finding> f = RealServer.check(h, gue);
        assertThat(verdicts(f)).containsExactly("FAIL tun: fou module", "FAIL tun: GUE port 5555", "FAIL tun: ipip module",
                "FAIL tun: tunl0 up", "FAIL tun: VIP 192.0.2.10 on tunl0", "FAIL tun: rp_filter on tunl0", "FAIL arp_ignore",
                "FAIL arp_announce");
        assertThat(f.get(0).fix()).isEqualTo("modprobe fou");
        assertThat(f.get(1).evidence()).isEqualTo("none: the fou module is not loaded");
        assertThat(f.get(1).fix()).isEqualTo("modprobe fou && ip fou add port 5555 gue");
        assertThat(RealServer.plan(h, gue)).extracting(RealServer.Change::command).startsWith("modprobe fou",
                "ip fou add port 5555 gue", "modprobe ipip", "ip link set tunl0 up", "ip addr add 192.0.2.10/32 dev tunl0",
                "sysctl -w net.ipv4.conf.all.rp_filter=2", "sysctl -w net.ipv4.conf.tunl0.rp_filter=2");

        // fou loaded, no port: the port is the fault, named with its fix.
        h.loadModule("fou");
        Finding port = RealServer.check(h, gue).get(1);
        assertThat(port.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(port.evidence()).isEqualTo("none: the real server answers the director's GUE packets to UDP port 5555"
                + " with ICMP port unreachable and drops them");
        assertThat(port.fix()).isEqualTo("ip fou add port 5555 gue");
        h.unloadModule("fou");

        List<String> log = setupCheckUndo(h, gue);
        assertThat(log).containsSubsequence("ip fou del port 5555", "modprobe -r fou");
    }

    @Test
    void gueOverIpv6OpensTheIpv6PortAndUsesIp6tnl0() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec gue = new RealServer.Spec(List.of(VIP, VIP6), RealServer.Forwarding.TUN, null,
                RealServer.TunType.GUE, 5555);
        assertThat(RealServer.plan(h, gue)).extracting(RealServer.Change::command).containsSubsequence("modprobe fou",
                "ip fou add port 5555 gue", "modprobe ipip", "ip link set tunl0 up", "ip addr add 192.0.2.10/32 dev tunl0",
                "ip fou add port 5555 gue -6", "modprobe ip6_tunnel", "ip link set ip6tnl0 up",
                "ip addr add 2001:db8::10/128 dev ip6tnl0");
        assertThat(RealServer.plan(h, gue)).extracting(RealServer.Change::record).contains("gue-port 5555 ipv4",
                "gue-port 5555 ipv6");
        assertThat(verdicts(RealServer.check(h, gue))).contains("FAIL tun: GUE port 5555 (IPv6)",
                "FAIL tun: ip6_tunnel module", "FAIL tun: ip6tnl0 up", "FAIL tun: VIP 2001:db8::10 on ip6tnl0");
        List<String> log = setupCheckUndo(h, gue);
        assertThat(log).contains("ip fou del port 5555 -6", "ip fou del port 5555");
    }

    @Test
    void aFouPortThatIsNotGueIsNamedAndLeftAlone() throws Exception {
        FakeHost h = new FakeHost();
        h.loadModule("fou");
        h.fou.add(new RealServerHost.FouPort(5555, IpFamily.IPV4, false, 4));
        RealServer.Spec gue = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GUE, 5555);
        Finding port = RealServer.check(h, gue).get(1);
        assertThat(port.check()).isEqualTo("tun: GUE port 5555");
        assertThat(port.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(port.evidence()).startsWith("port 5555 is a FOU port for IP protocol 4, not GUE");
        assertThat(port.fix()).isEqualTo("ip fou del port 5555 && ip fou add port 5555 gue");
        // The kernel refuses a second port of that number and family (EALREADY): setup leaves it to the operator.
        assertThat(RealServer.plan(h, gue)).extracting(RealServer.Change::command).doesNotContain("ip fou add port 5555 gue");
    }

    @Test
    void greNeedsGre0UpWithTheVipAndLooseReversePathFiltering() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec gre = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GRE, 0);
        assertThat(verdicts(RealServer.check(h, gre))).containsExactly("FAIL tun: ip_gre module", "FAIL tun: gre0 up",
                "FAIL tun: VIP 192.0.2.10 on gre0", "FAIL tun: rp_filter on gre0", "FAIL arp_ignore", "FAIL arp_announce");
        assertThat(RealServer.plan(h, gre)).extracting(RealServer.Change::command).startsWith("modprobe ip_gre",
                "ip link set gre0 up", "ip addr add 192.0.2.10/32 dev gre0", "sysctl -w net.ipv4.conf.all.rp_filter=2",
                "sysctl -w net.ipv4.conf.gre0.rp_filter=2");

        // The module there, gre0 down and without the VIP: the lab's fault.
        h.loadModule("ip_gre");
        h.sysctls.put("net.ipv4.conf.all.rp_filter", "2");
        List<Finding> f = RealServer.check(h, gre);
        assertThat(verdicts(f)).startsWith("OK tun: ip_gre module", "FAIL tun: gre0 up", "FAIL tun: VIP 192.0.2.10 on gre0",
                "OK tun: rp_filter on gre0");
        assertThat(f.get(1).evidence()).isEqualTo("gre0 is down: the kernel takes no GRE packet through it");
        assertThat(f.get(1).fix()).isEqualTo("ip link set gre0 up");
        assertThat(f.get(2).fix()).isEqualTo("ip addr add 192.0.2.10/32 dev gre0");
        setupCheckUndo(h, gre);
    }

    @Test
    void ipv6TunNeedsIp6tnl0UpWithTheVipAndNoIpv4Settings() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec tun6 = new RealServer.Spec(List.of(VIP6), RealServer.Forwarding.TUN, null);
        List<Finding> f = RealServer.check(h, tun6);
        assertThat(verdicts(f)).containsExactly("FAIL tun: ip6_tunnel module", "FAIL tun: ip6tnl0 up",
                "FAIL tun: VIP 2001:db8::10 on ip6tnl0");
        assertThat(f.get(0).evidence()).startsWith("not loaded: no ip6tnl0 to decapsulate the director's IPv6-in-IPv6"
                + " packets");
        assertThat(f.get(1).fix()).isEqualTo("modprobe ip6_tunnel && ip link set ip6tnl0 up");
        assertThat(RealServer.plan(h, tun6)).extracting(RealServer.Change::command).containsExactly("modprobe ip6_tunnel",
                "ip link set ip6tnl0 up", "ip addr add 2001:db8::10/128 dev ip6tnl0");
        List<String> log = setupCheckUndo(h, tun6);
        assertThat(log).containsExactly("ip addr del 2001:db8::10/128 dev ip6tnl0", "ip link set ip6tnl0 down",
                "modprobe -r ip6_tunnel");

        // GRE over IPv6: ip6gre0, from ip6_gre.
        RealServer.Spec gre6 = new RealServer.Spec(List.of(VIP6), RealServer.Forwarding.TUN, null, RealServer.TunType.GRE, 0);
        assertThat(RealServer.plan(h, gre6)).extracting(RealServer.Change::command).containsExactly("modprobe ip6_gre",
                "ip link set ip6gre0 up", "ip addr add 2001:db8::10/128 dev ip6gre0");
        setupCheckUndo(h, gre6);
    }

    @Test
    void persistForGueKeepsThePortWithTheTunnel() throws Exception {
        FakeHost h = new FakeHost();
        RealServer.Spec gue = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GUE, 5555);
        List<RealServer.PersistFile> ifupdown = RealServer.persistence(h, gue, RealServer.Persistence.IFUPDOWN);
        assertThat(ifupdown).extracting(RealServer.PersistFile::path).containsExactly(
                "etc/sysctl.d/90-lvsd-real-server.conf", "etc/modules-load.d/lvsd-real-server.conf",
                "etc/network/interfaces.d/lvsd-real-server-tunl0");
        assertThat(ifupdown.get(1).content()).endsWith("\nfou\nipip\n");
        String v = VIP.getHostAddress();
        assertThat(ifupdown.get(2).content()).endsWith("\nauto tunl0\niface tunl0 inet manual\n    pre-up modprobe ipip\n"
                + "    pre-up modprobe fou\n    pre-up ip fou add port 5555 gue || true\n    up ip link set tunl0 up\n"
                + "    up ip addr replace " + v + "/32 dev tunl0\n    down ip addr del " + v + "/32 dev tunl0\n"
                + "    post-down ip fou del port 5555\n");
        List<RealServer.PersistFile> networkd = RealServer.persistence(h, gue, RealServer.Persistence.NETWORKD);
        assertThat(networkd).extracting(RealServer.PersistFile::path).contains(
                "etc/systemd/network/09-lvsd-real-server-gue5555.netdev",
                "etc/systemd/network/09-lvsd-real-server-tunl0.network");
        assertThat(networkd.stream().filter(p -> p.path().endsWith(".netdev")).findFirst().orElseThrow().content())
                .endsWith("[NetDev]\nName=lvsd-gue5555\nKind=fou\n\n[FooOverUDP]\nEncapsulation=GenericUDPEncapsulation\n"
                        + "Port=5555\n");
        RealServer.Spec gue6 = new RealServer.Spec(List.of(VIP6), RealServer.Forwarding.TUN, null, RealServer.TunType.GUE,
                5555);
        assertThatThrownBy(() -> RealServer.persistence(h, gue6, RealServer.Persistence.NETWORKD))
                .hasMessageStartingWith("--persist=networkd: systemd-networkd opens an IPv6 GUE port only bound to a local"
                        + " address");
        RealServer.Spec gre = new RealServer.Spec(List.of(VIP), RealServer.Forwarding.TUN, null, RealServer.TunType.GRE, 0);
        List<RealServer.PersistFile> greFiles = RealServer.persistence(h, gre, RealServer.Persistence.IFUPDOWN);
        assertThat(greFiles.get(0).content()).contains("net.ipv4.conf.all.rp_filter = 2\nnet.ipv4.conf.gre0.rp_filter = 2\n");
        assertThat(greFiles.get(1).content()).endsWith("\nip_gre\n");
        assertThat(greFiles.get(2).path()).isEqualTo("etc/network/interfaces.d/lvsd-real-server-gre0");
    }
}
