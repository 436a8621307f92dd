package io.lvsd.sync.internal;

import io.lvsd.linux.net.IpFamily;
import io.lvsd.sync.CatchUp;
import io.lvsd.sync.SyncConnection;
import io.lvsd.sync.SyncConnection.SeqData;
import io.lvsd.sync.SyncMessage;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The IPVS connection-sync protocol, versions 0 and 1, as the kernel's sync daemons speak it
 * (net/netfilter/ipvs/ip_vs_sync.c). Pure: bytes in, a message or a typed error out; never throws on input.
 *
 * <pre>
 * version 1 header:  0 | syncid | size (16) | count | version = 1 | 0 (16)
 * version 1 entry:   type (bit 0: IPv6) | protocol | version (4 bits, 0) + entry size (12 bits)
 *                    flags (32) | state (16) | cport | vport | dport | fwmark (32) | timeout s (32)
 *                    caddr | vaddr | daddr (4 or 16 bytes each) | options: type | length | data
 *                    the next entry starts at the next 32-bit boundary
 * version 0 header:  count | syncid | size (16)
 * version 0 entry:   0 | protocol | cport | vport | dport | caddr | vaddr | daddr | flags (16) | state (16)
 *                    [+ 24 bytes of sequence data when a SEQ flag is set]
 * lvsd catch-up:     0 | syncid | size (16) = 24 | "LVSD" | version = 1 | kind | 0 (16) | nonce (64) | count (32)
 * </pre>
 *
 * <p>A catch-up datagram ({@link CatchUp}) is lvsd's own; to a kernel it is a version 0 message with no entries.
 */
public final class SyncCodec {
    /** SYNC_PROTO_VER. */
    public static final int VERSION_1 = 1;
    /** Bytes of a version 1 header and of its fixed IPv4 and IPv6 entries (entries are 32-bit aligned). */
    public static final int HEADER_V1 = 8;
    static final int HEADER_V0 = 4;
    public static final int ENTRY_V4 = 36;
    public static final int ENTRY_V6 = 72;
    static final int ENTRY_V0 = 24;
    static final int SEQ_LENGTH = 24;
    static final int TYPE_F_INET6 = 1;
    static final int VERSION_SHIFT = 12;
    static final int SIZE_MASK = 0x0fff;
    static final int OPT_SEQ_DATA = 1;
    static final int OPT_PE_DATA = 2;
    static final int OPT_PE_NAME = 3;
    /** IPVS_OPT_F_PARAM: set on an option a receiver may skip when it does not know it. */
    static final int OPT_F_PARAM = 1 << (7 - 1);
    static final int PE_DATA_MAXLEN = 255;
    static final int PE_NAME_MAXLEN = 16;
    /** "LVSD" in bytes 4-7 of a catch-up datagram; byte 5 ('V') is not 1, so no kernel reads it as version 1. */
    static final int CATCH_UP_MAGIC = 0x4c565344;
    static final int CATCH_UP_LENGTH = 24;
    static final int CATCH_UP_VERSION = 1;

    private SyncCodec() {
    }

    /** Why a datagram was not a valid sync message; the names are metric label values. */
    public enum Error {
        SHORT_HEADER("short_header"),
        SIZE_MISMATCH("size_mismatch"),
        TRUNCATED_ENTRY("truncated_entry"),
        ENTRY_VERSION("entry_version"),
        ENTRY_TYPE("entry_type"),
        TRUNCATED_OPTION("truncated_option"),
        OPTION_LENGTH("option_length"),
        DUPLICATE_OPTION("duplicate_option"),
        CATCH_UP("catch_up");

        private final String label;

        Error(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public sealed interface Result permits Decoded, Control, Malformed {
    }

    /** An lvsd catch-up datagram: no connections, a request or an answer between two lvsd directors. */
    public record Control(CatchUp catchUp) implements Result {
    }

    public record Decoded(SyncMessage message) implements Result {
    }

    /** @param detail names the field and what was expected, e.g. "entry 3: size 20 (expected: >= 36)" */
    public record Malformed(Error error, String detail) implements Result {
    }

    public static Result decode(byte[] datagram) {
        return decode(datagram, 0, datagram.length);
    }

    public static Result decode(byte[] b, int off, int len) {
        ByteBuffer m = ByteBuffer.wrap(b, off, len).slice().order(ByteOrder.BIG_ENDIAN);
        if (len < HEADER_V0) {
            return new Malformed(Error.SHORT_HEADER, "message: " + len + " bytes (expected: >= " + HEADER_V0 + ")");
        }
        int size = m.getShort(2) & 0xffff;
        if (size != len) {
            return new Malformed(Error.SIZE_MISMATCH, "size: " + size + " (expected: the datagram's " + len + ")");
        }
        if (len == CATCH_UP_LENGTH && m.get(0) == 0 && m.getInt(4) == CATCH_UP_MAGIC) {
            return decodeCatchUp(m);
        }
        // The kernel's own test: version 1 has a zero first byte, version 1 in byte 5 and zero spare bytes.
        if (len >= HEADER_V1 && (m.get(0) & 0xff) == 0 && m.get(5) == VERSION_1 && m.getShort(6) == 0) {
            return decodeV1(m, len);
        }
        return decodeV0(m, len);
    }

    private static Result decodeV1(ByteBuffer m, int len) {
        int syncId = m.get(1) & 0xff;
        int count = m.get(4) & 0xff;
        // Sized by the entries the datagram has room for, not by the count it claims.
        List<SyncConnection> out = new ArrayList<>(Math.min(count, (len - HEADER_V1) / ENTRY_V4));
        int p = HEADER_V1;
        for (int i = 0; i < count; i++) {
            String at = "entry " + (i + 1);
            if (p + ENTRY_V4 > len) {
                return new Malformed(Error.TRUNCATED_ENTRY, at + ": " + (len - p) + " bytes left (expected: >= "
                        + ENTRY_V4 + ")");
            }
            int verSize = m.getShort(p + 2) & 0xffff;
            int size = verSize & SIZE_MASK;
            if (verSize >>> VERSION_SHIFT != 0) {
                return new Malformed(Error.ENTRY_VERSION, at + ": version " + (verSize >>> VERSION_SHIFT)
                        + " (expected: 0)");
            }
            if (p + size > len) {
                return new Malformed(Error.TRUNCATED_ENTRY, at + ": size " + size + " runs past the message ("
                        + (len - p) + " bytes left)");
            }
            int type = m.get(p) & 0xff;
            IpFamily family;
            if ((type & TYPE_F_INET6) != 0) {
                family = IpFamily.IPV6;
            } else if (type == 0) {
                family = IpFamily.IPV4;
            } else {
                return new Malformed(Error.ENTRY_TYPE, at + ": type " + type + " (expected: 0 IPv4 or 1 IPv6)");
            }
            int fixed = family == IpFamily.IPV6 ? ENTRY_V6 : ENTRY_V4;
            if (size < fixed) {
                return new Malformed(Error.TRUNCATED_ENTRY, at + ": size " + size + " (expected: >= " + fixed
                        + " for " + family + ")");
            }
            int al = family == IpFamily.IPV6 ? 16 : 4;
            int protocol = m.get(p + 1) & 0xff;
            int flags = m.getInt(p + 4);
            int state = m.getShort(p + 8) & 0xffff;
            int cport = m.getShort(p + 10) & 0xffff;
            int vport = m.getShort(p + 12) & 0xffff;
            int dport = m.getShort(p + 14) & 0xffff;
            long fwmark = m.getInt(p + 16) & 0xffffffffL;
            long timeout = m.getInt(p + 20) & 0xffffffffL;
            InetAddress caddr = address(m, p + 24, al);
            InetAddress vaddr = address(m, p + 24 + al, al);
            InetAddress daddr = address(m, p + 24 + 2 * al, al);
            SeqData seq = null;
            byte[] peData = null;
            String peName = null;
            List<Integer> unknown = new ArrayList<>();
            int q = p + fixed;
            int end = p + size;
            while (q < end) {
                if (q + 2 > end) {
                    return new Malformed(Error.TRUNCATED_OPTION, at + ": option header at byte " + (q - p)
                            + " runs past the entry");
                }
                int otype = m.get(q) & 0xff;
                int olen = m.get(q + 1) & 0xff;
                q += 2;
                if (olen == 0 || q + olen > end) {
                    return new Malformed(Error.OPTION_LENGTH, at + ": option " + otype + " length " + olen
                            + " (expected: 1-" + (end - q) + ")");
                }
                switch (otype & ~OPT_F_PARAM) {
                    case OPT_SEQ_DATA -> {
                        if (olen != SEQ_LENGTH) {
                            return new Malformed(Error.OPTION_LENGTH, at + ": sequence option length " + olen
                                    + " (expected: " + SEQ_LENGTH + ")");
                        }
                        if (seq != null) {
                            return new Malformed(Error.DUPLICATE_OPTION, at + ": sequence option twice");
                        }
                        seq = seq(m, q, ByteOrder.BIG_ENDIAN);
                    }
                    case OPT_PE_DATA -> {
                        if (peData != null) {
                            return new Malformed(Error.DUPLICATE_OPTION, at + ": persistence-engine data twice");
                        }
                        peData = new byte[olen];
                        m.get(q, peData);
                    }
                    case OPT_PE_NAME -> {
                        if (olen > PE_NAME_MAXLEN) {
                            return new Malformed(Error.OPTION_LENGTH, at + ": persistence-engine name length "
                                    + olen + " (expected: 1-" + PE_NAME_MAXLEN + ")");
                        }
                        if (peName != null) {
                            return new Malformed(Error.DUPLICATE_OPTION, at + ": persistence-engine name twice");
                        }
                        byte[] name = new byte[olen];
                        m.get(q, name);
                        peName = new String(name, StandardCharsets.US_ASCII);
                    }
                    default -> unknown.add(otype);
                }
                q += olen;
            }
            out.add(new SyncConnection(family, protocol, flags, state, caddr, cport, vaddr, vport, daddr, dport,
                    fwmark, timeout, seq, peData, peName, unknown));
            p += (size + 3) & ~3;
        }
        return new Decoded(new SyncMessage(VERSION_1, syncId, out));
    }

    private static Result decodeV0(ByteBuffer m, int len) {
        int count = m.get(0) & 0xff;
        int syncId = m.get(1) & 0xff;
        List<SyncConnection> out = new ArrayList<>(Math.min(count, (len - HEADER_V0) / ENTRY_V0));
        int p = HEADER_V0;
        for (int i = 0; i < count; i++) {
            String at = "entry " + (i + 1);
            if (p + ENTRY_V0 > len) {
                return new Malformed(Error.TRUNCATED_ENTRY, at + ": " + (len - p) + " bytes left (expected: >= "
                        + ENTRY_V0 + ", version 0)");
            }
            int protocol = m.get(p + 1) & 0xff;
            int cport = m.getShort(p + 2) & 0xffff;
            int vport = m.getShort(p + 4) & 0xffff;
            int dport = m.getShort(p + 6) & 0xffff;
            InetAddress caddr = address(m, p + 8, 4);
            InetAddress vaddr = address(m, p + 12, 4);
            InetAddress daddr = address(m, p + 16, 4);
            int flags = m.getShort(p + 20) & 0xffff;
            int state = m.getShort(p + 22) & 0xffff;
            SeqData seq = null;
            p += ENTRY_V0;
            if ((flags & SyncConnection.F_SEQ_MASK) != 0) {
                if (p + SEQ_LENGTH > len) {
                    return new Malformed(Error.TRUNCATED_OPTION, at + ": sequence data runs past the message");
                }
                // Version 0 copies struct ip_vs_seq in the sender's byte order; senders are little-endian
                // in practice (x86, arm64).
                seq = seq(m, p, ByteOrder.LITTLE_ENDIAN);
                p += SEQ_LENGTH;
            }
            out.add(new SyncConnection(IpFamily.IPV4, protocol, flags, state, caddr, cport, vaddr, vport, daddr,
                    dport, 0, 0, seq, null, null, List.of()));
        }
        return new Decoded(new SyncMessage(0, syncId, out));
    }

    private static Result decodeCatchUp(ByteBuffer m) {
        int version = m.get(8) & 0xff;
        if (version != CATCH_UP_VERSION) {
            return new Malformed(Error.CATCH_UP, "catch-up version: " + version + " (expected: " + CATCH_UP_VERSION + ")");
        }
        CatchUp.Kind kind = CatchUp.Kind.ofCode(m.get(9) & 0xff);
        if (kind == null) {
            return new Malformed(Error.CATCH_UP, "catch-up kind: " + (m.get(9) & 0xff) + " (expected: 1 request, 2 done or 3 accepted)");
        }
        return new Control(new CatchUp(kind, m.get(1) & 0xff, m.getLong(12), m.getInt(20) & 0xffffffffL));
    }

    /** The catch-up datagram for {@code c}: 24 bytes. */
    public static byte[] encode(CatchUp c) {
        ByteBuffer b = ByteBuffer.allocate(CATCH_UP_LENGTH).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) c.syncId()).putShort((short) CATCH_UP_LENGTH).putInt(CATCH_UP_MAGIC)
                .put((byte) CATCH_UP_VERSION).put((byte) c.kind().code()).putShort((short) 0).putLong(c.nonce())
                .putInt((int) c.count());
        return b.array();
    }

    /** The datagram the kernel would send for {@code msg} (entries padded to 32 bits between them). */
    public static byte[] encode(SyncMessage msg) {
        return msg.version() == VERSION_1 ? encodeV1(msg) : encodeV0(msg);
    }

    private static byte[] encodeV1(SyncMessage msg) {
        ByteBuffer b = ByteBuffer.allocate(65_535).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) msg.syncId()).putShort((short) 0).put((byte) msg.connections().size())
                .put((byte) VERSION_1).putShort((short) 0);
        boolean first = true;
        for (SyncConnection c : msg.connections()) {
            if (!first) {
                while (b.position() % 4 != 0) {
                    b.put((byte) 0);
                }
            }
            first = false;
            int start = b.position();
            boolean v6 = c.family() == IpFamily.IPV6;
            b.put((byte) (v6 ? TYPE_F_INET6 : 0)).put((byte) c.protocol()).putShort((short) 0)
                    .putInt(c.flags()).putShort((short) c.state()).putShort((short) c.clientPort())
                    .putShort((short) c.virtualPort()).putShort((short) c.realPort()).putInt((int) c.fwmark())
                    .putInt((int) c.timeoutSeconds()).put(c.client().getAddress()).put(c.virtual().getAddress())
                    .put(c.real().getAddress());
            if (c.seq() != null) {
                b.put((byte) OPT_SEQ_DATA).put((byte) SEQ_LENGTH);
                putSeq(b, c.seq());
            }
            byte[] pe = c.peData();
            if (pe != null) {
                b.put((byte) OPT_PE_DATA).put((byte) pe.length).put(pe);
                if (c.peName() != null) {
                    byte[] n = c.peName().getBytes(StandardCharsets.US_ASCII);
                    b.put((byte) OPT_PE_NAME).put((byte) n.length).put(n);
                }
            }
            b.putShort(start + 2, (short) ((b.position() - start) & SIZE_MASK));
        }
        return finish(b);
    }

    private static byte[] encodeV0(SyncMessage msg) {
        ByteBuffer b = ByteBuffer.allocate(65_535).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) msg.connections().size()).put((byte) msg.syncId()).putShort((short) 0);
        for (SyncConnection c : msg.connections()) {
            if (c.family() != IpFamily.IPV4) {
                throw new IllegalArgumentException("version 0 carries IPv4 connections only: " + c.client());
            }
            b.put((byte) 0).put((byte) c.protocol()).putShort((short) c.clientPort())
                    .putShort((short) c.virtualPort()).putShort((short) c.realPort()).put(c.client().getAddress())
                    .put(c.virtual().getAddress()).put(c.real().getAddress()).putShort((short) c.flags())
                    .putShort((short) c.state());
            if ((c.flags() & SyncConnection.F_SEQ_MASK) != 0) {
                SeqData s = c.seq() != null ? c.seq() : new SeqData(0, 0, 0, 0, 0, 0);
                b.order(ByteOrder.LITTLE_ENDIAN);
                putSeq(b, s);
                b.order(ByteOrder.BIG_ENDIAN);
            }
        }
        return finish(b);
    }

    /** Writes the message's size (both versions keep it at byte 2) and returns the bytes written. */
    private static byte[] finish(ByteBuffer b) {
        b.putShort(2, (short) b.position());
        byte[] out = new byte[b.position()];
        b.get(0, out);
        return out;
    }

    private static InetAddress address(ByteBuffer m, int at, int len) {
        byte[] a = new byte[len];
        m.get(at, a);
        try {
            // An IPv6 entry's addresses stay IPv6: InetAddress.getByAddress would make an IPv4-mapped one
            // (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2) an Inet4Address, against the entry's family.
            return len == 16 ? Inet6Address.getByAddress(null, a, -1) : InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes", e);
        }
    }

    private static SeqData seq(ByteBuffer m, int at, ByteOrder order) {
        ByteBuffer s = m.duplicate().order(order);
        long[] v = new long[6];
        for (int k = 0; k < 6; k++) {
            v[k] = s.getInt(at + 4 * k) & 0xffffffffL;
        }
        return new SeqData(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    private static void putSeq(ByteBuffer b, SeqData s) {
        b.putInt((int) s.inInitSeq()).putInt((int) s.inDelta()).putInt((int) s.inPreviousDelta())
                .putInt((int) s.outInitSeq()).putInt((int) s.outDelta()).putInt((int) s.outPreviousDelta());
    }
}
