package io.lvsd.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Byte-exact netlink framing, from the layouts in include/uapi/linux/netlink.h and genetlink.h. */
class NlCodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s+|<-[^\\n]*", ""));
    }

    @Test
    void getFamilyRequestForIpvs() {
        byte[] msg = NlBuilder.request(Netlink.GENL_ID_CTRL, Netlink.NLM_F_ACK)
                .genl(Netlink.CTRL_CMD_GETFAMILY, 1)
                .string(Netlink.CTRL_ATTR_FAMILY_NAME, "IPVS")
                .build(0x01020304, 0);
        assertThat(msg).containsExactly(hex("""
                20000000   <- nlmsg_len 32: the last attribute's padding counts
                1000       <- nlmsg_type GENL_ID_CTRL (16)
                0500       <- nlmsg_flags REQUEST|ACK
                04030201   <- nlmsg_seq
                00000000   <- nlmsg_pid
                03         <- genl cmd CTRL_CMD_GETFAMILY
                01         <- genl version
                0000       <- reserved
                0900       <- nla_len 9 (4 + "IPVS\\0")
                0200       <- nla_type CTRL_ATTR_FAMILY_NAME
                4950565300 <- "IPVS\\0"
                000000     <- pad to 4
                """));
    }

    @Test
    void nestedAttributesAndIntegerWidths() {
        byte[] msg = NlBuilder.request(0x22, Netlink.NLM_F_ACK).genl(1, 1)
                .nest(1)
                .u16(1, 2)                 // AF_INET
                .be16(4, 80)
                .u32(7, 0x11223344L)
                .inetAddr(3, InetAddress.getLoopbackAddress())
                .end()
                .build(7, 0);
        assertThat(msg).containsExactly(hex("""
                44000000 2200 0500 07000000 00000000   <- header: len 68, type 0x22
                01 01 0000                             <- genl cmd 1 version 1
                3000 0100                              <- nest len 48 type 1
                0600 0100 0200 0000                    <- u16 2, padded
                0600 0400 0050 0000                    <- be16 80 = 00 50, padded
                0800 0700 44332211                     <- u32 host order
                1400 0300 7f000001 000000000000000000000000  <- 16-byte nf_inet_addr
                """));
    }

    @Test
    void parsesAttributesIncludingNestedAndStrings() {
        byte[] msg = NlBuilder.request(0x22, 0).genl(1, 1)
                .string(6, "wlc").u64(9, 1L << 40)
                .nest(10).u32(1, 5).end()
                .build(1, 0);
        NlMessage m = NlMessage.parseAll(msg, msg.length).get(0);
        NlAttrs a = m.genlAttrs();
        assertThat(a.string(6)).isEqualTo("wlc");
        assertThat(a.u64(9, 0)).isEqualTo(1L << 40);
        assertThat(a.nested(10).u32(1, 0)).isEqualTo(5);
        assertThat(a.has(2)).isFalse();
        assertThat(a.u32(2, -1)).isEqualTo(-1);
    }

    @Test
    void splitsADatagramIntoItsMessages() {
        byte[] a = NlBuilder.request(0x22, 0).genl(1, 1).u8(1, 1).build(1, 0);
        byte[] b = NlBuilder.request(0x22, 0).genl(2, 1).build(2, 0);
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertThat(NlMessage.parseAll(both, both.length)).extracting(NlMessage::seq).containsExactly(1, 2);
    }

    @Test
    void truncatedOrCorruptInputNamesTheField() {
        byte[] msg = NlBuilder.request(0x22, 0).genl(1, 1).u32(1, 5).build(1, 0);
        assertThatThrownBy(() -> NlMessage.parseAll(msg, msg.length - 4))
                .isInstanceOf(NetlinkProtocolException.class)
                .hasMessage("nlmsghdr at offset 0: nlmsg_len 28 (expected 16-24)");
        byte[] bad = msg.clone();
        bad[20] = 99; // attribute length beyond the message
        assertThatThrownBy(() -> NlMessage.parseAll(bad, bad.length).get(0).genlAttrs())
                .isInstanceOf(NetlinkProtocolException.class)
                .hasMessage("attribute type 1 at offset 0: length 99 (expected 4-8)");
        byte[] shortU32 = NlBuilder.request(0x22, 0).genl(1, 1).u16(1, 5).build(1, 0);
        assertThatThrownBy(() -> NlMessage.parseAll(shortU32, shortU32.length).get(0).genlAttrs().u32(1, 0))
                .hasMessage("attribute type 1: 2 bytes (expected at least 4)");
    }

    @Test
    void anErrorOrGenericMessageWithoutItsHeaderIsTheTypedError() {
        // Found by NetlinkPropertyTest: a bare 16-byte NLMSG_ERROR threw IndexOutOfBoundsException from error(),
        // which NetlinkChannel calls on every NLMSG_ERROR; genlCommand() on a bare message did the same.
        byte[] bare = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putInt(16)
                .putShort((short) Netlink.NLMSG_ERROR).array();
        NlMessage m = NlMessage.parseAll(bare, bare.length).get(0);
        assertThatThrownBy(m::error).isInstanceOf(NetlinkProtocolException.class)
                .hasMessage("nlmsgerr: 0 bytes (expected at least 4)");
        assertThatThrownBy(m::genlCommand).isInstanceOf(NetlinkProtocolException.class)
                .hasMessage("genlmsghdr: 0 bytes (expected 4)");
    }

    @Test
    void readsTheExtendedAckText() {
        // An NLMSG_ERROR with NLM_F_CAPPED|NLM_F_ACK_TLVS: error, the echoed header, then TLVs.
        ByteBuffer b = ByteBuffer.allocate(16 + 4 + 16 + 12).order(ByteOrder.nativeOrder());
        b.putInt(48).putShort((short) Netlink.NLMSG_ERROR).putShort((short) 0x300).putInt(9).putInt(0);
        b.putInt(-17);                                     // -EEXIST
        b.putInt(40).putShort((short) 0x22).putShort((short) 5).putInt(9).putInt(0); // echoed header
        b.putShort((short) 12).putShort((short) Netlink.NLMSGERR_ATTR_MSG).put("dup\0\0\0\0\0".getBytes());
        NlMessage m = NlMessage.parseAll(b.array(), 48).get(0);
        assertThat(m.error()).isEqualTo(-17);
        assertThat(m.extAckMessage()).isEqualTo("dup");
    }
}
