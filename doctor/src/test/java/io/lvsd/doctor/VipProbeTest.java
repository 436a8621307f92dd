package io.lvsd.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.InternetChecksum;
import io.lvsd.linux.net.IpAddresses;
import java.net.Inet4Address;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VipProbeTest {
    static final Inet4Address US = (Inet4Address) IpAddresses.parse("10.0.0.1");
    static final Inet4Address REAL = (Inet4Address) IpAddresses.parse("10.0.0.21");
    static final Inet4Address VIP = (Inet4Address) IpAddresses.parse("10.0.0.100");
    static final byte[] MAC = NeighbourProbe.parseMac("02:00:00:00:00:01");

    @Test
    void theSynHasValidChecksums() {
        byte[] ip = VipProbe.ipv4(US, VIP, VipProbe.TCP, 0, VipProbe.tcp(US, VIP, 40000, 80, 7, 0, VipProbe.SYN));
        assertThat(InternetChecksum.complement(InternetChecksum.sum(Arrays.copyOf(ip, 20)))).as("IP header").isZero();
        byte[] tcp = Arrays.copyOfRange(ip, 20, 40);
        long sum = InternetChecksum.sum(US.getAddress()) + InternetChecksum.sum(VIP.getAddress()) + 6 + 20
                + InternetChecksum.sum(tcp);
        assertThat(InternetChecksum.complement(sum)).as("TCP over the pseudo-header").isZero();
        assertThat(tcp[13]).isEqualTo((byte) VipProbe.SYN);
    }

    /** A frame to us from {@code src}: TCP from port 80 to 40000 with {@code flags}. */
    static byte[] reply(Inet4Address src, int flags) {
        return VipProbe.frame(MAC, MAC, VipProbe.ipv4(src, US, VipProbe.TCP, 0, VipProbe.tcp(src, US, 80, 40000, 1, 8, flags)));
    }

    @Test
    void answersAreToldApartBySourceAndFlags() {
        assertThat(VipProbe.classify(reply(VIP, VipProbe.SYN | VipProbe.ACK), US, REAL, VIP, VipProbe.TCP, 40000, 80)
                .result().outcome()).isEqualTo(VipProbe.Outcome.OK);
        assertThat(VipProbe.classify(reply(VIP, VipProbe.RST | VipProbe.ACK), US, REAL, VIP, VipProbe.TCP, 40000, 80)
                .result().outcome()).isEqualTo(VipProbe.Outcome.REFUSED);
        assertThat(VipProbe.classify(reply(REAL, VipProbe.SYN | VipProbe.ACK), US, REAL, VIP, VipProbe.TCP, 40000, 80)
                .result().detail()).isEqualTo("SYN-ACK from 10.0.0.21");
        assertThat(VipProbe.classify(reply(REAL, VipProbe.SYN | VipProbe.ACK), US, REAL, VIP, VipProbe.TCP, 40000, 80)
                .result().outcome()).isEqualTo(VipProbe.Outcome.FROM_OWN_ADDRESS);
        // Another connection's packet, and our own SYN going out: not answers.
        assertThat(VipProbe.classify(reply(VIP, VipProbe.SYN | VipProbe.ACK), US, REAL, VIP, VipProbe.TCP, 40001, 80)).isNull();
        byte[] ours = VipProbe.frame(MAC, MAC, VipProbe.ipv4(US, VIP, VipProbe.TCP, 0, VipProbe.tcp(US, VIP, 40000, 80, 1, 0, VipProbe.SYN)));
        assertThat(VipProbe.classify(ours, US, REAL, VIP, VipProbe.TCP, 40000, 80)).isNull();
    }

    @Test
    void udpAnswersAndPortUnreachableFromTheVip() {
        byte[] u = VipProbe.udp(US, VIP, 40000, 53, "ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        long sum = InternetChecksum.sum(US.getAddress()) + InternetChecksum.sum(VIP.getAddress()) + 17 + u.length
                + InternetChecksum.sum(u);
        assertThat(InternetChecksum.complement(sum)).as("UDP over the pseudo-header").isZero();
        byte[] reply = VipProbe.frame(MAC, MAC, VipProbe.ipv4(VIP, US, VipProbe.UDP, 0, VipProbe.udp(VIP, US, 53, 40000, new byte[4])));
        assertThat(VipProbe.classify(reply, US, REAL, VIP, VipProbe.UDP, 40000, 53).result().outcome())
                .isEqualTo(VipProbe.Outcome.OK);
        byte[] original = VipProbe.ipv4(US, VIP, VipProbe.UDP, 0, u);
        byte[] icmp = new byte[8 + 28];
        icmp[0] = 3;
        icmp[1] = 3;
        System.arraycopy(original, 0, icmp, 8, 28);
        VipProbe.Result r = VipProbe.classify(VipProbe.frame(MAC, MAC, VipProbe.ipv4(VIP, US, VipProbe.ICMP, 0, icmp)),
                US, REAL, VIP, VipProbe.UDP, 40000, 53).result();
        assertThat(r.outcome()).isEqualTo(VipProbe.Outcome.REFUSED);
        assertThat(r.detail()).isEqualTo("ICMP port unreachable from 10.0.0.100");
    }

    @Test
    void anIcmpErrorAboutOurPacketCarriesTheMtu() {
        byte[] original = VipProbe.ipv4(US, REAL, VipProbe.IPIP, 0x4000, new byte[8]);
        byte[] icmp = new byte[8 + 28];
        icmp[0] = 3;
        icmp[1] = 4;
        icmp[6] = (byte) (1400 >>> 8);
        icmp[7] = (byte) (1400 & 0xff);
        System.arraycopy(original, 0, icmp, 8, 28);
        Inet4Address router = (Inet4Address) IpAddresses.parse("10.0.0.254");
        VipProbe.Result r = VipProbe.classify(VipProbe.frame(MAC, MAC, VipProbe.ipv4(router, US, VipProbe.ICMP, 0, icmp)),
                US, REAL, VIP, VipProbe.ICMP, 99, 0).result();
        assertThat(r.outcome()).isEqualTo(VipProbe.Outcome.UNREACHABLE);
        assertThat(r.mtu()).isEqualTo(1400);
        assertThat(r.detail()).isEqualTo("ICMP type 3 code 4 from 10.0.0.254 (next-hop MTU 1400)");
    }

    static final java.net.InetAddress US6 = IpAddresses.parse("2001:db8::1");
    static final java.net.InetAddress REAL6 = IpAddresses.parse("2001:db8::21");
    static final java.net.InetAddress VIP6 = IpAddresses.parse("2001:db8::100");

    @Test
    void theIpv6SynHasAValidChecksumAndHeader() {
        byte[] ip = VipProbe.ip(US6, VIP6, VipProbe.TCP, VipProbe.tcp(US6, VIP6, 40000, 80, 7, 0, VipProbe.SYN));
        assertThat(ip).hasSize(60);
        assertThat(ip[0] & 0xf0).as("version").isEqualTo(0x60);
        assertThat(((ip[4] & 0xff) << 8) | (ip[5] & 0xff)).as("payload length").isEqualTo(20);
        assertThat(ip[6]).as("next header").isEqualTo((byte) 6);
        assertThat(ip[7] & 0xff).as("hop limit").isEqualTo(64);
        assertThat(Arrays.copyOfRange(ip, 8, 24)).isEqualTo(US6.getAddress());
        assertThat(Arrays.copyOfRange(ip, 24, 40)).isEqualTo(VIP6.getAddress());
        byte[] tcp = Arrays.copyOfRange(ip, 40, 60);
        // RFC 8200 §8.1: source, destination, upper-layer length (32 bits), 3 zero bytes and the next header.
        long sum = InternetChecksum.sum(US6.getAddress()) + InternetChecksum.sum(VIP6.getAddress()) + 20 + 6
                + InternetChecksum.sum(tcp);
        assertThat(InternetChecksum.complement(sum)).as("TCP over the IPv6 pseudo-header").isZero();
        byte[] frame = VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6, ip);
        assertThat(((frame[12] & 0xff) << 8) | (frame[13] & 0xff)).isEqualTo(0x86DD);
    }

    /** A frame to us (IPv6) from {@code src}: TCP from port 80 to 40000 with {@code flags}. */
    static byte[] reply6(java.net.InetAddress src, int flags) {
        return VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6, VipProbe.ip(src, US6, VipProbe.TCP,
                VipProbe.tcp(src, US6, 80, 40000, 1, 8, flags)));
    }

    @Test
    void ipv6AnswersAreToldApartBySourceFlagsAndIcmpv6() {
        assertThat(VipProbe.classify6(reply6(VIP6, VipProbe.SYN | VipProbe.ACK), US6, VIP6, VipProbe.TCP, 40000, 80)
                .result().outcome()).isEqualTo(VipProbe.Outcome.OK);
        assertThat(VipProbe.classify6(reply6(VIP6, VipProbe.RST | VipProbe.ACK), US6, VIP6, VipProbe.TCP, 40000, 80)
                .result().outcome()).isEqualTo(VipProbe.Outcome.REFUSED);
        VipProbe.Result own = VipProbe.classify6(reply6(REAL6, VipProbe.SYN | VipProbe.ACK), US6, VIP6, VipProbe.TCP,
                40000, 80).result();
        assertThat(own.outcome()).isEqualTo(VipProbe.Outcome.FROM_OWN_ADDRESS);
        assertThat(own.detail()).isEqualTo("SYN-ACK from 2001:db8::21");
        assertThat(VipProbe.classify6(reply6(VIP6, VipProbe.SYN | VipProbe.ACK), US6, VIP6, VipProbe.TCP, 40001, 80))
                .as("another connection's").isNull();
        byte[] ours = VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6, VipProbe.ip(US6, VIP6, VipProbe.TCP,
                VipProbe.tcp(US6, VIP6, 40000, 80, 1, 0, VipProbe.SYN)));
        assertThat(VipProbe.classify6(ours, US6, VIP6, VipProbe.TCP, 40000, 80)).as("our own SYN").isNull();
        assertThat(VipProbe.classify6(reply(VIP, VipProbe.SYN | VipProbe.ACK), US6, VIP6, VipProbe.TCP, 40000, 80))
                .as("an IPv4 frame").isNull();

        // ICMPv6 about our UDP datagram: port unreachable from the VIP (RFC 4443 type 1 code 4), packet too big.
        byte[] original = VipProbe.ip(US6, VIP6, VipProbe.UDP, VipProbe.udp(US6, VIP6, 40000, 53, new byte[4]));
        byte[] unreach = new byte[8 + original.length];
        unreach[0] = 1;
        unreach[1] = 4;
        System.arraycopy(original, 0, unreach, 8, original.length);
        VipProbe.Result refused = VipProbe.classify6(VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6,
                VipProbe.ip(VIP6, US6, VipProbe.ICMPV6, unreach)), US6, VIP6, VipProbe.UDP, 40000, 53).result();
        assertThat(refused.outcome()).isEqualTo(VipProbe.Outcome.REFUSED);
        assertThat(refused.detail()).isEqualTo("ICMPv6 port unreachable from 2001:db8::100");
        byte[] tooBig = unreach.clone();
        tooBig[0] = 2;
        tooBig[1] = 0;
        tooBig[6] = (byte) (1280 >>> 8);
        tooBig[7] = (byte) (1280 & 0xff);
        java.net.InetAddress router = IpAddresses.parse("2001:db8::fe");
        VipProbe.Result big = VipProbe.classify6(VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6,
                VipProbe.ip(router, US6, VipProbe.ICMPV6, tooBig)), US6, VIP6, VipProbe.UDP, 40000, 53).result();
        assertThat(big.outcome()).isEqualTo(VipProbe.Outcome.UNREACHABLE);
        assertThat(big.mtu()).isEqualTo(1280);
        assertThat(big.detail()).isEqualTo("ICMPv6 type 2 code 0 from 2001:db8::fe (MTU 1280)");
        // About another datagram (other ports): not ours.
        byte[] other = VipProbe.ip(US6, VIP6, VipProbe.UDP, VipProbe.udp(US6, VIP6, 40001, 53, new byte[4]));
        System.arraycopy(other, 0, unreach, 8, other.length);
        assertThat(VipProbe.classify6(VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6,
                VipProbe.ip(VIP6, US6, VipProbe.ICMPV6, unreach)), US6, VIP6, VipProbe.UDP, 40000, 53)).isNull();
    }

    static Observed.Probe probe(String fwd, VipProbe.Result syn, VipProbe.Result small, VipProbe.Result large) {
        return new Observed.Probe("web", VIP, REAL, 80, fwd, "to its MAC 02:00:00:00:00:21 on eth0", syn, small, large,
                large == null ? 0 : 1500, null);
    }

    @Test
    void eachOutcomeIsAFindingWithItsFix() {
        Finding silent = DirectorChecks.realServers(List.of(probe("dr", VipProbe.Result.of(VipProbe.Outcome.SILENT,
                "no answer in 1000 ms"), null, null))).get(0);
        assertThat(silent.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(silent.evidence()).contains("VIP not configured on the real server");
        assertThat(silent.fix()).startsWith("on 10.0.0.21: lvsd real-server setup --vip 10.0.0.100 --forwarding dr");

        VipProbe.Result ok = VipProbe.Result.of(VipProbe.Outcome.OK, "SYN-ACK from 10.0.0.100");
        List<Finding> tun = DirectorChecks.realServers(List.of(probe("tun", ok, VipProbe.Result.of(VipProbe.Outcome.OK, "echo"),
                VipProbe.Result.of(VipProbe.Outcome.SILENT, "no answer in 1000 ms"))));
        assertThat(tun).extracting(Finding::verdict).containsExactly(Verdict.OK, Verdict.FAIL);
        assertThat(tun.get(1).evidence()).contains("a 1500-byte encapsulated echo (DF) got no answer in 1000 ms while a small"
                + " one came back", "small requests pass and large ones stall");
        List<Finding> icmp = DirectorChecks.realServers(List.of(probe("tun", ok, VipProbe.Result.of(VipProbe.Outcome.OK, "echo"),
                new VipProbe.Result(VipProbe.Outcome.UNREACHABLE, "ICMP type 3 code 4", 3, 4, 1400))));
        assertThat(icmp.get(1).verdict()).isEqualTo(Verdict.WARN);
        Observed.Probe none = new Observed.Probe("dns", VIP, REAL, 53, "dr", null, null, null, null, 0,
                "no probe: only TCP services are probed (a SYN); udp is not");
        Observed.Probe none2 = new Observed.Probe("dns", VIP, IpAddresses.parse("10.0.0.22"), 53, "dr", null, null, null,
                null, 0, "no probe: only TCP services are probed (a SYN); udp is not");
        List<Finding> udp = DirectorChecks.realServers(List.of(none, none2));
        assertThat(udp).hasSize(1);
        assertThat(udp.get(0).verdict()).isEqualTo(Verdict.UNDETERMINED);
        assertThat(udp.get(0).evidence()).isEqualTo("not probed (10.0.0.21, 10.0.0.22): only TCP services are probed (a SYN);"
                + " udp is not");
        // A tunnel that does not work: the MTU is not judged.
        // UDP: silence through the VIP proves something only when the real server answers the datagram itself.
        VipProbe.Result quiet = VipProbe.Result.of(VipProbe.Outcome.SILENT, "no answer in 1000 ms");
        Observed.Probe deaf = new Observed.Probe("dns", VIP, REAL, 53, "dr", "to its MAC", quiet, null, null, 0, null, quiet);
        assertThat(DirectorChecks.realServers(List.of(deaf)).get(0).verdict()).isEqualTo(Verdict.UNDETERMINED);
        Observed.Probe dropped = new Observed.Probe("dns", VIP, REAL, 53, "dr", "to its MAC", quiet, null, null, 0, null,
                VipProbe.Result.of(VipProbe.Outcome.OK, "a UDP reply from 10.0.0.21"));
        assertThat(DirectorChecks.realServers(List.of(dropped)).get(0).verdict()).isEqualTo(Verdict.FAIL);
        assertThat(DirectorChecks.realServers(List.of(probe("tun", VipProbe.Result.of(VipProbe.Outcome.SILENT, "no answer"),
                VipProbe.Result.of(VipProbe.Outcome.SILENT, "no answer"), VipProbe.Result.of(VipProbe.Outcome.SILENT, "x")))))
                .hasSize(1);
    }

    /** A TUN probe through {@code enc} whose SYN got {@code syn}, and (when the tunnel works) echoes {@code large}. */
    static Observed.Probe tun(java.net.InetAddress vip, java.net.InetAddress real, Encapsulation enc, VipProbe.Result syn,
                              VipProbe.Result large) {
        boolean v6 = real instanceof java.net.Inet6Address;
        return new Observed.Probe("web", vip, real, 80, "tun", "inside " + enc.describe(v6) + " to "
                + IpAddresses.text(real) + " via eth0", syn, large == null ? null : VipProbe.Result.of(VipProbe.Outcome.OK,
                "echo reply"), large, large == null ? 0 : 1500, null, null, enc);
    }

    @Test
    void aSilentTunnelNamesWhatItsTypeNeedsOnTheRealServer() {
        VipProbe.Result silent = VipProbe.Result.of(VipProbe.Outcome.SILENT, "no answer in 1000 ms");
        Encapsulation gue = new Encapsulation.Gue(5555, false);
        Finding g = DirectorChecks.realServers(List.of(tun(VIP, REAL, gue, silent, null))).get(0);
        assertThat(g.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(g.evidence()).isEqualTo("a SYN for port 80 of the VIP, inside GUE (port 5555) to 10.0.0.21 via eth0:"
                + " no answer in 1000 ms: nothing answers through the tunnel: the real server lacks a GUE receive port 5555"
                + " (the fou module and ip fou add port 5555 gue), or tunl0 up with the VIP (the ipip module), or drops"
                + " decapsulated packets by rp_filter");
        assertThat(g.fix()).isEqualTo("on 10.0.0.21: lvsd real-server setup --vip 10.0.0.100 --forwarding tun --tun-type"
                + " gue --tun-port 5555 (lvsd real-server check there says which part is missing)");
        // Port unreachable from the real server itself, about the UDP datagram: no GUE port.
        VipProbe.Result noPort = new VipProbe.Result(VipProbe.Outcome.UNREACHABLE, "ICMP type 3 code 3 from 10.0.0.21", 3,
                3, 0);
        assertThat(DirectorChecks.realServers(List.of(tun(VIP, REAL, gue, noPort, null))).get(0).evidence())
                .endsWith("nothing answers through the tunnel: nothing listens on UDP port 5555 there: the real server"
                        + " lacks a GUE receive port 5555 (the fou module and ip fou add port 5555 gue)");

        Finding gre = DirectorChecks.realServers(List.of(tun(VIP, REAL, new Encapsulation.Gre(false), noPort, null))).get(0);
        assertThat(gre.evidence()).endsWith("nothing answers through the tunnel: no GRE device up takes it: the real server"
                + " lacks gre0 up with the VIP (the ip_gre module), or drops decapsulated packets by rp_filter");
        assertThat(gre.fix()).startsWith("on 10.0.0.21: lvsd real-server setup --vip 10.0.0.100 --forwarding tun --tun-type"
                + " gre (");
        Finding greCsum = DirectorChecks.realServers(List.of(tun(VIP, REAL, new Encapsulation.Gre(true), silent, null)))
                .get(0);
        assertThat(greCsum.evidence()).contains("; and gre0 drops GRE packets that carry a checksum");
        assertThat(greCsum.fix()).startsWith("set tunnel.checksum = none for this real server in the director's"
                + " configuration, then on 10.0.0.21: lvsd real-server setup");

        Finding ipip = DirectorChecks.realServers(List.of(tun(VIP, REAL, Encapsulation.IPIP, noPort, null))).get(0);
        assertThat(ipip.evidence()).endsWith("ICMP type 3 code 3 from 10.0.0.21: nothing answers through the tunnel: no"
                + " tunnel device up takes it: the real server lacks tunl0 up with the VIP (the ipip module), or drops"
                + " decapsulated packets by rp_filter");
        assertThat(ipip.fix()).startsWith("on 10.0.0.21: lvsd real-server setup --vip 10.0.0.100 --forwarding tun (");

        Finding v6 = DirectorChecks.realServers(List.of(tun(VIP6, REAL6, Encapsulation.IPIP, silent, null))).get(0);
        assertThat(v6.evidence()).isEqualTo("a SYN for port 80 of the VIP, inside IPv6-in-IPv6 to 2001:db8::21 via eth0:"
                + " no answer in 1000 ms: nothing answers through the tunnel: the real server lacks ip6tnl0 up with the VIP"
                + " (the ip6_tunnel module)");
        assertThat(v6.fix()).startsWith("on 2001:db8::21: lvsd real-server setup --vip 2001:db8::100 --forwarding tun (");
        Finding gre6 = DirectorChecks.realServers(List.of(tun(VIP6, REAL6, new Encapsulation.Gre(false), silent, null)))
                .get(0);
        assertThat(gre6.evidence()).endsWith("the real server lacks ip6gre0 up with the VIP (the ip6_gre module)");
        Finding gue6 = DirectorChecks.realServers(List.of(tun(VIP6, REAL6, gue, silent, null))).get(0);
        assertThat(gue6.evidence()).endsWith("the real server lacks a GUE receive port 5555 (the fou module and ip fou add"
                + " port 5555 gue -6), or ip6tnl0 up with the VIP (the ip6_tunnel module)");
    }

    @Test
    void theMtuFindingNamesTheTunnelsOverheadAndClampsBeyondIt() {
        VipProbe.Result ok = VipProbe.Result.of(VipProbe.Outcome.OK, "SYN-ACK from the VIP");
        VipProbe.Result lost = VipProbe.Result.of(VipProbe.Outcome.SILENT, "no answer in 1000 ms");
        // IPIP over IPv4: 20 bytes of tunnel, 20 of inner IP, 20 of TCP, and 20 in hand.
        Finding ipip = DirectorChecks.realServers(List.of(tun(VIP, REAL, Encapsulation.IPIP, ok, lost))).get(1);
        assertThat(ipip.check()).isEqualTo("real server web 10.0.0.21: tunnel MTU");
        assertThat(ipip.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(ipip.fix()).isEqualTo("raise the path MTU to 10.0.0.21 to 1500 or more (IPIP adds 20 bytes), or clamp"
                + " the TCP MSS of the VIP's traffic on the director to 1420 or less");
        Finding gue = DirectorChecks.realServers(List.of(tun(VIP, REAL, new Encapsulation.Gue(5555, false), ok, lost)))
                .get(1);
        assertThat(gue.fix()).isEqualTo("raise the path MTU to 10.0.0.21 to 1500 or more (GUE (port 5555) adds 32 bytes"
                + " (IP 20, UDP 8, GUE 4)), or clamp the TCP MSS of the VIP's traffic on the director to 1408 or less");
        Finding gre = DirectorChecks.realServers(List.of(tun(VIP, REAL, new Encapsulation.Gre(true), ok, lost))).get(1);
        assertThat(gre.fix()).contains("(GRE with checksums adds 28 bytes (IP 20, GRE 8))", "to 1412 or less");
        Finding v6 = DirectorChecks.realServers(List.of(tun(VIP6, REAL6, Encapsulation.IPIP, ok, lost))).get(1);
        assertThat(v6.evidence()).startsWith("a 1500-byte encapsulated echo got no answer in 1000 ms");
        assertThat(v6.fix()).isEqualTo("raise the path MTU to 2001:db8::21 to 1500 or more (IPv6-in-IPv6 adds 40 bytes),"
                + " or clamp the TCP MSS of the VIP's traffic on the director to 1380 or less");
        // A router that says its MTU: the clamp is that MTU less the tunnel and the headers.
        VipProbe.Result tooBig = new VipProbe.Result(VipProbe.Outcome.UNREACHABLE, "ICMP type 3 code 4 from 10.0.0.254"
                + " (next-hop MTU 1400)", 3, 4, 1400);
        Finding warn = DirectorChecks.realServers(List.of(tun(VIP, REAL, new Encapsulation.Gue(5555, false), ok, tooBig)))
                .get(1);
        assertThat(warn.verdict()).isEqualTo(Verdict.WARN);
        assertThat(warn.fix()).endsWith("clamp the TCP MSS of the VIP's traffic to 1328 on the director");
    }
}
