package io.lvsd.vrrp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpAddresses;
import io.lvsd.testkit.Pcap;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The codec against keepalived 2.2.7's own adverts (src/test/resources/fixtures, captured on a
 * lab bridge): each decodes to the fields keepalived was configured with, and encoding those
 * fields gives back the same bytes, checksum included.
 */
class VrrpCodecTest {
    private static List<Pcap.Ip> adverts(String resource) throws Exception {
        return Pcap.ip(VrrpCodecTest.class, resource, VrrpCodec.PROTOCOL);
    }

    private static VrrpPacket decoded(Pcap.Ip ip, boolean pseudo) {
        VrrpCodec.Result r = VrrpCodec.decode(ip.payload(), ip.src(), ip.dst(), ip.ttl(), pseudo);
        assertThat(r).isInstanceOf(VrrpCodec.Decoded.class);
        return ((VrrpCodec.Decoded) r).packet();
    }

    private static VrrpCodec.Dropped dropped(byte[] msg, Pcap.Ip ip, int ttl, boolean pseudo) {
        VrrpCodec.Result r = VrrpCodec.decode(msg, ip.src(), ip.dst(), ttl, pseudo);
        assertThat(r).isInstanceOf(VrrpCodec.Dropped.class);
        return (VrrpCodec.Dropped) r;
    }

    @Test
    void keepalivedVrrpv2WithPasswordRoundTrips() throws Exception {
        List<Pcap.Ip> adverts = adverts("/fixtures/vrrp2-pass.pcap");
        Pcap.Ip first = adverts.get(0);
        assertThat(HexFormat.of().formatHex(first.payload())).isEqualTo(
                "21"       // version 2, type 1 (advertisement)
                + "33"     // VRID 51
                + "96"     // priority 150
                + "02"     // 2 addresses
                + "01"     // auth type 1: simple text password
                + "01"     // advert interval 1 s
                + "c4ed"   // checksum
                + "0a630064" + "0a630065"     // 10.99.0.100, 10.99.0.101
                + "7365637265743100");        // "secret1" NUL-padded to 8
        VrrpPacket p = decoded(first, true);
        assertThat(p).isEqualTo(new VrrpPacket(2, 51, 150, 1, List.of(IpAddresses.parse("10.99.0.100"),
                IpAddresses.parse("10.99.0.101")), VrrpCodec.AUTH_SIMPLE, VrrpCodec.password("secret1")));
        assertThat(first.ttl()).isEqualTo(255);
        assertThat(VrrpCodec.encode(p, first.src(), first.dst(), true)).containsExactly(first.payload());
    }

    @Test
    void keepalivedSendsPriorityZeroOnGracefulStop() throws Exception {
        List<VrrpPacket> ps = adverts("/fixtures/vrrp2-pass.pcap").stream().map(ip -> decoded(ip, true)).toList();
        assertThat(ps).anySatisfy(p -> assertThat(p.priority()).isZero());
        Pcap.Ip zero = adverts("/fixtures/vrrp2-pass.pcap").stream()
                .filter(ip -> (ip.payload()[2] & 0xff) == 0).findFirst().orElseThrow();
        assertThat(VrrpCodec.encode(decoded(zero, true), zero.src(), zero.dst(), true)).containsExactly(zero.payload());
    }

    @Test
    void keepalivedVrrpv3OverIpv4ChecksumsThePseudoHeader() throws Exception {
        Pcap.Ip first = adverts("/fixtures/vrrp3.pcap").get(0);
        VrrpPacket p = decoded(first, true);
        assertThat(p).isEqualTo(new VrrpPacket(3, 51, 150, 100, List.of(IpAddresses.parse("10.99.0.100"),
                IpAddresses.parse("10.99.0.101")), 0, null));
        assertThat(VrrpCodec.encode(p, first.src(), first.dst(), true)).containsExactly(first.payload());
        // Without the pseudo-header the same bytes do not check out: keepalived's default includes it.
        assertThat(dropped(first.payload(), first, 255, false).reason()).isEqualTo(DropReason.CHECKSUM_ERROR);
    }

    @Test
    void keepalivedVrrpv3OverIpv6RoundTrips() throws Exception {
        Pcap.Ip first = adverts("/fixtures/vrrp3-ipv6.pcap").get(0);
        VrrpPacket p = decoded(first, true);
        assertThat(p.vrid()).isEqualTo(52);
        assertThat(p.interval()).isEqualTo(50); // 0.5 s in centiseconds
        assertThat(p.addresses()).extracting(IpAddresses::text).containsExactly("fe80::52", "2001:db8:99::100");
        assertThat(first.dst()).isEqualTo(InetAddress.getByName("ff02::12"));
        assertThat(VrrpCodec.encode(p, first.src(), first.dst(), true)).containsExactly(first.payload());
    }

    @Test
    void everyCaptureDecodes() throws Exception {
        for (String f : List.of("/fixtures/vrrp2-pass.pcap", "/fixtures/vrrp3.pcap", "/fixtures/vrrp3-ipv6.pcap")) {
            for (Pcap.Ip ip : adverts(f)) {
                assertThat(VrrpCodec.decode(ip.payload(), ip.src(), ip.dst(), ip.ttl(), true)).as(f)
                        .isInstanceOf(VrrpCodec.Decoded.class);
            }
        }
    }

    @Test
    void hostilePacketsAreDroppedWithANamedReason() throws Exception {
        Pcap.Ip ip = adverts("/fixtures/vrrp3.pcap").get(0);
        byte[] good = ip.payload();
        assertThat(dropped(good, ip, 64, true).reason()).isEqualTo(DropReason.IP_TTL_ERROR);
        assertThat(dropped(Arrays.copyOf(good, 5), ip, 255, true).reason()).isEqualTo(DropReason.PACKET_LENGTH_ERROR);
        assertThat(dropped(Arrays.copyOf(good, 12), ip, 255, true).detail())
                .isEqualTo("length 12 with 2 address(es) (expected 16)");
        byte[] corrupt = good.clone();
        corrupt[9] ^= 1;
        assertThat(dropped(corrupt, ip, 255, true).reason()).isEqualTo(DropReason.CHECKSUM_ERROR);
        byte[] v4 = good.clone();
        v4[0] = 0x41;
        assertThat(dropped(v4, ip, 255, true).detail()).isEqualTo("version 4 (expected 2 or 3)");
        byte[] type2 = good.clone();
        type2[0] = 0x32;
        assertThat(dropped(type2, ip, 255, true).reason()).isEqualTo(DropReason.INVALID_TYPE);
        byte[] noAddrs = good.clone();
        noAddrs[3] = 0;
        assertThat(dropped(noAddrs, ip, 255, true).reason()).isEqualTo(DropReason.PACKET_LENGTH_ERROR);
    }
}
