package io.lvsd.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.InternetChecksum;
import io.lvsd.linux.net.IpAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class NeighbourProbeTest {
    static final byte[] MAC = NeighbourProbe.parseMac("02:00:00:00:00:11");

    @Test
    void anArpProbeAsksWithSenderAddressZero() {
        byte[] f = NeighbourProbe.arpProbe(MAC, (Inet4Address) IpAddresses.parse("10.0.0.100"));
        assertThat(HexFormat.of().formatHex(f)).isEqualTo("ffffffffffff" + "020000000011" + "0806"
                + "0001" + "0800" + "06" + "04" + "0001" + "020000000011" + "00000000" + "000000000000" + "0a000064");
    }

    @Test
    void onlyRepliesForTheAskedAddressCount() {
        Inet4Address vip = (Inet4Address) IpAddresses.parse("10.0.0.100");
        byte[] reply = HexFormat.of().parseHex("020000000011" + "020000000021" + "0806" + "0001" + "0800" + "06" + "04"
                + "0002" + "020000000021" + "0a000064" + "020000000011" + "00000000");
        assertThat(NeighbourProbe.arpAnswer(reply, reply.length, vip)).isEqualTo("02:00:00:00:00:21");
        assertThat(NeighbourProbe.arpAnswer(reply, reply.length, (Inet4Address) IpAddresses.parse("10.0.0.101"))).isNull();
        byte[] request = NeighbourProbe.arpProbe(MAC, vip); // our own probe, seen going out
        assertThat(NeighbourProbe.arpAnswer(request, request.length, vip)).isNull();
        assertThat(NeighbourProbe.arpAnswer(reply, 30, vip)).isNull();
    }

    @Test
    void aNeighbourSolicitationGoesToTheSolicitedNodeGroupWithAValidChecksum() {
        Inet6Address vip = (Inet6Address) IpAddresses.parse("2001:db8::1:2:3");
        byte[] f = NeighbourProbe.neighbourSolicitation(MAC, vip);
        assertThat(f).hasSize(78);
        assertThat(HexFormat.of().formatHex(f, 0, 6)).isEqualTo("3333ff020003");
        assertThat(HexFormat.of().formatHex(f, 38, 54)).isEqualTo("ff0200000000000000000001ff020003");
        byte[] icmp = Arrays.copyOfRange(f, 54, 78);
        long sum = InternetChecksum.sum(Arrays.copyOfRange(f, 22, 38)) + InternetChecksum.sum(Arrays.copyOfRange(f, 38, 54))
                + icmp.length + 58 + InternetChecksum.sum(icmp);
        assertThat(InternetChecksum.complement(sum)).as("checksum over the pseudo-header verifies").isZero();
    }

    @Test
    void aSolicitationFromOurAddressCarriesOurLinkLayerAddress() {
        Inet6Address target = (Inet6Address) IpAddresses.parse("2001:db8::21");
        Inet6Address us = (Inet6Address) IpAddresses.parse("2001:db8::1");
        byte[] f = NeighbourProbe.neighbourSolicitation(MAC, target, us);
        assertThat(f).hasSize(86);
        assertThat(Arrays.copyOfRange(f, 22, 38)).as("source").isEqualTo(us.getAddress());
        assertThat(((f[18] & 0xff) << 8) | (f[19] & 0xff)).as("payload length").isEqualTo(32);
        assertThat(Arrays.copyOfRange(f, 78, 86)).as("source link-layer address option")
                .isEqualTo(HexFormat.of().parseHex("0101" + HexFormat.of().formatHex(MAC)));
        byte[] icmp = Arrays.copyOfRange(f, 54, 86);
        long sum = InternetChecksum.sum(us.getAddress()) + InternetChecksum.sum(Arrays.copyOfRange(f, 38, 54))
                + icmp.length + 58 + InternetChecksum.sum(icmp);
        assertThat(InternetChecksum.complement(sum)).as("checksum over the pseudo-header verifies").isZero();
    }

    @Test
    void anAdvertisementNamesItsTargetLinkLayerAddress() {
        Inet6Address vip = (Inet6Address) IpAddresses.parse("2001:db8::100");
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 32);
        b.put(HexFormat.of().parseHex("333300000001" + "0200000000aa" + "86dd"));
        b.putInt(0x6000_0000).putShort((short) 32).put((byte) 58).put((byte) 255).put(vip.getAddress())
                .put(IpAddresses.parse("ff02::1").getAddress());
        b.put((byte) 136).put((byte) 0).putShort((short) 0).putInt(0x2000_0000).put(vip.getAddress())
                .put((byte) 2).put((byte) 1).put(HexFormat.of().parseHex("0200000000bb"));
        byte[] f = b.array();
        assertThat(NeighbourProbe.neighbourAnswer(f, f.length, vip)).isEqualTo("02:00:00:00:00:bb");
        assertThat(NeighbourProbe.neighbourAnswer(f, f.length, (Inet6Address) IpAddresses.parse("2001:db8::101"))).isNull();
        byte[] ns = NeighbourProbe.neighbourSolicitation(MAC, vip);
        assertThat(NeighbourProbe.neighbourAnswer(ns, ns.length, vip)).isNull();
    }
}
