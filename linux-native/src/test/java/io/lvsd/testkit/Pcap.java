package io.lvsd.testkit;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads the Ethernet frames of a classic pcap file and splits out the IP fields tests need. */
public final class Pcap {
    /** One IP packet: its header fields and its payload. */
    public record Ip(InetAddress src, InetAddress dst, int ttl, int protocol, byte[] payload, byte[] frame) {
    }

    public static List<byte[]> frames(Class<?> owner, String resource) throws Exception {
        byte[] d;
        try (InputStream in = owner.getResourceAsStream(resource)) {
            d = in.readAllBytes();
        }
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        b.position(24);
        List<byte[]> out = new ArrayList<>();
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int caplen = b.getInt();
            b.getInt();
            byte[] f = new byte[caplen];
            b.get(f);
            out.add(f);
        }
        return out;
    }

    /** The IP layer of an Ethernet frame, or null for ARP and others. */
    public static Ip ip(byte[] f) throws Exception {
        int type = ((f[12] & 0xff) << 8) | (f[13] & 0xff);
        if (type == 0x0800) {
            int ihl = (f[14] & 0x0f) * 4;
            int total = ((f[16] & 0xff) << 8) | (f[17] & 0xff);
            return new Ip(InetAddress.getByAddress(Arrays.copyOfRange(f, 26, 30)),
                    InetAddress.getByAddress(Arrays.copyOfRange(f, 30, 34)), f[22] & 0xff, f[23] & 0xff,
                    Arrays.copyOfRange(f, 14 + ihl, 14 + total), f);
        }
        if (type == 0x86dd) {
            int plen = ((f[18] & 0xff) << 8) | (f[19] & 0xff);
            return new Ip(InetAddress.getByAddress(Arrays.copyOfRange(f, 22, 38)),
                    InetAddress.getByAddress(Arrays.copyOfRange(f, 38, 54)), f[21] & 0xff, f[20] & 0xff,
                    Arrays.copyOfRange(f, 54, 54 + plen), f);
        }
        return null;
    }

    /** Every IP packet of {@code protocol} (IPv4 protocol / IPv6 next header) of a capture. */
    public static List<Ip> ip(Class<?> owner, String resource, int protocol) throws Exception {
        List<Ip> out = new ArrayList<>();
        for (byte[] f : frames(owner, resource)) {
            Ip ip = ip(f);
            if (ip != null && ip.protocol() == protocol) {
                out.add(ip);
            }
        }
        return out;
    }

    private Pcap() {
    }
}
