package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lvsd.linux.net.IpFamily;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fou family's requests as {@code ip fou add|del|show} sends them, and its answers, without a socket. */
class FouTest {
    static final int FAMILY_ID = 0x1c;

    private static NlMessage only(NlBuilder request) {
        byte[] b = request.build(7, 0);
        List<NlMessage> all = NlMessage.parseAll(b, b.length);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void addingAGuePortSendsThePortInNetworkOrderTheFamilyAndTheType() {
        NlMessage m = only(Fou.addRequest(FAMILY_ID, Fou.Port.gue(5555, IpFamily.IPV4)));
        assertThat(m.type()).isEqualTo(FAMILY_ID);
        assertThat(m.flags()).isEqualTo(Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK);
        assertThat(m.genlCommand()).as("FOU_CMD_ADD").isEqualTo(1);
        assertThat(m.payload().get(1)).as("genl version").isEqualTo((byte) 1);
        NlAttrs a = m.genlAttrs();
        assertThat(bytes(a.get(Fou.ATTR_PORT))).as("FOU_ATTR_PORT, big-endian").isEqualTo(new byte[] {0x15, (byte) 0xb3});
        assertThat(a.u8(Fou.ATTR_AF, -1)).as("FOU_ATTR_AF: AF_INET").isEqualTo(2);
        assertThat(a.u8(Fou.ATTR_TYPE, -1)).as("FOU_ATTR_TYPE: FOU_ENCAP_GUE").isEqualTo(2);
        assertThat(a.has(Fou.ATTR_IPPROTO)).as("GUE names the protocol in each packet").isFalse();

        NlAttrs direct = only(Fou.addRequest(FAMILY_ID, new Fou.Port(7777, IpFamily.IPV6, Fou.Encap.DIRECT, 47)))
                .genlAttrs();
        assertThat(direct.u8(Fou.ATTR_AF, -1)).as("AF_INET6").isEqualTo(10);
        assertThat(direct.u8(Fou.ATTR_TYPE, -1)).as("FOU_ENCAP_DIRECT").isEqualTo(1);
        assertThat(direct.u8(Fou.ATTR_IPPROTO, -1)).isEqualTo(47);
    }

    @Test
    void deletingFindsThePortByNumberAndFamilyAndAShowIsADump() {
        NlMessage del = only(Fou.deleteRequest(FAMILY_ID, Fou.Port.gue(5555, IpFamily.IPV6)));
        assertThat(del.genlCommand()).as("FOU_CMD_DEL").isEqualTo(2);
        assertThat(del.genlAttrs().be16(Fou.ATTR_PORT, -1)).isEqualTo(5555);
        assertThat(del.genlAttrs().u8(Fou.ATTR_AF, -1)).isEqualTo(10);
        NlMessage dump = only(Fou.dumpRequest(FAMILY_ID));
        assertThat(dump.genlCommand()).as("FOU_CMD_GET").isEqualTo(3);
        assertThat(dump.flags() & Netlink.NLM_F_DUMP).isEqualTo(Netlink.NLM_F_DUMP);
    }

    @Test
    void aShownPortIsReadAndAnUnknownTypeIsNamed() {
        // As fou_fill_info answers: family, port, peer port, protocol, type, bound interface.
        NlBuilder reply = NlBuilder.request(FAMILY_ID, Netlink.NLM_F_MULTI).genl(Fou.CMD_GET, 1).u8(Fou.ATTR_AF, 10)
                .be16(Fou.ATTR_PORT, 5555).be16(10, 0).u8(Fou.ATTR_IPPROTO, 0).u8(Fou.ATTR_TYPE, 2).u32(11, 0);
        assertThat(Fou.parsePort(only(reply))).isEqualTo(Fou.Port.gue(5555, IpFamily.IPV6));
        assertThat(Fou.Port.gue(5555, IpFamily.IPV6)).hasToString("port 5555 gue -6");

        NlBuilder fou = NlBuilder.request(FAMILY_ID, Netlink.NLM_F_MULTI).genl(Fou.CMD_GET, 1).u8(Fou.ATTR_AF, 2)
                .be16(Fou.ATTR_PORT, 7777).u8(Fou.ATTR_IPPROTO, 4).u8(Fou.ATTR_TYPE, 1);
        assertThat(Fou.parsePort(only(fou))).isEqualTo(new Fou.Port(7777, IpFamily.IPV4, Fou.Encap.DIRECT, 4));

        NlBuilder odd = NlBuilder.request(FAMILY_ID, Netlink.NLM_F_MULTI).genl(Fou.CMD_GET, 1).u8(Fou.ATTR_AF, 2)
                .be16(Fou.ATTR_PORT, 7777).u8(Fou.ATTR_TYPE, 7);
        assertThatThrownBy(() -> Fou.parsePort(only(odd))).isInstanceOf(NetlinkProtocolException.class)
                .hasMessage("FOU_ATTR_TYPE: 7 (expected 1 (direct) or 2 (gue))");
    }
}
