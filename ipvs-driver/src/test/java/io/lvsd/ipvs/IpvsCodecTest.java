package io.lvsd.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.ipvs.internal.IpvsCodec;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.netlink.Netlink;
import io.lvsd.linux.netlink.NlBuilder;
import io.lvsd.linux.netlink.NlMessage;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** IPVS messages byte for byte, from the layouts in include/uapi/linux/ip_vs.h. */
class IpvsCodecTest {
    private static final ServiceKey WEB = new ServiceKey.Addr(Protocol.TCP,
            new InetSocketAddress(IpAddresses.parse("10.0.0.1"), 80));

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("<-[^\\n]*", "").replaceAll("\\s+", ""));
    }

    @Test
    void newServiceWithPersistence() {
        VirtualService v = VirtualService.of(WEB, "wlc").withPersistence(300, 0xFFFFFF00L);
        byte[] msg = IpvsCodec.putService(NlBuilder.request(0x23, Netlink.NLM_F_ACK).genl(IpvsCodec.CMD_NEW_SERVICE, 1), v, true)
                .build(1, 0);
        assertThat(msg).containsExactly(hex("""
                68000000 2300 0500 01000000 00000000   <- nlmsghdr: len 104, family 0x23, REQUEST|ACK, seq 1
                01 01 0000                             <- genl: IPVS_CMD_NEW_SERVICE, version 1
                5400 0100                              <- IPVS_CMD_ATTR_SERVICE (nested, 84 bytes)
                0600 0100 0200 0000                    <-   IPVS_SVC_ATTR_AF u16 AF_INET (2)
                0600 0200 0600 0000                    <-   IPVS_SVC_ATTR_PROTOCOL u16 IPPROTO_TCP (6)
                1400 0300 0a000001 000000000000000000000000   <- IPVS_SVC_ATTR_ADDR: 10.0.0.1 in a 16-byte nf_inet_addr
                0600 0400 0050 0000                    <-   IPVS_SVC_ATTR_PORT be16 80
                0800 0600 776c6300                     <-   IPVS_SVC_ATTR_SCHED_NAME "wlc"
                0c00 0700 01000000 ffffffff            <-   IPVS_SVC_ATTR_FLAGS { PERSISTENT, mask ~0 }
                0800 0800 2c010000                     <-   IPVS_SVC_ATTR_TIMEOUT u32 300
                0800 0900 ffffff00                     <-   IPVS_SVC_ATTR_NETMASK be32 255.255.255.0
                """));
    }

    @Test
    void newTunnelledDestination() {
        Destination d = new Destination(new InetSocketAddress(IpAddresses.parse("10.1.0.6"), 80), Forwarding.TUN, 3, 100, 50,
                new TunnelConfig(TunnelConfig.Type.GUE, 6080, TunnelConfig.Checksum.CSUM));
        NlBuilder b = IpvsCodec.putServiceKey(NlBuilder.request(0x23, Netlink.NLM_F_ACK).genl(IpvsCodec.CMD_NEW_DEST, 1), WEB);
        byte[] msg = IpvsCodec.putDest(b, d.address(), d, true).build(2, 0);
        byte[] dest = java.util.Arrays.copyOfRange(msg, 16 + 4 + 4 + 8 + 8 + 20 + 8, msg.length);
        assertThat(dest).containsExactly(hex("""
                6000 0200                              <- IPVS_CMD_ATTR_DEST (nested, 96 bytes)
                1400 0100 0a010006 000000000000000000000000   <- IPVS_DEST_ATTR_ADDR 10.1.0.6
                0600 0200 0050 0000                    <-   IPVS_DEST_ATTR_PORT be16 80
                0600 0b00 0200 0000                    <-   IPVS_DEST_ATTR_ADDR_FAMILY u16 AF_INET
                0800 0300 02000000                     <-   IPVS_DEST_ATTR_FWD_METHOD IP_VS_CONN_F_TUNNEL (2)
                0800 0400 03000000                     <-   IPVS_DEST_ATTR_WEIGHT 3
                0800 0500 64000000                     <-   IPVS_DEST_ATTR_U_THRESH 100
                0800 0600 32000000                     <-   IPVS_DEST_ATTR_L_THRESH 50
                0500 0d00 01 000000                    <-   IPVS_DEST_ATTR_TUN_TYPE u8 GUE (1)
                0600 0e00 17c0 0000                    <-   IPVS_DEST_ATTR_TUN_PORT be16 6080
                0600 0f00 0100 0000                    <-   IPVS_DEST_ATTR_TUN_FLAGS u16 CSUM (1)
                """));
    }

    @Test
    void parsesWhatItBuildsLikeAKernelDump() {
        VirtualService v = new VirtualService(new ServiceKey.Fwmark(io.lvsd.linux.net.IpFamily.IPV6, 7), "mh",
                VirtualService.SCHED1 | VirtualService.HASHED, 0, 128, null);
        byte[] msg = IpvsCodec.putService(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_SERVICE, 1), v, true)
                .build(3, 0);
        VirtualService back = IpvsCodec.parseService(NlMessage.parseAll(msg, msg.length).get(0).genlAttrs());
        assertThat(back).isEqualTo(v);
        assertThat(back.flags()).isEqualTo(VirtualService.SCHED1); // HASHED is the kernel's, never ours
    }

    @Test
    void valuesTheModelRejectsAreTheTypedErrorNamingTheAttribute() {
        // Found by IpvsCodecPropertyTest: these threw NullPointerException and IllegalArgumentException.
        byte[] empty = NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_SERVICE, 1).build(1, 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IpvsCodec.parseServiceStats(
                io.lvsd.linux.netlink.NlMessage.parseAll(empty, empty.length).get(0).genlAttrs()))
                .isInstanceOf(io.lvsd.linux.netlink.NetlinkProtocolException.class).hasMessageContaining("IPVS_CMD_ATTR_SERVICE");
        Destination d = Destination.of(new InetSocketAddress(IpAddresses.parse("10.1.0.6"), 80), Forwarding.DR, 1);
        byte[] bad = IpvsCodec.putDest(NlBuilder.request(0x23, Netlink.NLM_F_MULTI).genl(IpvsCodec.CMD_NEW_DEST, 1),
                d.address(), d.withWeight(0), true).build(2, 0);
        int at = indexOf(bad, new byte[] {8, 0, 3, 0, 3, 0, 0, 0}); // IPVS_DEST_ATTR_FWD_METHOD = 3 (DR)
        bad[at + 4] = 5; // no such forwarding method
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IpvsCodec.parseDest(
                io.lvsd.linux.netlink.NlMessage.parseAll(bad, bad.length).get(0).genlAttrs(),
                io.lvsd.linux.net.IpFamily.IPV4)).isInstanceOf(io.lvsd.linux.netlink.NetlinkProtocolException.class)
                .hasMessage("IPVS_CMD_ATTR_DEST: forwarding method: 5 (expected 0-4)");
    }

    private static int indexOf(byte[] b, byte[] what) {
        for (int i = 0; i + what.length <= b.length; i++) {
            if (java.util.Arrays.equals(java.util.Arrays.copyOfRange(b, i, i + what.length), what)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }
}
