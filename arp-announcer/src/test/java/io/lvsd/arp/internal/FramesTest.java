package io.lvsd.arp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.testkit.Pcap;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The frames against keepalived 2.2.7's own (src/test/resources/fixtures, captured on a lab
 * bridge; the master's MAC is 42:41:e4:db:63:47): byte for byte, checksums included.
 */
class FramesTest {
    private static final byte[] MAC = HexFormat.ofDelimiter(":").parseHex("42:41:e4:db:63:47");

    private static List<byte[]> frames(String file, int etherType) throws Exception {
        return Pcap.frames(FramesTest.class, file).stream()
                .filter(f -> (((f[12] & 0xff) << 8) | (f[13] & 0xff)) == etherType).toList();
    }

    @Test
    void gratuitousArpIsByteForByteKeepalivedsAnnouncement() throws Exception {
        List<byte[]> arps = frames("/fixtures/vrrp2-pass.pcap", Frames.ETH_P_ARP);
        assertThat(arps).isNotEmpty();
        // 0x0000: ffff ffff ffff | 4241 e4db 6347 | 0806   <- broadcast, sender MAC, ARP
        //         0001 0800 06 04 0001                     <- Ethernet/IPv4, request
        //         4241 e4db 6347 0a63 0064                 <- sender MAC, sender IP 10.99.0.100
        //         ffff ffff ffff 0a63 0064                 <- target MAC broadcast, target IP = sender
        assertThat(Frames.gratuitousArp(MAC, (Inet4Address) IpAddresses.parse("10.99.0.100")))
                .isEqualTo(arps.get(0));
        assertThat(arps).anySatisfy(f -> assertThat(Frames.gratuitousArp(MAC,
                (Inet4Address) IpAddresses.parse("10.99.0.101"))).isEqualTo(f));
    }

    @Test
    void neighbourAdvertIsByteForByteKeepalivedsUnsolicitedAdvert() throws Exception {
        List<byte[]> nas = frames("/fixtures/vrrp3-ipv6.pcap", Frames.ETH_P_IPV6).stream()
                .filter(f -> f[20] == Frames.ICMPV6 && (f[54] & 0xff) == Frames.NEIGHBOR_ADVERTISEMENT).toList();
        assertThat(nas).hasSizeGreaterThanOrEqualTo(2);
        // 3333 0000 0001 | MAC | 86dd | 6000 0000 0020 3a ff | src=VIP | dst ff02::1
        // 88 00 <sum> 20 000000 <target> 02 01 <MAC>   <- NA, Override, TLLA option
        assertThat(Frames.unsolicitedNeighbourAdvert(MAC, (Inet6Address) IpAddresses.parse("fe80::52")))
                .isEqualTo(nas.get(0));
        assertThat(Frames.unsolicitedNeighbourAdvert(MAC, (Inet6Address) IpAddresses.parse("2001:db8:99::100")))
                .isEqualTo(nas.get(1));
    }

    @Test
    void neighbourAdvertChecksumVerifiesToZero() {
        byte[] f = Frames.unsolicitedNeighbourAdvert(MAC, (Inet6Address) IpAddresses.parse("2001:db8::7"));
        byte[] icmp = java.util.Arrays.copyOfRange(f, 54, f.length);
        byte[] src = java.util.Arrays.copyOfRange(f, 22, 38);
        // Summing a message with its checksum in place gives 0xffff, i.e. a complement of 0.
        assertThat(Frames.checksum(src, Frames.ALL_NODES, icmp)).isZero();
    }

    @Test
    void rejectsAMacThatIsNotEthernet() {
        assertThatThrownBy(() -> Frames.gratuitousArp(new byte[4], (Inet4Address) IpAddresses.parse("192.0.2.1")))
                .hasMessage("mac: 4 bytes (expected a 6-byte Ethernet address)");
    }
}
