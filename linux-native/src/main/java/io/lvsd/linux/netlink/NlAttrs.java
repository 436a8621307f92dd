package io.lvsd.linux.netlink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The attributes of a netlink message region, by type (flags masked off). Repeated types keep
 * every occurrence in order ({@link #all}); {@link #get} returns the last, as the kernel reads it.
 * Malformed lengths raise {@link NetlinkProtocolException} naming the attribute.
 */
public final class NlAttrs {
    private final Map<Integer, List<ByteBuffer>> attrs;

    private NlAttrs(Map<Integer, List<ByteBuffer>> attrs) {
        this.attrs = attrs;
    }

    /** Parses {@code region} from its position to its limit. */
    public static NlAttrs parse(ByteBuffer region) {
        ByteBuffer b = region.slice().order(ByteOrder.nativeOrder());
        Map<Integer, List<ByteBuffer>> out = new HashMap<>();
        while (b.remaining() >= Netlink.NLA_HDRLEN) {
            int start = b.position();
            int len = Short.toUnsignedInt(b.getShort(start));
            int type = Short.toUnsignedInt(b.getShort(start + 2)) & Netlink.NLA_TYPE_MASK;
            if (len < Netlink.NLA_HDRLEN || len > b.remaining()) {
                throw new NetlinkProtocolException("attribute type " + type + " at offset " + start
                        + ": length " + len + " (expected " + Netlink.NLA_HDRLEN + "-" + b.remaining() + ")");
            }
            ByteBuffer payload = b.duplicate().position(start + Netlink.NLA_HDRLEN).limit(start + len).slice()
                    .order(ByteOrder.nativeOrder());
            out.computeIfAbsent(type, k -> new ArrayList<>()).add(payload);
            b.position(Math.min(b.limit(), start + Netlink.align(len)));
        }
        return new NlAttrs(out);
    }

    public boolean has(int type) {
        return attrs.containsKey(type);
    }

    /** The payload of the last attribute of {@code type}, or null. */
    public ByteBuffer get(int type) {
        List<ByteBuffer> l = attrs.get(type);
        return l == null ? null : l.get(l.size() - 1).duplicate().order(ByteOrder.nativeOrder());
    }

    /** Every attribute of {@code type}, in order. */
    public List<ByteBuffer> all(int type) {
        return attrs.getOrDefault(type, List.of()).stream().map(ByteBuffer::duplicate).toList();
    }

    public int u8(int type, int dflt) {
        ByteBuffer b = sized(type, 1);
        return b == null ? dflt : Byte.toUnsignedInt(b.get(0));
    }

    public int u16(int type, int dflt) {
        ByteBuffer b = sized(type, 2);
        return b == null ? dflt : Short.toUnsignedInt(b.getShort(0));
    }

    public int be16(int type, int dflt) {
        ByteBuffer b = sized(type, 2);
        return b == null ? dflt : ((b.get(0) & 0xff) << 8) | (b.get(1) & 0xff);
    }

    public long u32(int type, long dflt) {
        ByteBuffer b = sized(type, 4);
        return b == null ? dflt : Integer.toUnsignedLong(b.getInt(0));
    }

    public long be32(int type, long dflt) {
        ByteBuffer b = sized(type, 4);
        return b == null ? dflt : Integer.toUnsignedLong(b.order(ByteOrder.BIG_ENDIAN).getInt(0));
    }

    public long u64(int type, long dflt) {
        ByteBuffer b = sized(type, 8);
        return b == null ? dflt : b.getLong(0);
    }

    /** A string, without its NUL terminator; null when absent. */
    public String string(int type) {
        ByteBuffer b = get(type);
        if (b == null) {
            return null;
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** The first {@code len} bytes of an address attribute (4 or 16). */
    public InetAddress address(int type, int len) {
        ByteBuffer b = sized(type, len);
        if (b == null) {
            return null;
        }
        byte[] a = new byte[len];
        b.get(0, a);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new NetlinkProtocolException("attribute type " + type + ": bad address " + Arrays.toString(a));
        }
    }

    /** The nested attributes of {@code type}, or null. */
    public NlAttrs nested(int type) {
        ByteBuffer b = get(type);
        return b == null ? null : parse(b);
    }

    private ByteBuffer sized(int type, int min) {
        ByteBuffer b = get(type);
        if (b != null && b.remaining() < min) {
            throw new NetlinkProtocolException("attribute type " + type + ": " + b.remaining()
                    + " bytes (expected at least " + min + ")");
        }
        return b;
    }
}
