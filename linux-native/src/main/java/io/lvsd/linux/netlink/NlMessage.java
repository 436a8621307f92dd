package io.lvsd.linux.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One received netlink message.
 *
 * @param payload the bytes after the 16-byte header
 */
public record NlMessage(int type, int flags, int seq, int portId, ByteBuffer payload) {

    /** Splits a datagram into its messages. */
    public static List<NlMessage> parseAll(byte[] data, int length) {
        ByteBuffer b = ByteBuffer.wrap(data, 0, length).order(ByteOrder.nativeOrder());
        List<NlMessage> out = new ArrayList<>();
        while (b.remaining() >= Netlink.NLMSG_HDRLEN) {
            int start = b.position();
            int len = b.getInt(start);
            if (len < Netlink.NLMSG_HDRLEN || len > b.remaining()) {
                throw new NetlinkProtocolException("nlmsghdr at offset " + start + ": nlmsg_len " + len
                        + " (expected " + Netlink.NLMSG_HDRLEN + "-" + b.remaining() + ")");
            }
            ByteBuffer payload = b.duplicate().position(start + Netlink.NLMSG_HDRLEN).limit(start + len).slice()
                    .order(ByteOrder.nativeOrder());
            out.add(new NlMessage(Short.toUnsignedInt(b.getShort(start + 4)), Short.toUnsignedInt(b.getShort(start + 6)),
                    b.getInt(start + 8), b.getInt(start + 12), payload));
            b.position(Math.min(b.limit(), start + Netlink.align(len)));
        }
        return out;
    }

    /** The attributes after a generic-netlink header. */
    public NlAttrs genlAttrs() {
        if (payload.remaining() < Netlink.GENL_HDRLEN) {
            throw new NetlinkProtocolException("genlmsghdr: " + payload.remaining() + " bytes (expected 4)");
        }
        return NlAttrs.parse(payload.duplicate().position(Netlink.GENL_HDRLEN));
    }

    /** The generic-netlink command. */
    public int genlCommand() {
        if (payload.remaining() < Netlink.GENL_HDRLEN) {
            throw new NetlinkProtocolException("genlmsghdr: " + payload.remaining() + " bytes (expected 4)");
        }
        return Byte.toUnsignedInt(payload.get(0));
    }

    /** For an NLMSG_ERROR: the error (0 = ack, else -errno). */
    public int error() {
        // struct nlmsgerr (uapi/linux/netlink.h) starts with the int error: a shorter payload has no error to read.
        if (payload.remaining() < 4) {
            throw new NetlinkProtocolException("nlmsgerr: " + payload.remaining() + " bytes (expected at least 4)");
        }
        return payload.getInt(0);
    }

    /** For an NLMSG_ERROR: the extended-ack message, or null. */
    public String extAckMessage() {
        if ((flags & Netlink.NLM_F_ACK_TLVS) == 0 || payload.remaining() < 4 + Netlink.NLMSG_HDRLEN) {
            return null;
        }
        int origLen = payload.getInt(4);
        if ((flags & Netlink.NLM_F_CAPPED) == 0 && (origLen < Netlink.NLMSG_HDRLEN || origLen > payload.remaining())) {
            return null; // no room for attributes after the echoed request: there is no message to read, only the errno
        }
        int offset = 4 + ((flags & Netlink.NLM_F_CAPPED) != 0 ? Netlink.NLMSG_HDRLEN : Netlink.align(origLen));
        if (offset >= payload.remaining()) {
            return null;
        }
        return NlAttrs.parse(payload.duplicate().position(offset)).string(Netlink.NLMSGERR_ATTR_MSG);
    }
}
