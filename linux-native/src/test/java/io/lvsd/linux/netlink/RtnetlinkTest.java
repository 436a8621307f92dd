package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.linux.net.IpPrefix;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The address requests a takeover sends, built without a socket. */
class RtnetlinkTest {
    private static NlMessage only(NlBuilder request) {
        byte[] b = request.build(7, 0);
        List<NlMessage> all = NlMessage.parseAll(b, b.length);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private static NlAttrs attrs(NlMessage m) {
        ByteBuffer p = m.payload().duplicate();
        p.position(p.position() + 8); // struct ifaddrmsg
        return NlAttrs.parse(p.slice());
    }

    @Test
    void anIpv4AddressCarriesItsLabelAndAsksForAnAck() {
        NlMessage m = only(Rtnetlink.addAddressRequest(4, IpPrefix.parse("10.96.0.100/24"), "eth0:vrrp51"));
        assertThat(m.type()).isEqualTo(Rtnetlink.RTM_NEWADDR);
        assertThat(m.flags()).isEqualTo(Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE
                | Netlink.NLM_F_EXCL);
        assertThat(m.seq()).isEqualTo(7);
        ByteBuffer ifa = m.payload().duplicate();
        assertThat(ifa.get(ifa.position())).as("family").isEqualTo((byte) 2);
        assertThat(ifa.get(ifa.position() + 1)).as("prefix length").isEqualTo((byte) 24);
        assertThat(ifa.order(java.nio.ByteOrder.nativeOrder()).getInt(ifa.position() + 4)).as("ifindex").isEqualTo(4);
        NlAttrs a = attrs(m);
        assertThat(a.be32(Rtnetlink.IFA_LOCAL, 0)).isEqualTo(0x0a600064L);
        assertThat(a.be32(Rtnetlink.IFA_ADDRESS, 0)).isEqualTo(0x0a600064L);
        assertThat(a.u32(Rtnetlink.IFA_FLAGS, -1)).isZero();
        ByteBuffer label = a.get(Rtnetlink.IFA_LABEL);
        byte[] text = new byte[label.remaining()];
        label.duplicate().get(text);
        assertThat(new String(text, StandardCharsets.US_ASCII)).isEqualTo("eth0:vrrp51\0");
    }

    @Test
    void anIpv6AddressSkipsDuplicateAddressDetectionAndHasNoLabel() {
        NlMessage m = only(Rtnetlink.addAddressRequest(4, IpPrefix.parse("fd00:96::100/64"), "eth0:vrrp51"));
        NlAttrs a = attrs(m);
        assertThat(a.u32(Rtnetlink.IFA_FLAGS, -1)).isEqualTo(Rtnetlink.IFA_F_NODAD);
        assertThat(a.has(Rtnetlink.IFA_LABEL)).isFalse();
        assertThat(a.has(Rtnetlink.IFA_LOCAL)).isTrue();
    }

    @Test
    void anAddressWithAPrefixLongerThanItsFamilyIsTheTypedError() {
        // Found by NetlinkPropertyTest: an IPv4 RTM_NEWADDR claiming /64 threw IllegalArgumentException.
        byte[] b = Rtnetlink.addAddressRequest(4, IpPrefix.parse("10.96.0.100/24"), "eth0:vrrp51").build(1, 0);
        b[16 + 1] = 64;
        NlMessage m = NlMessage.parseAll(b, b.length).get(0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Rtnetlink.parseAddress(m))
                .isInstanceOf(NetlinkProtocolException.class).hasMessage("ifaddrmsg: prefix length 64 (expected 0-32)");
        b[16] = 7;
        NlMessage other = NlMessage.parseAll(b, b.length).get(0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Rtnetlink.parseAddress(other))
                .isInstanceOf(NetlinkProtocolException.class).hasMessageContaining("family 7");
    }

    @Test
    void anErrorWhoseEchoedLengthIsImpossibleHasNoExtendedAckMessage() {
        // Found by NetlinkPropertyTest: a negative original length threw IllegalArgumentException.
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(40).order(java.nio.ByteOrder.nativeOrder());
        b.putInt(40).putShort((short) Netlink.NLMSG_ERROR).putShort((short) Netlink.NLM_F_ACK_TLVS).putInt(1).putInt(0)
                .putInt(-22).putInt(-65536);
        NlMessage m = NlMessage.parseAll(b.array(), 40).get(0);
        assertThat(m.error()).isEqualTo(-22);
        assertThat(m.extAckMessage()).isNull();
    }

    @Test
    void aRouteInATableBeyond255CarriesItsIdInRtaTableAndParsesBack() {
        Rtnetlink.Route r = new Rtnetlink.Route(IpPrefix.parse("192.0.2.10/32"), 4242, 245, Rtnetlink.RTN_BLACKHOLE,
                0, 0);
        NlMessage m = only(Rtnetlink.routeRequest(Rtnetlink.RTM_NEWROUTE, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK
                | Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, r));
        assertThat(m.type()).isEqualTo(Rtnetlink.RTM_NEWROUTE);
        ByteBuffer rt = m.payload().duplicate();
        int at = rt.position();
        assertThat(rt.get(at)).as("family").isEqualTo((byte) 2);
        assertThat(rt.get(at + 1)).as("dst_len").isEqualTo((byte) 32);
        assertThat(rt.get(at + 4) & 0xff).as("table: RT_TABLE_COMPAT").isEqualTo(252);
        assertThat(rt.get(at + 5) & 0xff).as("protocol").isEqualTo(245);
        assertThat(rt.get(at + 7) & 0xff).as("type").isEqualTo(Rtnetlink.RTN_BLACKHOLE);
        ByteBuffer p = m.payload().duplicate();
        p.position(p.position() + 12);
        NlAttrs a = NlAttrs.parse(p.slice());
        assertThat(a.u32(Rtnetlink.RTA_TABLE, 0)).isEqualTo(4242);
        assertThat(a.be32(Rtnetlink.RTA_DST, 0)).isEqualTo(0xc000020aL);
        assertThat(a.has(Rtnetlink.RTA_OIF)).isFalse();
        assertThat(Rtnetlink.parseRoute(m)).isEqualTo(r);
    }

    @Test
    void aLocalIpv6RouteKeepsItsInterfaceAndScope() {
        Rtnetlink.Route r = new Rtnetlink.Route(IpPrefix.parse("2001:db8::10/128"), Rtnetlink.RT_TABLE_LOCAL, 245,
                Rtnetlink.RTN_LOCAL, Rtnetlink.RT_SCOPE_HOST, 1);
        NlMessage m = only(Rtnetlink.routeRequest(Rtnetlink.RTM_DELROUTE, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, r));
        assertThat(m.payload().get(m.payload().position() + 4) & 0xff).as("table").isEqualTo(255);
        assertThat(Rtnetlink.parseRoute(m)).isEqualTo(r);
        assertThat(r.toString()).isEqualTo("local 2001:db8::10/128 dev #1 table 255 proto 245");
    }

    @Test
    void aRouteWithAnImpossibleDestinationLengthIsTheTypedError() {
        byte[] b = Rtnetlink.routeRequest(Rtnetlink.RTM_NEWROUTE, Netlink.NLM_F_REQUEST, new Rtnetlink.Route(
                IpPrefix.parse("192.0.2.10/32"), 4242, 245, Rtnetlink.RTN_BLACKHOLE, 0, 0)).build(1, 0);
        b[16 + 1] = 33;
        NlMessage m = NlMessage.parseAll(b, b.length).get(0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Rtnetlink.parseRoute(m))
                .isInstanceOf(NetlinkProtocolException.class).hasMessage("rtmsg: destination length 33 (expected 0-32)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Rtnetlink.Route(IpPrefix.parse("192.0.2.10/32"),
                252, 245, Rtnetlink.RTN_BLACKHOLE, 0, 0)).hasMessage("table: 252 (expected 1-251 or 253-2^32-1)");
    }
}
