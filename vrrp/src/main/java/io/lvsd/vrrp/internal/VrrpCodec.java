package io.lvsd.vrrp.internal;

import io.lvsd.linux.net.InternetChecksum;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * VRRP advertisements to and from bytes, as pure functions. The bytes are the IP payload (the
 * VRRP message); the addresses of the IP header enter the version 3 checksum.
 */
public final class VrrpCodec {
    private VrrpCodec() {
    }

    /** IANA protocol number of VRRP. */
    public static final int PROTOCOL = 112;
    /** RFC 5798 §5.2.2: the only type. */
    public static final int TYPE_ADVERTISEMENT = 1;
    /** RFC 3768 §5.3.6: simple text password. */
    public static final int AUTH_SIMPLE = 1;

    /** What decoding gives: a packet, or why it was dropped. */
    public sealed interface Result {
    }

    public record Decoded(VrrpPacket packet) implements Result {
    }

    public record Dropped(DropReason reason, String detail) implements Result {
    }

    /**
     * Encodes {@code p}. For version 3 the checksum covers a pseudo-header of {@code src} and
     * {@code dst} (RFC 5798 §5.2.8: always for IPv6; for IPv4 when {@code ipv4PseudoHeader},
     * which is what keepalived does by default); for version 2 only the message.
     */
    public static byte[] encode(VrrpPacket p, InetAddress src, InetAddress dst, boolean ipv4PseudoHeader) {
        int addrLen = p.addresses().get(0).getAddress().length;
        int len = 8 + addrLen * p.addresses().size() + (p.version() == 2 ? 8 : 0);
        ByteBuffer b = ByteBuffer.allocate(len);
        b.put((byte) ((p.version() << 4) | TYPE_ADVERTISEMENT)).put((byte) p.vrid()).put((byte) p.priority())
                .put((byte) p.addresses().size());
        if (p.version() == 2) {
            b.put((byte) p.authType()).put((byte) p.interval());
        } else {
            b.putShort((short) (p.interval() & 0x0fff)); // 4 reserved bits, then Max Adver Int
        }
        b.putShort((short) 0);
        for (InetAddress a : p.addresses()) {
            b.put(a.getAddress());
        }
        if (p.version() == 2) {
            b.put(p.authData());
        }
        byte[] out = b.array();
        int sum = checksum(out, p.version(), src, dst, ipv4PseudoHeader);
        out[6] = (byte) (sum >>> 8);
        out[7] = (byte) sum;
        return out;
    }

    /**
     * Decodes and validates the message of RFC 5798 §7.1 that does not depend on an instance:
     * TTL/hop limit (255 on multicast), version, type, length against the address count, and the
     * checksum. The caller checks the VRID, authentication and interval against its instance.
     */
    public static Result decode(byte[] msg, InetAddress src, InetAddress dst, int ttl, boolean ipv4PseudoHeader) {
        if (dst.isMulticastAddress() && ttl != 255) {
            return new Dropped(DropReason.IP_TTL_ERROR, "TTL/hop limit " + ttl + " (expected 255)");
        }
        if (msg.length < 8) {
            return new Dropped(DropReason.PACKET_LENGTH_ERROR, "length " + msg.length + " (expected at least 8)");
        }
        int version = (msg[0] >> 4) & 0x0f;
        int type = msg[0] & 0x0f;
        if (version != 2 && version != 3) {
            return new Dropped(DropReason.VERSION_ERROR, "version " + version + " (expected 2 or 3)");
        }
        if (type != TYPE_ADVERTISEMENT) {
            return new Dropped(DropReason.INVALID_TYPE, "type " + type + " (expected 1)");
        }
        int vrid = msg[1] & 0xff;
        int priority = msg[2] & 0xff;
        int count = msg[3] & 0xff;
        int addrLen = src instanceof Inet4Address ? 4 : 16;
        if (version == 2 && addrLen != 4) {
            return new Dropped(DropReason.VERSION_ERROR, "version 2 over IPv6 (expected IPv4)");
        }
        int expected = 8 + count * addrLen + (version == 2 ? 8 : 0);
        if (count == 0 || msg.length < expected) {
            return new Dropped(DropReason.PACKET_LENGTH_ERROR, "length " + msg.length + " with " + count
                    + " address(es) (expected " + expected + ")");
        }
        byte[] m = Arrays.copyOf(msg, expected);
        int given = ((m[6] & 0xff) << 8) | (m[7] & 0xff);
        m[6] = 0;
        m[7] = 0;
        int computed = checksum(m, version, src, dst, ipv4PseudoHeader);
        if (given != computed) {
            return new Dropped(DropReason.CHECKSUM_ERROR, String.format("checksum 0x%04x (expected 0x%04x)", given, computed));
        }
        if (vrid == 0) {
            return new Dropped(DropReason.VRID_ERROR, "vrid 0 (expected 1-255)");
        }
        List<InetAddress> addresses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            try {
                addresses.add(InetAddress.getByAddress(Arrays.copyOfRange(m, 8 + i * addrLen, 8 + (i + 1) * addrLen)));
            } catch (UnknownHostException e) {
                return new Dropped(DropReason.PACKET_LENGTH_ERROR, "address " + i);
            }
        }
        int interval = version == 2 ? m[5] & 0xff : (((m[4] & 0x0f) << 8) | (m[5] & 0xff));
        int authType = version == 2 ? m[4] & 0xff : 0;
        byte[] auth = version == 2 ? Arrays.copyOfRange(m, expected - 8, expected) : null;
        return new Decoded(new VrrpPacket(version, vrid, priority, interval, addresses, authType, auth));
    }

    /** The VRRPv2 authentication octets for a password: its bytes, NUL-padded to 8. */
    public static byte[] password(String password) {
        return Arrays.copyOf(password.getBytes(StandardCharsets.US_ASCII), 8);
    }

    /** The Internet checksum (RFC 1071) of the message, with the pseudo-header where it applies. */
    static int checksum(byte[] msg, int version, InetAddress src, InetAddress dst, boolean ipv4PseudoHeader) {
        long sum = 0;
        boolean v6 = !(src instanceof Inet4Address);
        if (version == 3 && (v6 || ipv4PseudoHeader)) {
            sum += InternetChecksum.sum(src.getAddress()) + InternetChecksum.sum(dst.getAddress());
            // IPv4: zero, protocol, length (RFC 768 style); IPv6: length as 32 bits, 3 zeros, next header.
            sum += msg.length + PROTOCOL;
        }
        return InternetChecksum.complement(sum + InternetChecksum.sum(msg));
    }
}
