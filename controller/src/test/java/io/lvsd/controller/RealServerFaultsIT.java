package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.testkit.Lab;
import io.lvsd.testkit.Netns;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real-server faults that need no IPVS, in host namespaces: the director d forwards as LVS would without the IPVS
 * table. For DR, a host route {@code VIP/32 via REAL-SERVER} sends the client's packets to the real server's MAC,
 * exactly as IPVS's DR does; for NAT, an nft DNAT rule rewrites the VIP to the real server, as IPVS's NAT does.
 * For each fault: traffic fails, the doctor's probe through the VIP (DR) or {@code lvsd real-server check} (NAT)
 * names it with exit 1 and the fix, the fix is applied, traffic flows and the tool says ok. TUN needs the ipip
 * module, which this host's kernel lacks: its faults are DoctorVmTest's.
 */
class RealServerFaultsIT {
    static final String VIP = "10.98.0.100";
    static final String NAT_VIP = "10.98.0.102";
    /** A UDP service's VIP, on the same DR real server. */
    static final String UDP_VIP = "10.98.0.101";

    @TempDir
    Path dir;

    Netns net;
    LabServers servers = new LabServers();
    ServerSocket rs1;

    @BeforeEach
    void topology() throws Exception {
        Lab.requireRoot("network namespaces for a director, real servers and a client");
        net = new Netns("lvsd-rsf");
        net.bridge("lan");
        net.link("d", "eth0", "lan", "10.98.0.1/24");
        net.link("c", "eth0", "lan", "10.98.0.50/24");
        net.link("rs1", "eth0", "lan", "10.98.0.21/24");
        net.exec("d", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
                "net.ipv4.conf.eth0.send_redirects=0");
        net.exec("c", "ip", "route", "add", VIP + "/32", "via", "10.98.0.1");
        net.exec("c", "ip", "route", "add", UDP_VIP + "/32", "via", "10.98.0.1");
        net.exec("rs1", "ip", "route", "add", "default", "via", "10.98.0.1");
        // DR as IPVS does it: the VIP's packets go to the real server's MAC, unchanged.
        net.exec("d", "ip", "route", "add", VIP + "/32", "via", "10.98.0.21");
        net.exec("d", "ip", "route", "add", UDP_VIP + "/32", "via", "10.98.0.21");
        rs1 = servers.tcp(net.name("rs1"), 80, "rs1");
        servers.udp(net.name("rs1"), 53, "rs1");
        Files.writeString(dir.resolve("d.conf"), """
                director { name = d }
                scripts { user = root }
                virtual-servers = [
                  { name = web, address = "%s:80", scheduler = wlc, forwarding = dr,
                    real-servers = [{ address = "10.98.0.21:80" }] }
                  { name = echo, address = "%s:53", protocol = udp, scheduler = rr, forwarding = dr,
                    check { type = udp, udp { payload = "ping", expect-regex = "ping" } },
                    real-servers = [{ address = "10.98.0.21:53" }] }
                ]
                """.formatted(VIP, UDP_VIP));
    }

    @AfterEach
    void cleanup() throws Exception {
        servers.close();
        if (net != null) {
            net.close();
        }
    }

    /** What a client in {@code host} gets from {@code address}:80 for a short request, or the error. */
    String requestFrom(String host, String address) throws Exception {
        return LabServers.request(net.name(host), address, 80, 6, 2_000);
    }

    String request(String address) throws Exception {
        return requestFrom("c", address);
    }

    /** What a connected UDP client in c gets back for "hello" to {@code address}:53, or the error. */
    String datagram(String address) throws Exception {
        return io.lvsd.linux.NetNamespace.call(net.name("c"), () -> {
            try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
                ch.connect(new java.net.InetSocketAddress(address, 53));
                ch.write(java.nio.ByteBuffer.wrap("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                ch.configureBlocking(true);
                ch.socket().setSoTimeout(1_000);
                byte[] buf = new byte[512];
                java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                ch.socket().receive(p);
                return new String(buf, 0, p.getLength(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "error: " + e;
            }
        });
    }

    record Run(int code, String out) {
    }

    Run lvsd(String host, String... args) throws Exception {
        LvsdProcess p = LvsdProcess.startIn(net.name(host), Map.of(), args);
        int code = p.waitFor(120);
        return new Run(code, p.output());
    }

    @Test
    void aDrRealServerWithoutTheVipIsCaughtByTheProbeNotByAnOrdinaryCheck() throws Exception {
        // The fault: rs1 does not have the VIP. Clients through the VIP fail; a check to rs1's own address passes.
        assertThat(request(VIP)).as("through the VIP").startsWith("error: ");
        assertThat(request("10.98.0.21")).as("the ordinary check, to the real server's address").isEqualTo("rs1 got 6 bytes");
        Run bad = lvsd("d", "doctor", "-f", dir.resolve("d.conf").toString(), "--checks", "real-servers", "--seconds", "0");
        assertThat(bad.code()).as(bad.out()).isEqualTo(1);
        String mac = net.exec("rs1", "cat", "/sys/class/net/eth0/address").strip();
        assertThat(bad.out()).contains("fail  real server web 10.98.0.21: through the VIP: a SYN for port 80 of the VIP,"
                        + " to its MAC " + mac + " on eth0: no answer in 1000 ms: VIP not configured on the real server",
                "fix: on 10.98.0.21: lvsd real-server setup --vip 10.98.0.100 --forwarding dr",
                // UDP: the check's datagram through the VIP goes unanswered, while sent to the real server it is answered.
                "fail  real server echo 10.98.0.21: through the VIP: the check's datagram for port 53 of the VIP, to its MAC "
                        + mac + " on eth0: no answer in 1000 ms: VIP not configured on the real server: it drops every packet"
                        + " IPVS forwards, though a check sent to its own address passes (here: a UDP reply from 10.98.0.21)");

        // The fix the doctor gives, on the real server.
        Run setup = lvsd("rs1", "real-server", "setup", "--vip", VIP + "," + UDP_VIP, "--forwarding", "dr", "--state-file",
                dir.resolve("rs1.record").toString());
        assertThat(setup.code()).as(setup.out()).isZero();
        assertThat(request(VIP)).as("through the VIP").isEqualTo("rs1 got 6 bytes");
        // UDP now reaches rs1, whose server (bound to all addresses) answers from rs1's own address: a client of the
        // VIP drops that. The probe says so; the fix is to bind the VIP.
        assertThat(datagram(UDP_VIP)).as("a connected UDP client of the VIP").startsWith("error: ");
        Run own = lvsd("d", "doctor", "-f", dir.resolve("d.conf").toString(), "--checks", "real-servers", "--seconds", "0");
        assertThat(own.code()).as(own.out()).isEqualTo(1);
        assertThat(own.out()).contains("fail  real server echo 10.98.0.21: through the VIP: the check's datagram for port 53"
                + " of the VIP, to its MAC " + mac + " on eth0: a UDP reply from 10.98.0.21: it answers from its own address"
                + " instead of the VIP", "fix: on 10.98.0.21: bind the service to the VIP (a UDP server bound to all addresses answers from the"
                        + " address its route picks");
        servers.udp(net.name("rs1"), UDP_VIP, 53, "rs1");
        assertThat(datagram(UDP_VIP)).as("a connected UDP client of the VIP").isEqualTo("rs1 hello");
        Run good = lvsd("d", "doctor", "-f", dir.resolve("d.conf").toString(), "--checks", "real-servers", "--seconds", "0");
        assertThat(good.code()).as(good.out()).isZero();
        assertThat(good.out()).contains("ok    real server web 10.98.0.21: through the VIP: a SYN for port 80 of the VIP, to"
                + " its MAC " + mac + " on eth0: SYN-ACK from 10.98.0.100: it takes forwarded traffic",
                "ok    real server echo 10.98.0.21: through the VIP: the check's datagram for port 53 of the VIP, to its MAC "
                        + mac + " on eth0: a UDP reply from 10.98.0.101: it takes forwarded traffic");

        // The VIP there, the service not listening on it: a RST from the VIP.
        rs1.close();
        Run refused = lvsd("d", "doctor", "-f", dir.resolve("d.conf").toString(), "--checks", "real-servers", "--seconds", "0");
        assertThat(refused.code()).as(refused.out()).isEqualTo(1);
        assertThat(refused.out()).contains("RST from 10.98.0.100: the VIP is there, but nothing listens on its port 80");
    }

    /**
     * The same fault over IPv6: DR as IPVS does it for IPv6 (the VIP's packets to the real server's MAC, found by a
     * neighbour solicitation), the probe an IPv6 SYN in a frame to that MAC.
     */
    @Test
    void anIpv6DrRealServerWithoutTheVipIsCaughtByTheProbe() throws Exception {
        String vip6 = "2001:db8:98::100";
        for (String[] h : new String[][] {{"d", "1"}, {"c", "50"}, {"rs1", "21"}}) {
            net.exec(h[0], "ip", "-6", "addr", "add", "2001:db8:98::" + h[1] + "/64", "dev", "eth0", "nodad");
        }
        net.exec("d", "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
        net.exec("d", "ip", "-6", "route", "add", vip6 + "/128", "via", "2001:db8:98::21");
        net.exec("c", "ip", "-6", "route", "add", vip6 + "/128", "via", "2001:db8:98::1");
        servers.tcp(net.name("rs1"), "::", 8080, "rs1");
        Path conf = dir.resolve("d6.conf");
        Files.writeString(conf, """
                director { name = d }
                virtual-servers = [
                  { name = web6, address = "[%s]:8080", scheduler = wlc, forwarding = dr,
                    real-servers = [{ address = "[2001:db8:98::21]:8080" }] }
                ]
                """.formatted(vip6));
        assertThat(LabServers.request(net.name("c"), vip6, 8080, 6, 2_000)).as("through the VIP").startsWith("error: ");
        assertThat(LabServers.request(net.name("c"), "2001:db8:98::21", 8080, 6, 2_000))
                .as("the ordinary check, to the real server's address").isEqualTo("rs1 got 6 bytes");
        String mac = net.exec("rs1", "cat", "/sys/class/net/eth0/address").strip();
        Run bad = lvsd("d", "doctor", "-f", conf.toString(), "--checks", "real-servers", "--seconds", "0");
        assertThat(bad.code()).as(bad.out()).isEqualTo(1);
        assertThat(bad.out()).contains("fail  real server web6 2001:db8:98::21: through the VIP: a SYN for port 8080 of "
                + "the VIP, to its MAC " + mac + " on eth0: no answer in 1000 ms: VIP not configured on the real server",
                "fix: on 2001:db8:98::21: lvsd real-server setup --vip " + vip6 + " --forwarding dr");

        Run setup = lvsd("rs1", "real-server", "setup", "--vip", vip6, "--forwarding", "dr", "--state-file",
                dir.resolve("rs1-6.record").toString());
        assertThat(setup.code()).as(setup.out()).isZero();
        assertThat(LabServers.request(net.name("c"), vip6, 8080, 6, 2_000)).as("through the VIP")
                .isEqualTo("rs1 got 6 bytes");
        Run good = lvsd("d", "doctor", "-f", conf.toString(), "--checks", "real-servers", "--seconds", "0");
        assertThat(good.code()).as(good.out()).isZero();
        assertThat(good.out()).contains("ok    real server web6 2001:db8:98::21: through the VIP: a SYN for port 8080 of "
                + "the VIP, to its MAC " + mac + " on eth0: SYN-ACK from " + vip6 + ": it takes forwarded traffic");
    }

    @Test
    void aNatRealServerWhoseDefaultRouteBypassesTheDirector() throws Exception {
        Lab.requireCommand("nft", "nftables");
        // A second network for the client, so that replies must be routed; NAT as IPVS does it: the VIP rewritten.
        net.link("c2", "eth0", "lan", "10.98.0.60/24");
        net.exec("c2", "ip", "addr", "flush", "dev", "eth0");
        net.exec("c2", "ip", "addr", "add", "10.98.2.60/24", "dev", "eth0");
        net.exec("d", "ip", "addr", "add", "10.98.2.1/24", "dev", "eth0");
        net.exec("c2", "ip", "route", "add", "default", "via", "10.98.2.1");
        net.link("rs3", "eth0", "lan", "10.98.0.23/24");
        net.exec("rs3", "ip", "route", "add", "default", "via", "10.98.0.254"); // the fault: another gateway
        servers.tcp(net.name("rs3"), 80, "rs3");
        net.exec("d", "nft", "add table ip nat; add chain ip nat pre { type nat hook prerouting priority -100 ; };"
                + " add rule ip nat pre ip daddr " + NAT_VIP + " tcp dport 80 dnat to 10.98.0.23:80");
        String[] check = {"real-server", "check", "--vip", NAT_VIP, "--forwarding", "nat", "--director", "10.98.0.1"};

        assertThat(requestFrom("c2", NAT_VIP)).as("through the VIP").startsWith("error: ");
        Run bad = lvsd("rs3", check);
        assertThat(bad.code()).as(bad.out()).isEqualTo(1);
        assertThat(bad.out()).contains("fail  nat: default route: via 10.98.0.254 dev eth0",
                "fix: ip route replace default via 10.98.0.1");

        net.exec("rs3", "ip", "route", "replace", "default", "via", "10.98.0.1");
        assertThat(requestFrom("c2", NAT_VIP)).as("through the VIP").isEqualTo("rs3 got 6 bytes");
        Run good = lvsd("rs3", check);
        assertThat(good.code()).as(good.out()).isZero();
        assertThat(good.out()).contains("ok    nat: default route: via 10.98.0.1 dev eth0");
    }
}
