package io.lvsd.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lvsd.ipvs.Destination;
import io.lvsd.ipvs.Forwarding;
import io.lvsd.ipvs.Protocol;
import io.lvsd.ipvs.ServiceKey;
import io.lvsd.ipvs.VirtualService;
import io.lvsd.ipvs.internal.IpvsCodec;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.netlink.NlBuilder;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capture decoder reads what lvsd's own codec writes, batched as lvsd sends it. */
class NetlinkCaptureTest {
    static final int IPVS_FAMILY = 0x23;
    static final ServiceKey WEB = new ServiceKey.Addr(Protocol.TCP,
            new InetSocketAddress(IpAddresses.parse("10.99.0.100"), 7));

    static byte[] record(int protocol, boolean bigEndianProtocol, byte[]... messages) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        h.putShort((short) 4).putShort((short) 824).putShort((short) 0).putLong(0);
        h.putShort((short) (bigEndianProtocol ? protocol : Short.reverseBytes((short) protocol)));
        data.writeBytes(h.array());
        for (byte[] m : messages) {
            data.writeBytes(m);
        }
        byte[] d = data.toByteArray();
        ByteBuffer r = ByteBuffer.allocate(16 + d.length).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt(0).putInt(0).putInt(d.length).putInt(d.length).put(d);
        return r.array();
    }

    static byte[] pcap(byte[]... records) {
        ByteBuffer g = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        g.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(NetlinkCapture.LINKTYPE_NETLINK);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(g.array());
        for (byte[] r : records) {
            out.writeBytes(r);
        }
        return out.toByteArray();
    }

    @Test
    void decodesEveryWriteOfABatchAndSkipsReadsAnswersAndOtherProtocols() {
        Destination r1 = Destination.of(new InetSocketAddress(IpAddresses.parse("10.99.0.21"), 7), Forwarding.DR, 3);
        byte[] newService = IpvsCodec.putService(NlBuilder.request(IPVS_FAMILY, 0x400 | 0x200 | 4)
                .genl(IpvsCodec.CMD_NEW_SERVICE, 1), VirtualService.of(WEB, "wrr"), true).build(1, 0);
        NlBuilder setDest = NlBuilder.request(IPVS_FAMILY, 4).genl(IpvsCodec.CMD_SET_DEST, 1);
        IpvsCodec.putServiceKey(setDest, WEB);
        IpvsCodec.putDest(setDest, r1.address(), r1, true);
        NlBuilder del = NlBuilder.request(IPVS_FAMILY, 4).genl(IpvsCodec.CMD_DEL_SERVICE, 1);
        IpvsCodec.putServiceKey(del, WEB);
        byte[] dump = NlBuilder.request(IPVS_FAMILY, 0x300).genl(IpvsCodec.CMD_GET_SERVICE, 1).build(4, 0);
        byte[] rtnl = NlBuilder.request(20, 4).raw(new byte[8]).build(5, 0); // RTM_NEWADDR on NETLINK_ROUTE
        List<String> got = NetlinkCapture.decode(pcap(
                record(16, true, newService, setDest.build(2, 0)),
                record(16, false, dump, del.build(3, 0)),
                record(0, true, rtnl)));
        assertThat(got).containsExactly("NEW_SERVICE tcp 10.99.0.100:7 wrr",
                "SET_DEST tcp 10.99.0.100:7 -> 10.99.0.21:7 weight 3", "DEL_SERVICE tcp 10.99.0.100:7");
    }
}
