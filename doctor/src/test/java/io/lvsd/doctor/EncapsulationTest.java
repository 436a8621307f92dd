package io.lvsd.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.InternetChecksum;
import io.lvsd.linux.net.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * What the probe sends a TUN real server, byte for byte as IPVS would (ip_vs_tunnel_xmit / _v6, ipvs_gue_encap,
 * ipvs_gre_encap): each tunnel type and family against golden hex, a comment on every field.
 */
class EncapsulationTest {
    static final Inet4Address US = (Inet4Address) IpAddresses.parse("10.0.0.1");
    static final Inet4Address REAL = (Inet4Address) IpAddresses.parse("10.0.0.21");
    static final Inet4Address VIP = (Inet4Address) IpAddresses.parse("10.0.0.100");
    static final InetAddress US6 = IpAddresses.parse("2001:db8::1");
    static final InetAddress REAL6 = IpAddresses.parse("2001:db8::21");
    static final InetAddress VIP6 = IpAddresses.parse("2001:db8::100");
    static final byte[] MAC = NeighbourProbe.parseMac("02:00:00:00:00:01");

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** An inner IPv4 packet, headers only: what the encapsulation carries unread, but for its version. */
    static final byte[] INNER4 = hex(""
            + "45 00 0014"          // version 4, IHL 5; DSCP/ECN 0; total length 20
            + "0001 0000"           // identification 1; no flags, fragment offset 0
            + "40 06 667f"          // TTL 64; protocol 6 (TCP); header checksum
            + "0a000001 0a000064"); // 10.0.0.1 (the director) -> 10.0.0.100 (the VIP)

    /** An inner IPv6 packet, header only. */
    static final byte[] INNER6 = hex(""
            + "60000000"                          // version 6, traffic class 0, flow label 0
            + "0000 3b 40"                        // payload length 0; next header 59 (none); hop limit 64
            + "20010db8000000000000000000000001"  // 2001:db8::1 (the director)
            + "20010db8000000000000000000000100"); // 2001:db8::100 (the VIP)

    static byte[] tail(byte[] packet, int from) {
        return Arrays.copyOfRange(packet, from, packet.length);
    }

    @Test
    void ipipOverIpv4IsTheInnerPacketBehindA20ByteHeader() {
        byte[] p = VipProbe.encapsulate(Encapsulation.IPIP, US, REAL, INNER4, VipProbe.DF, 0x1234, 0);
        assertThat(Arrays.copyOf(p, 20)).isEqualTo(hex(""
                + "45 00 0028"           // version 4, IHL 5; DSCP/ECN 0; total length 40 (20 + the inner 20)
                + "1234 4000"            // identification; DF (the echo's), fragment offset 0
                + "40 04 1489"           // TTL 64; protocol 4 (IPIP); header checksum
                + "0a000001 0a000015")); // 10.0.0.1 (the director) -> 10.0.0.21 (the real server)
        assertThat(tail(p, 20)).isEqualTo(INNER4);
        assertThat(InternetChecksum.complement(InternetChecksum.sum(Arrays.copyOf(p, 20)))).as("outer checksum").isZero();
        assertThat(Encapsulation.IPIP.overhead(false)).isEqualTo(20);
    }

    @Test
    void ipv6InIpv6IsTheInnerPacketBehindA40ByteHeaderWithNextHeader41() {
        byte[] p = VipProbe.encapsulate(Encapsulation.IPIP, US6, REAL6, INNER6, VipProbe.DF, 0x1234, 0);
        assertThat(Arrays.copyOf(p, 40)).isEqualTo(hex(""
                + "60000000"                           // version 6, traffic class 0, flow label 0
                + "0028 29 40"                         // payload length 40 (the inner packet); next header 41
                                                       // (IPv6); hop limit 64. DF means nothing to IPv6.
                + "20010db8000000000000000000000001"   // 2001:db8::1 (the director)
                + "20010db8000000000000000000000021")); // 2001:db8::21 (the real server)
        assertThat(tail(p, 40)).isEqualTo(INNER6);
        assertThat(Encapsulation.IPIP.overhead(true)).isEqualTo(40);
        assertThat(Encapsulation.IPIP.describe(true)).isEqualTo("IPv6-in-IPv6");
    }

    @Test
    void gueOverIpv4IsAUdpDatagramToThePortWithAFourByteGueHeader() {
        Encapsulation gue = new Encapsulation.Gue(5555, false);
        byte[] p = VipProbe.encapsulate(gue, US, REAL, INNER4, 0, 0x1234, 40000);
        assertThat(Arrays.copyOf(p, 32)).isEqualTo(hex(""
                + "45 00 0034"           // version 4, IHL 5; total length 52 (20 + 8 UDP + 4 GUE + 20)
                + "1234 0000"            // identification; no flags
                + "40 11 5470"           // TTL 64; protocol 17 (UDP); header checksum
                + "0a000001 0a000015"    // 10.0.0.1 -> 10.0.0.21
                + "9c40 15b3"            // UDP source port 40000; destination port 5555 (the tunnel's port)
                + "0020 0000"            // UDP length 32 (8 + 4 + 20); checksum 0: the tunnel asks for none
                + "00"                   // GUE: C 0 (data), version 0, hlen 0 (no options)
                + "04"                   // proto/ctype 4: the inner packet is IPv4 (IPIP)
                + "0000"));              // flags 0
        assertThat(tail(p, 32)).isEqualTo(INNER4);
        assertThat(gue.overhead(false)).isEqualTo(32);
        assertThat(gue.describe(false)).isEqualTo("GUE (port 5555)");
    }

    @Test
    void gueOverIpv6WithChecksumsCarriesTheUdpChecksum() {
        Encapsulation gue = new Encapsulation.Gue(5555, true);
        byte[] p = VipProbe.encapsulate(gue, US6, REAL6, INNER6, 0, 0, 40000);
        assertThat(Arrays.copyOf(p, 52)).isEqualTo(hex(""
                + "60000000"                          // version 6
                + "0034 11 40"                        // payload length 52 (8 UDP + 4 GUE + 40); next header 17
                                                      // (UDP); hop limit 64
                + "20010db8000000000000000000000001"  // 2001:db8::1
                + "20010db8000000000000000000000021"  // 2001:db8::21
                + "9c40 15b3"                         // UDP 40000 -> 5555
                + "0034 fa21"                         // UDP length 52; checksum (the csum option)
                + "00 29 0000"));                     // GUE: version 0, hlen 0; proto/ctype 41 (IPv6); flags 0
        assertThat(tail(p, 52)).isEqualTo(INNER6);
        long sum = InternetChecksum.sum(US6.getAddress()) + InternetChecksum.sum(REAL6.getAddress()) + 52 + 17
                + InternetChecksum.sum(tail(p, 40));
        assertThat(InternetChecksum.complement(sum)).as("UDP over the IPv6 pseudo-header").isZero();
        assertThat(gue.overhead(true)).isEqualTo(52);
    }

    @Test
    void greOverIpv4CarriesTheEtherTypeAndWithChecksumsTheChecksumWord() {
        byte[] plain = VipProbe.encapsulate(new Encapsulation.Gre(false), US, REAL, INNER4, 0, 0x1234, 0);
        assertThat(Arrays.copyOf(plain, 24)).isEqualTo(hex(""
                + "45 00 002c"           // total length 44 (20 + 4 GRE + 20)
                + "1234 0000"            // identification; no flags
                + "40 2f 545a"           // TTL 64; protocol 47 (GRE); header checksum
                + "0a000001 0a000015"    // 10.0.0.1 -> 10.0.0.21
                + "0000"                 // GRE: no C, K or S bit; version 0
                + "0800"));              // protocol type 0x0800: IPv4
        assertThat(tail(plain, 24)).isEqualTo(INNER4);

        byte[] csum = VipProbe.encapsulate(new Encapsulation.Gre(true), US, REAL, INNER4, 0, 0x1234, 0);
        assertThat(Arrays.copyOf(csum, 28)).isEqualTo(hex(""
                + "45 00 0030"           // total length 48 (20 + 8 GRE + 20)
                + "1234 0000"
                + "40 2f 5456"           // protocol 47; header checksum
                + "0a000001 0a000015"
                + "8000"                 // GRE: C (checksum present); version 0
                + "0800"                 // protocol type IPv4
                + "77ff"                 // checksum over the GRE header and the inner packet (RFC 2784 §2.5)
                + "0000"));              // reserved1
        assertThat(tail(csum, 28)).isEqualTo(INNER4);
        assertThat(InternetChecksum.complement(InternetChecksum.sum(tail(csum, 20)))).as("GRE checksum").isZero();
        assertThat(new Encapsulation.Gre(false).overhead(false)).isEqualTo(24);
        assertThat(new Encapsulation.Gre(true).overhead(false)).isEqualTo(28);
    }

    @Test
    void greOverIpv6CarriesTheIpv6EtherType() {
        byte[] p = VipProbe.encapsulate(new Encapsulation.Gre(false), US6, REAL6, INNER6, 0, 0, 0);
        assertThat(Arrays.copyOf(p, 44)).isEqualTo(hex(""
                + "60000000"
                + "002c 2f 40"                        // payload length 44 (4 GRE + 40); next header 47 (GRE)
                + "20010db8000000000000000000000001"
                + "20010db8000000000000000000000021"
                + "0000 86dd"));                      // GRE: no flags, version 0; protocol type 0x86DD: IPv6
        assertThat(tail(p, 44)).isEqualTo(INNER6);
        assertThat(new Encapsulation.Gre(false).overhead(true)).isEqualTo(44);
    }

    @Test
    void tunnelTypesAreReadAsTheConfigurationSpellsThem() {
        assertThat(Encapsulation.of("ipip", 0, false)).isSameAs(Encapsulation.IPIP);
        assertThat(Encapsulation.of("gue", 5555, true)).isEqualTo(new Encapsulation.Gue(5555, true));
        assertThat(Encapsulation.of("gre", 0, true)).isEqualTo(new Encapsulation.Gre(true));
        assertThatThrownBy(() -> Encapsulation.of("vxlan", 0, false))
                .hasMessage("tunnel type: vxlan (expected ipip, gue or gre)");
        assertThatThrownBy(() -> new Encapsulation.Gue(0, false)).hasMessage("port: 0 (expected 1-65535 for gue)");
    }

    @Test
    void theEchoFillsThePacketToTheSizeAskedAndChecksumsRight() {
        byte[] v4 = VipProbe.echo(US, VIP, 0x4242, 1500 - 32);
        assertThat(v4).hasSize(1468);
        assertThat(v4[6] & 0xff).as("inner DF").isEqualTo(0x40);
        assertThat(InternetChecksum.complement(InternetChecksum.sum(tail(v4, 20)))).as("ICMP checksum").isZero();
        assertThat(VipProbe.encapsulate(new Encapsulation.Gue(5555, false), US, REAL, v4, VipProbe.DF, 40000))
                .as("the full-size GUE probe").hasSize(1500);

        byte[] v6 = VipProbe.echo(US6, VIP6, 0x4242, 1500 - 40);
        assertThat(v6).hasSize(1460);
        assertThat(v6[6]).as("next header 58").isEqualTo((byte) 58);
        assertThat(v6[40] & 0xff).as("echo request").isEqualTo(128);
        byte[] icmp = tail(v6, 40);
        long sum = InternetChecksum.sum(US6.getAddress()) + InternetChecksum.sum(VIP6.getAddress()) + icmp.length + 58
                + InternetChecksum.sum(icmp);
        assertThat(InternetChecksum.complement(sum)).as("ICMPv6 over the pseudo-header (RFC 4443 §2.3)").isZero();
        assertThat(VipProbe.encapsulate(Encapsulation.IPIP, US6, REAL6, v6, 0, 0)).hasSize(1500);
    }

    /** An ICMP error from {@code from} quoting {@code original} (as much as the kernel quotes, here all of it). */
    static byte[] icmpError(Inet4Address from, int type, int code, byte[] original) {
        byte[] icmp = new byte[8 + original.length];
        icmp[0] = (byte) type;
        icmp[1] = (byte) code;
        System.arraycopy(original, 0, icmp, 8, original.length);
        return VipProbe.frame(MAC, MAC, VipProbe.ipv4(from, US, VipProbe.ICMP, 0, icmp));
    }

    @Test
    void anIcmpErrorAboutTheTunnelPacketIsAboutTheProbe() {
        byte[] syn = VipProbe.ip(US, VIP, VipProbe.TCP, VipProbe.tcp(US, VIP, 40000, 80, 7, 0, VipProbe.SYN));
        Encapsulation gue = new Encapsulation.Gue(5555, false);
        // No GUE port on the real server: its UDP answers port unreachable, quoting the tunnel packet.
        byte[] noPort = icmpError(REAL, 3, 3, VipProbe.encapsulate(gue, US, REAL, syn, 0, 40000));
        VipProbe.Result r = VipProbe.classify(noPort, US, REAL, VIP, VipProbe.TCP, 40000, 80, gue).result();
        assertThat(r.outcome()).isEqualTo(VipProbe.Outcome.UNREACHABLE);
        assertThat(r.detail()).isEqualTo("ICMP type 3 code 3 from 10.0.0.21");
        // The same to another GUE port, or about another connection inside: not this probe's.
        assertThat(VipProbe.classify(noPort, US, REAL, VIP, VipProbe.TCP, 40000, 80, new Encapsulation.Gue(6080, false)))
                .isNull();
        assertThat(VipProbe.classify(noPort, US, REAL, VIP, VipProbe.TCP, 40001, 80, gue)).isNull();
        // GRE, with the checksum word before the inner packet.
        Encapsulation gre = new Encapsulation.Gre(true);
        byte[] greDown = icmpError(REAL, 3, 3, VipProbe.encapsulate(gre, US, REAL, syn, 0, 0));
        assertThat(VipProbe.classify(greDown, US, REAL, VIP, VipProbe.TCP, 40000, 80, gre).result().outcome())
                .isEqualTo(VipProbe.Outcome.UNREACHABLE);
        assertThat(VipProbe.classify(greDown, US, REAL, VIP, VipProbe.TCP, 40001, 80, gre)).isNull();
        // A quote cut inside the tunnel header: too short to tell, taken as ours.
        byte[] cut = Arrays.copyOf(VipProbe.encapsulate(gue, US, REAL, syn, 0, 40000), 28);
        assertThat(VipProbe.classify(icmpError(REAL, 3, 3, cut), US, REAL, VIP, VipProbe.TCP, 40000, 80, gue)).isNotNull();
    }

    @Test
    void ipv6TunnelErrorsAndEchoRepliesAreToldApart() {
        byte[] syn = VipProbe.ip(US6, VIP6, VipProbe.TCP, VipProbe.tcp(US6, VIP6, 40000, 80, 7, 0, VipProbe.SYN));
        // ip6tnl0 down: tunnel6 answers port unreachable (RFC 4443 type 1 code 4) about the outer packet.
        byte[] outer = VipProbe.encapsulate(Encapsulation.IPIP, US6, REAL6, syn, 0, 0);
        byte[] unreach = new byte[8 + outer.length];
        unreach[0] = 1;
        unreach[1] = 4;
        System.arraycopy(outer, 0, unreach, 8, outer.length);
        byte[] frame = VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6, VipProbe.ip(REAL6, US6, VipProbe.ICMPV6, unreach));
        VipProbe.Result r = VipProbe.classify6(frame, US6, REAL6, VIP6, VipProbe.TCP, 40000, 80, Encapsulation.IPIP)
                .result();
        assertThat(r.outcome()).isEqualTo(VipProbe.Outcome.UNREACHABLE);
        assertThat(r.icmpType()).isEqualTo(1);
        assertThat(r.detail()).isEqualTo("ICMPv6 type 1 code 4 from 2001:db8::21");
        assertThat(VipProbe.classify6(frame, US6, VIP6, VipProbe.TCP, 40000, 80)).as("DR: no tunnel to look into").isNull();

        // The echo's reply, from the VIP.
        byte[] reply = new byte[8];
        reply[0] = (byte) 129;
        reply[4] = 0x42;
        reply[5] = 0x42;
        byte[] echo = VipProbe.frame(MAC, MAC, VipProbe.ETH_P_IPV6, VipProbe.ip(VIP6, US6, VipProbe.ICMPV6, reply));
        VipProbe.Result ok = VipProbe.classify6(echo, US6, REAL6, VIP6, VipProbe.ICMPV6, 0x4242, 0, Encapsulation.IPIP)
                .result();
        assertThat(ok.outcome()).isEqualTo(VipProbe.Outcome.OK);
        assertThat(ok.detail()).isEqualTo("echo reply from 2001:db8::100");
        assertThat(VipProbe.classify6(echo, US6, REAL6, VIP6, VipProbe.ICMPV6, 0x4243, 0, Encapsulation.IPIP))
                .as("another echo").isNull();
    }
}
