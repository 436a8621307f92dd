package io.lvsd.linux.netlink;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Builds one netlink message: the 16-byte {@code nlmsghdr}, an optional 4-byte
 * {@code genlmsghdr}, and attributes ({@code nlattr}: 16-bit length, 16-bit type, payload padded
 * to 4 bytes), which may nest. Integers are in host order (little-endian on the machines lvsd
 * runs on) except where the kernel wants network order ({@link #be16}, {@link #be32}).
 * The sequence number and port id are filled in by {@link #build}.
 */
public final class NlBuilder {
    private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    private final Deque<Integer> nests = new ArrayDeque<>();
    private final int type;
    private final int flags;

    private NlBuilder(int type, int flags) {
        this.type = type;
        this.flags = flags;
        buf.position(Netlink.NLMSG_HDRLEN);
    }

    /** A request of netlink message {@code type} (a family id for generic netlink). */
    public static NlBuilder request(int type, int flags) {
        return new NlBuilder(type, flags | Netlink.NLM_F_REQUEST);
    }

    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    /** The generic-netlink header: command and family version. */
    public NlBuilder genl(int cmd, int version) {
        ensure(4);
        buf.put((byte) cmd).put((byte) version).putShort((short) 0);
        return this;
    }

    /** Raw bytes straight after the headers (e.g. an rtnetlink {@code ifaddrmsg}). */
    public NlBuilder raw(byte[] bytes) {
        ensure(Netlink.align(bytes.length));
        buf.put(bytes);
        pad();
        return this;
    }

    public NlBuilder u8(int attr, int v) {
        header(attr, 1);
        buf.put((byte) v);
        pad();
        return this;
    }

    public NlBuilder u16(int attr, int v) {
        header(attr, 2);
        buf.putShort((short) v);
        pad();
        return this;
    }

    public NlBuilder be16(int attr, int v) {
        header(attr, 2);
        buf.put((byte) (v >>> 8)).put((byte) v);
        pad();
        return this;
    }

    public NlBuilder u32(int attr, long v) {
        header(attr, 4);
        buf.putInt((int) v);
        return this;
    }

    public NlBuilder be32(int attr, long v) {
        header(attr, 4);
        buf.put((byte) (v >>> 24)).put((byte) (v >>> 16)).put((byte) (v >>> 8)).put((byte) v);
        return this;
    }

    public NlBuilder u64(int attr, long v) {
        header(attr, 8);
        buf.putLong(v);
        return this;
    }

    /** A NUL-terminated string. */
    public NlBuilder string(int attr, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        header(attr, b.length + 1);
        buf.put(b).put((byte) 0);
        pad();
        return this;
    }

    public NlBuilder bytes(int attr, byte[] b) {
        header(attr, b.length);
        buf.put(b);
        pad();
        return this;
    }

    /** An address: 4 bytes for IPv4, 16 for IPv6, network order. */
    public NlBuilder address(int attr, InetAddress a) {
        return bytes(attr, a.getAddress());
    }

    /** An address padded to {@code union nf_inet_addr} (16 bytes), as IPVS sends and expects. */
    public NlBuilder inetAddr(int attr, InetAddress a) {
        return bytes(attr, Arrays.copyOf(a.getAddress(), 16));
    }

    /** Two u32 words, e.g. IPVS's {@code struct ip_vs_flags { flags; mask; }}. */
    public NlBuilder u32Pair(int attr, long first, long second) {
        header(attr, 8);
        buf.putInt((int) first).putInt((int) second);
        return this;
    }

    /** Opens a nested attribute; close it with {@link #end()}. */
    public NlBuilder nest(int attr) {
        ensure(4);
        nests.push(buf.position());
        buf.putShort((short) 0).putShort((short) attr);
        return this;
    }

    public NlBuilder end() {
        int start = nests.pop();
        buf.putShort(start, (short) (buf.position() - start));
        return this;
    }

    /** The finished message with {@code seq} and {@code portId}. */
    public byte[] build(int seq, int portId) {
        if (!nests.isEmpty()) {
            throw new IllegalStateException("unclosed nested attribute");
        }
        int len = buf.position();
        ByteBuffer out = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        out.put(buf.array(), 0, len);
        out.putInt(0, len).putShort(4, (short) type).putShort(6, (short) flags).putInt(8, seq).putInt(12, portId);
        return out.array();
    }

    /** The message length in bytes. */
    public int length() {
        return buf.position();
    }

    private void header(int attr, int payload) {
        ensure(Netlink.align(Netlink.NLA_HDRLEN + payload));
        buf.putShort((short) (Netlink.NLA_HDRLEN + payload)).putShort((short) attr);
    }

    private void pad() {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }

    private void ensure(int more) {
        if (buf.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more))
                    .order(ByteOrder.nativeOrder());
            bigger.put(buf.array(), 0, buf.position());
            buf = bigger;
        }
    }
}
