package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lvsd.linux.NetNamespace;
import io.lvsd.testkit.KernelLab;
import io.lvsd.testkit.Netns;
import io.lvsd.testkit.Sh;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code lvsd doctor} and {@code lvsd real-server check|setup} against the faults that need the IPVS table or the
 * tunnel modules (ipip, fou, ip_gre, ip6_tunnel), on the lab VM's real kernel. One topology carries them all, planted
 * together: each fault's traffic is shown failing, one doctor run names every one (exit 1, evidence, fix), the fixes
 * are applied, each fault's traffic flows, and one doctor run says ok. The table is programmed with ipvsadm, as a
 * director would have it.
 *
 * <pre>
 *  c   10.95.0.50 fd95::50 ─┐ lan   d: VIPs 10.95.9.100-107, fd95:9::108 on lo; 10.95.1.1 on eth1 (out) for c2
 *  d   10.95.0.1  fd95::1  ─┤       nat  TCP .100:80 NAT -> rn          (fault: ip_forward = 0)
 *  rn  10.95.0.21          ─┤       tun  TCP .101:80 TUN -> rt          (fault: no tunl0 set up)
 *  rt  10.95.0.22          ─┤       mtu  TCP .102:80 TUN -> rm          (fault: packets over 1400 bytes vanish)
 *  rm  10.95.0.23          ─┤       dns  UDP .103:53 DR  -> u1, u2      (fault: expire_nodest_conn = 0)
 *  rp  10.95.0.24          ─┤       sed  UDP .104:53 DR  -> u1, u2      (fault: scheduler sed, its module unloaded)
 *  rg  10.95.0.25          ─┤       rpf  TCP .105:80 TUN -> rp          (fault: rp_filter = 1)
 *  rgr 10.95.0.26          ─┤       gue  TCP .106:80 TUN GUE 5555 -> rg (fault: no GUE port; tunl0 up with the VIP)
 *  r6  fd95::27            ─┤       gre  TCP .107:80 TUN GRE -> rgr     (fault: gre0 down, no VIP on it)
 *  u1  10.95.0.31          ─┤       tun6 TCP [fd95:9::108]:80 TUN -> r6 (fault: ip6tnl0 up without the VIP)
 *  u2  10.95.0.32          ─┘
 *  c2  10.95.1.50 ── out ── d
 * </pre>
 */
class DoctorVmTest {
    static final String RULES = """
            -A -t 10.95.9.100:80 -s wlc
            -a -t 10.95.9.100:80 -r 10.95.0.21:80 -m -w 1
            -A -t 10.95.9.101:80 -s wlc
            -a -t 10.95.9.101:80 -r 10.95.0.22:80 -i -w 1
            -A -t 10.95.9.102:80 -s wlc
            -a -t 10.95.9.102:80 -r 10.95.0.23:80 -i -w 1
            -A -u 10.95.9.103:53 -s rr
            -a -u 10.95.9.103:53 -r 10.95.0.31:53 -g -w 1
            -a -u 10.95.9.103:53 -r 10.95.0.32:53 -g -w 1
            -A -t 10.95.9.105:80 -s wlc
            -a -t 10.95.9.105:80 -r 10.95.0.24:80 -i -w 1
            -A -t 10.95.9.106:80 -s wlc
            -a -t 10.95.9.106:80 -r 10.95.0.25:80 -i -w 1 --tun-type gue --tun-port 5555
            -A -t 10.95.9.107:80 -s wlc
            -a -t 10.95.9.107:80 -r 10.95.0.26:80 -i -w 1 --tun-type gre
            -A -t [fd95:9::108]:80 -s wlc
            -a -t [fd95:9::108]:80 -r [fd95::27]:80 -i -w 1
            """;
    static final String CONFIG = """
            director.name = doc-d
            virtual-servers = [
              { name = nat, address = "10.95.9.100:80", scheduler = wlc, forwarding = nat, check.type = none,
                real-servers = [{ address = "10.95.0.21:80" }] }
              { name = tun, address = "10.95.9.101:80", scheduler = wlc, forwarding = tun, check.type = none,
                real-servers = [{ address = "10.95.0.22:80" }] }
              { name = mtu, address = "10.95.9.102:80", scheduler = wlc, forwarding = tun, check.type = none,
                real-servers = [{ address = "10.95.0.23:80" }] }
              { name = dns, address = "10.95.9.103:53", protocol = udp, scheduler = rr, forwarding = dr,
                check { type = udp, udp { payload = "ping" } },
                real-servers = [{ address = "10.95.0.31:53" }, { address = "10.95.0.32:53" }] }
              { name = sed, address = "10.95.9.104:53", protocol = udp, scheduler = %s, forwarding = dr, check.type = none,
                real-servers = [{ address = "10.95.0.31:53" }, { address = "10.95.0.32:53" }] }
              { name = rpf, address = "10.95.9.105:80", scheduler = wlc, forwarding = tun, check.type = none,
                real-servers = [{ address = "10.95.0.24:80" }] }
              { name = gue, address = "10.95.9.106:80", scheduler = wlc, forwarding = tun,
                tunnel { type = gue, port = 5555 }, check.type = none, real-servers = [{ address = "10.95.0.25:80" }] }
              { name = gre, address = "10.95.9.107:80", scheduler = wlc, forwarding = tun, tunnel.type = gre,
                check.type = none, real-servers = [{ address = "10.95.0.26:80" }] }
              { name = tun6, address = "[fd95:9::108]:80", scheduler = wlc, forwarding = tun, check.type = none,
                real-servers = [{ address = "[fd95::27]:80" }] }
            ]
            """;

    record Run(int code, String out) {
    }

    static Run lvsd(Netns net, String host, String... args) throws Exception {
        LvsdProcess p = LvsdProcess.startIn(net.name(host), Map.of(), args);
        int code = p.waitFor(300);
        return new Run(code, p.output());
    }

    /**
     * Runs lvsd in each host at once (each run is a JVM start, the slowest step in the emulated VM) and waits for all;
     * {@code runs}: the host, then lvsd's arguments.
     */
    static List<Run> lvsdAtOnce(Netns net, List<String[]> runs) throws Exception {
        List<LvsdProcess> started = new ArrayList<>();
        for (String[] r : runs) {
            started.add(LvsdProcess.startIn(net.name(r[0]), Map.of(), java.util.Arrays.copyOfRange(r, 1, r.length)));
        }
        List<Run> out = new ArrayList<>();
        for (LvsdProcess p : started) {
            int code = p.waitFor(300);
            out.add(new Run(code, p.output()));
        }
        return out;
    }

    /** A request through a VIP: from namespace {@code ns} to {@code vip}:80, {@code bytes} long. */
    record Ask(String ns, String vip, int bytes, int timeoutMillis) {
    }

    /** The requests at once, so that the ones that fail wait out their timeouts together; the answers in order. */
    static List<String> atOnce(List<Ask> asks) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(asks.size());
        try {
            List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
            for (Ask a : asks) {
                answers.add(pool.submit(() -> LabServers.request(a.ns(), a.vip(), 80, a.bytes(), a.timeoutMillis())));
            }
            List<String> out = new ArrayList<>();
            for (java.util.concurrent.Future<String> f : answers) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static void ipvsadm(Netns net, String rules) throws Exception {
        Path f = Files.createTempFile("doc-rules", ".txt");
        Files.writeString(f, rules);
        net.exec("d", "sh", "-c", "ipvsadm -R < " + f);
    }

    /** Sends {@code n} datagrams 100 ms apart from the client's fixed port; the names of the servers that answered. */
    static List<String> ask(DatagramSocket client, String vip, int n) throws Exception {
        List<String> who = new ArrayList<>();
        byte[] buf = new byte[512];
        for (int i = 0; i < n; i++) {
            byte[] q = ("q" + i).getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(q, q.length, new InetSocketAddress(vip, 53)));
            long end = System.nanoTime() + 100_000_000L;
            while (System.nanoTime() < end) {
                client.setSoTimeout((int) Math.max(1, (end - System.nanoTime()) / 1_000_000));
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    client.receive(p);
                    who.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8).split(" ")[0]);
                } catch (SocketTimeoutException e) {
                    break;
                }
            }
        }
        return who;
    }

    /** Where the scenario's time goes: each step's seconds, printed at the end. */
    static final class Steps {
        private final StringBuilder table = new StringBuilder("DoctorVmTest: time per step (s)\n");
        private long t = System.nanoTime();

        void done(String step) {
            long now = System.nanoTime();
            table.append(String.format(java.util.Locale.ROOT, "  %-44s %6.1f%n", step, (now - t) / 1e9));
            t = now;
        }

        @Override
        public String toString() {
            return table.toString();
        }
    }

    @Test
    void everyPlantedFaultIsNamedAndEveryFixMakesTrafficFlow() throws Exception {
        KernelLab.requireIpvs();
        Steps steps = new Steps();
        try (Netns net = new Netns("lvsd-doc"); LabServers servers = new LabServers()) {
            net.bridge("lan");
            net.bridge("out");
            net.link("d", "eth0", "lan", "10.95.0.1/24");
            net.link("d", "eth1", "out", "10.95.1.1/24");
            for (int i = 100; i <= 107; i++) {
                net.exec("d", "ip", "addr", "add", "10.95.9." + i + "/32", "dev", "lo");
            }
            net.exec("d", "ip", "-6", "addr", "add", "fd95:9::108/128", "dev", "lo");
            // IPv6 without duplicate address detection: a tentative address takes no tunnel packet (ip6_tnl_rcv_ctl).
            net.exec("d", "ip", "-6", "addr", "add", "fd95::1/64", "dev", "eth0", "nodad");
            net.link("c", "eth0", "lan", "10.95.0.50/24");
            net.exec("c", "ip", "route", "add", "10.95.9.0/24", "via", "10.95.0.1");
            net.exec("c", "ip", "-6", "addr", "add", "fd95::50/64", "dev", "eth0", "nodad");
            net.exec("c", "ip", "-6", "route", "add", "fd95:9::/64", "via", "fd95::1");
            net.link("c2", "eth0", "out", "10.95.1.50/24");
            net.exec("c2", "ip", "route", "add", "default", "via", "10.95.1.1");
            net.link("rn", "eth0", "lan", "10.95.0.21/24");
            net.exec("rn", "ip", "route", "add", "default", "via", "10.95.0.1");
            servers.tcp(net.name("rn"), 80, "rn");
            net.link("rt", "eth0", "lan", "10.95.0.22/24");
            servers.tcp(net.name("rt"), 80, "rt");
            for (String[] t : new String[][] {{"rm", "10.95.0.23", "10.95.9.102", "0"}, {"rp", "10.95.0.24", "10.95.9.105", "1"}}) {
                net.link(t[0], "eth0", "lan", t[1] + "/24");
                net.exec(t[0], "ip", "link", "set", "tunl0", "up");
                net.exec(t[0], "ip", "addr", "add", t[2] + "/32", "dev", "tunl0");
                net.exec(t[0], "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=" + t[3], "net.ipv4.conf.tunl0.rp_filter=" + t[3],
                        "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2");
                servers.tcp(net.name(t[0]), 80, t[0]);
            }
            // GUE: tunl0 up with the VIP takes what the GUE port hands on; the fault is the missing port (ip fou add).
            net.link("rg", "eth0", "lan", "10.95.0.25/24");
            net.exec("rg", "ip", "link", "set", "tunl0", "up");
            net.exec("rg", "ip", "addr", "add", "10.95.9.106/32", "dev", "tunl0");
            // GRE: gre0 (ip_gre's, in every namespace) left down and without the VIP.
            net.link("rgr", "eth0", "lan", "10.95.0.26/24");
            for (String h : new String[] {"rg", "rgr"}) {
                net.exec(h, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                        "net.ipv4.conf.tunl0.rp_filter=0", "net.ipv4.conf.gre0.rp_filter=0",
                        "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2");
                servers.tcp(net.name(h), 80, h);
            }
            // IPv6 in IPv6: ip6tnl0 up, the VIP not on it.
            net.link("r6", "eth0", "lan", null);
            net.exec("r6", "ip", "-6", "addr", "add", "fd95::27/64", "dev", "eth0", "nodad");
            net.exec("r6", "ip", "link", "set", "ip6tnl0", "up");
            servers.tcp(net.name("r6"), "::", 80, "r6");
            // A path that carries 1400 bytes and drops larger packets without an ICMP error (a "black hole"): on rm's
            // way in, as a link with a smaller MTU behind a router whose ICMP is filtered would.
            net.exec("rm", "nft", "add table ip path; add chain ip path in { type filter hook prerouting priority -300 ; };"
                    + " add rule ip path in meta length > 1400 drop");
            // Each UDP real server binds the VIPs it serves, so that it answers from them (DR).
            Map<String, List<DatagramSocket>> udp = new java.util.HashMap<>();
            for (String[] u : new String[][] {{"u1", "10.95.0.31"}, {"u2", "10.95.0.32"}}) {
                net.link(u[0], "eth0", "lan", u[1] + "/24");
                net.exec(u[0], "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2");
                net.exec(u[0], "ip", "addr", "add", "10.95.9.103/32", "dev", "lo");
                net.exec(u[0], "ip", "addr", "add", "10.95.9.104/32", "dev", "lo");
                udp.put(u[0], new ArrayList<>(List.of(servers.udp(net.name(u[0]), "10.95.9.103", 53, u[0]),
                        servers.udp(net.name(u[0]), "10.95.9.104", 53, u[0]))));
            }
            net.exec("d", "sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv4.vs.expire_nodest_conn=0");
            ipvsadm(net, RULES);
            Path conf = Files.createTempFile("doc-d", ".conf");
            Files.writeString(conf, CONFIG.formatted("sed"));
            // The scheduler the configuration names is not in this kernel: its module unloaded, none to load it from.
            Sh.run(null, "rmmod", "ip_vs_sed");
            assertThat(Sh.run(null, "sh", "-c", "ip netns exec " + net.name("d")
                    + " ipvsadm -A -u 10.95.9.104:53 -s sed 2>&1; echo rc=$?").out()).as("the kernel refuses sed").doesNotContain("rc=0");

            steps.done("topology, table, faults planted");
            // Each fault, in the traffic.
            String c = net.name("c");
            List<String> faults = atOnce(List.of(new Ask(net.name("c2"), "10.95.9.100", 6, 2_000),
                    new Ask(c, "10.95.9.101", 6, 2_000), new Ask(c, "10.95.9.105", 6, 2_000),
                    new Ask(c, "10.95.9.102", 6, 2_000), new Ask(c, "10.95.9.106", 6, 2_000),
                    new Ask(c, "10.95.9.107", 6, 2_000), new Ask(c, "fd95:9::108", 6, 2_000)));
            // rm's server takes one connection at a time: the large request, which stalls it, goes after the small one.
            faults.add(4, atOnce(List.of(new Ask(c, "10.95.9.102", 100_000, 3_000))).get(0));
            assertThat(faults.get(0)).as("nat, ip_forward 0").startsWith("error: ");
            assertThat(faults.get(1)).as("tun without tunl0").startsWith("error: ");
            assertThat(faults.get(2)).as("tun with rp_filter 1").startsWith("error: ");
            assertThat(faults.get(3)).as("mtu: a small request").isEqualTo("rm got 6 bytes");
            assertThat(faults.get(4)).as("mtu: a large one stalls").startsWith("error: ");
            assertThat(faults.get(5)).as("gue without a GUE port").startsWith("error: ");
            assertThat(faults.get(6)).as("gre with gre0 down").startsWith("error: ");
            assertThat(faults.get(7)).as("IPv6 tun without the VIP on ip6tnl0").startsWith("error: ");
            DatagramSocket client = NetNamespace.call(c, () -> new DatagramSocket(new InetSocketAddress("0.0.0.0", 5000)));
            try {
                assertThat(ask(client, "10.95.9.104", 3)).as("sed: no service").isEmpty();
                List<String> first = ask(client, "10.95.9.103", 3);
                assertThat(first).as("dns answers").isNotEmpty();
                String dead = first.get(0);
                String other = dead.equals("u1") ? "u2" : "u1";
                for (DatagramSocket d : udp.get(dead)) {
                    d.close();
                }
                net.exec("d", "ipvsadm", "-d", "-u", "10.95.9.103:53", "-r", (dead.equals("u1") ? "10.95.0.31" : "10.95.0.32") + ":53");
                assertThat(ask(client, "10.95.9.103", 20)).as("dns: the client stays on " + dead + ", removed and dead,"
                        + " though " + other + " is up").isEmpty();

                steps.done("each fault shown in traffic");
                Run bad = lvsd(net, "d", "doctor", "-f", conf.toString(), "--seconds", "0");
                steps.done("lvsd doctor names them");
                assertThat(bad.code()).as(bad.out()).isEqualTo(1);
                assertThat(bad.out()).contains(
                        "fail  kernel: scheduler sed: ip_vs_sed is not loaded, and there is no module tree for kernel",
                        "fail  kernel: net.ipv4.ip_forward: net.ipv4.ip_forward = 0 but nat use NAT",
                        "fail  kernel: expire_nodest_conn: net.ipv4.vs.expire_nodest_conn = 0 and dns, sed carry UDP",
                        "fail  table: drift: 1 of 9 configured service(s) missing from the kernel: sed (udp 10.95.9.104:53)",
                        // No tunnel up to take IPIP: the kernel answers port unreachable.
                        "fail  real server tun 10.95.0.22: through the VIP: a SYN for port 80 of the VIP, inside IPIP to"
                                + " 10.95.0.22 via eth0: ICMP type 3 code 3 from 10.95.0.22: nothing answers through the tunnel",
                        "fix: on 10.95.0.22: lvsd real-server setup --vip 10.95.9.101 --forwarding tun",
                        "fail  real server rpf 10.95.0.24: through the VIP",
                        // the dead server's port: the VIP answers that nothing listens there
                        "ICMP port unreachable from 10.95.9.103: the VIP is there, but nothing listens on its port 53",
                        "ok    real server mtu 10.95.0.23: through the VIP: a SYN for port 80 of the VIP, inside IPIP to"
                                + " 10.95.0.23 via eth0: SYN-ACK from 10.95.9.102",
                        "fail  real server mtu 10.95.0.23: tunnel MTU: a 1500-byte encapsulated echo (DF) got no answer in"
                                + " 1000 ms while a small one came back",
                        // No GUE port: the real server's UDP answers port unreachable (or, rate-limited, is silent).
                        "fail  real server gue 10.95.0.25: through the VIP: a SYN for port 80 of the VIP, inside GUE (port"
                                + " 5555) to 10.95.0.25 via eth0: ",
                        "the real server lacks a GUE receive port 5555 (the fou module and ip fou add port 5555 gue)",
                        "fix: on 10.95.0.25: lvsd real-server setup --vip 10.95.9.106 --forwarding tun --tun-type gue"
                                + " --tun-port 5555",
                        "fail  real server gre 10.95.0.26: through the VIP: a SYN for port 80 of the VIP, inside GRE to"
                                + " 10.95.0.26 via eth0: ",
                        "the real server lacks gre0 up with the VIP (the ip_gre module)",
                        "fix: on 10.95.0.26: lvsd real-server setup --vip 10.95.9.107 --forwarding tun --tun-type gre",
                        "fail  real server tun6 fd95::27: through the VIP: a SYN for port 80 of the VIP, inside IPv6-in-IPv6"
                                + " to fd95::27 via eth0: ",
                        "the real server lacks ip6tnl0 up with the VIP (the ip6_tunnel module)",
                        "fix: on fd95::27: lvsd real-server setup --vip fd95:9::108 --forwarding tun (");
                List<Run> checks = lvsdAtOnce(net, List.of(
                        new String[] {"rt", "real-server", "check", "--vip", "10.95.9.101", "--forwarding", "tun"},
                        new String[] {"rp", "real-server", "check", "--vip", "10.95.9.105", "--forwarding", "tun"}));
                assertThat(checks.get(0).out()).contains("fail  tun: tunl0 up: tunl0 is down");
                Run rpCheck = checks.get(1);
                assertThat(rpCheck.code()).as(rpCheck.out()).isEqualTo(1);
                assertThat(rpCheck.out()).contains("fail  tun: rp_filter on tunl0: 1 (strict) in force");

                steps.done("lvsd real-server check on rt and rp");
                // The fixes, as the doctor gives them; the real servers' setups at once.
                net.exec("d", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.vs.expire_nodest_conn=1");
                List<String[]> setups = new ArrayList<>();
                for (String[] t : new String[][] {{"rt", "10.95.9.101"}, {"rp", "10.95.9.105"},
                        {"rg", "10.95.9.106", "--tun-type", "gue", "--tun-port", "5555"},
                        {"rgr", "10.95.9.107", "--tun-type", "gre"}, {"r6", "fd95:9::108"}}) {
                    List<String> run = new ArrayList<>(List.of(t[0], "real-server", "setup", "--vip", t[1], "--forwarding",
                            "tun", "--state-file", Files.createTempFile("doc-" + t[0], ".record").toString()));
                    run.addAll(List.of(t).subList(2, t.length));
                    setups.add(run.toArray(new String[0]));
                }
                for (Run setup : lvsdAtOnce(net, setups)) {
                    assertThat(setup.code()).as(setup.out()).isZero();
                }
                assertThat(net.exec("rg", "ip", "fou", "show")).as("the GUE port setup opened").contains("5555");
                net.exec("rm", "nft", "flush", "ruleset"); // the path carries full-size packets again
                Files.writeString(conf, CONFIG.formatted("wlc"));
                ipvsadm(net, "-A -u 10.95.9.104:53 -s wlc\n-a -u 10.95.9.104:53 -r 10.95.0.31:53 -g -w 1\n"
                        + "-a -u 10.95.9.104:53 -r 10.95.0.32:53 -g -w 1\n");

                steps.done("the fixes (five real-server setups at once)");
                List<String> moved = ask(client, "10.95.9.103", 20);
                assertThat(moved).as("dns: with expire_nodest_conn the client moves to " + other).contains(other);
                servers.udp(net.name(dead), "10.95.9.103", 53, dead);
                servers.udp(net.name(dead), "10.95.9.104", 53, dead);
                net.exec("d", "ipvsadm", "-a", "-u", "10.95.9.103:53", "-r", (dead.equals("u1") ? "10.95.0.31" : "10.95.0.32")
                        + ":53", "-g", "-w", "1");
                assertThat(ask(client, "10.95.9.104", 3)).as("sed, now wlc").isNotEmpty();
            } finally {
                client.close();
            }
            assertThat(LabServers.request(net.name("c2"), "10.95.9.100", 80, 6, 2_000)).isEqualTo("rn got 6 bytes");
            assertThat(LabServers.request(c, "10.95.9.101", 80, 6, 2_000)).isEqualTo("rt got 6 bytes");
            assertThat(LabServers.request(c, "10.95.9.105", 80, 6, 2_000)).isEqualTo("rp got 6 bytes");
            assertThat(LabServers.request(c, "10.95.9.106", 80, 6, 2_000)).as("gue").isEqualTo("rg got 6 bytes");
            assertThat(LabServers.request(c, "10.95.9.107", 80, 6, 2_000)).as("gre").isEqualTo("rgr got 6 bytes");
            assertThat(LabServers.request(c, "fd95:9::108", 80, 6, 2_000)).as("IPv6 tun").isEqualTo("r6 got 6 bytes");
            await().atMost(Duration.ofSeconds(30)).until(() -> LabServers.request(c, "10.95.9.102", 80, 100_000, 5_000)
                    .equals("rm got 100000 bytes"));

            steps.done("each fix shown in traffic");
            Run good = lvsd(net, "d", "doctor", "-f", conf.toString(), "--seconds", "0");
            steps.done("lvsd doctor says ok");
            assertThat(good.code()).as(good.out()).isZero();
            assertThat(good.out()).doesNotContain("fail  ").contains(
                    "ok    kernel: scheduler wlc", "ok    kernel: net.ipv4.ip_forward",
                    "ok    kernel: expire_nodest_conn", "ok    table: drift: the kernel has the 9 configured service(s)",
                    "ok    real server tun 10.95.0.22: through the VIP", "ok    real server rpf 10.95.0.24: through the VIP",
                    "ok    real server dns 10.95.0.31: through the VIP: the check's datagram for port 53 of the VIP, to its"
                            + " MAC ", "ok    real server dns 10.95.0.32: through the VIP: the check's datagram",
                    "ok    real server mtu 10.95.0.23: tunnel MTU: a 1500-byte encapsulated echo (DF) came back",
                    "ok    real server gue 10.95.0.25: through the VIP: a SYN for port 80 of the VIP, inside GUE (port 5555)"
                            + " to 10.95.0.25 via eth0: SYN-ACK from 10.95.9.106",
                    "ok    real server gue 10.95.0.25: tunnel MTU: a 1500-byte encapsulated echo (DF) came back",
                    "ok    real server gre 10.95.0.26: through the VIP: a SYN for port 80 of the VIP, inside GRE to"
                            + " 10.95.0.26 via eth0: SYN-ACK from 10.95.9.107",
                    "ok    real server gre 10.95.0.26: tunnel MTU",
                    "ok    real server tun6 fd95::27: through the VIP: a SYN for port 80 of the VIP, inside IPv6-in-IPv6 to"
                            + " fd95::27 via eth0: SYN-ACK from fd95:9::108",
                    "ok    real server tun6 fd95::27: tunnel MTU: a 1500-byte encapsulated echo came back");
            System.out.print("doctor after the fixes:\n" + good.out() + steps);
        }
    }
}
