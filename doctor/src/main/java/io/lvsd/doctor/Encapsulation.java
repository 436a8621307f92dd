package io.lvsd.doctor;

import io.lvsd.linux.net.InternetChecksum;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * How IPVS wraps what it forwards to a TUN real server: the destination's tunnel type
 * ({@code IPVS_DEST_ATTR_TUN_TYPE}, kernel 5.3+). The bytes are the kernel's, as {@code ip_vs_tunnel_xmit} and
 * {@code ip_vs_tunnel_xmit_v6} (net/netfilter/ipvs/ip_vs_xmit.c) build them: the inner packet, then (GUE, GRE) a
 * tunnel header, then an outer IP header of the real server's family to its address. The outer protocol follows the
 * inner packet's family: IPIP (4) or IPv6 (41) for {@link Ipip}, UDP (17) for {@link Gue}, GRE (47) for {@link Gre}.
 */
public sealed interface Encapsulation permits Encapsulation.Ipip, Encapsulation.Gue, Encapsulation.Gre {
    /** IPIP: IPv4 in IPv4, or IPv6 in IPv6; the default tunnel type. */
    Ipip IPIP = new Ipip();

    /** IPv4 in IPv4 (protocol 4), IPv6 in IPv6 (next header 41): the inner packet right behind the outer header. */
    record Ipip() implements Encapsulation {
        @Override
        public String key() {
            return "ipip";
        }

        @Override
        public int headerBytes() {
            return 0;
        }

        @Override
        public int outerProtocol(boolean innerV6) {
            return innerV6 ? VipProbe.IPV6_IN_IP : VipProbe.IPIP;
        }

        @Override
        public byte[] header(InetAddress src, InetAddress dst, byte[] inner, int sport) {
            return new byte[0];
        }

        @Override
        public String describe(boolean v6) {
            return v6 ? "IPv6-in-IPv6" : "IPIP";
        }

        @Override
        public int innerOffset(byte[] f, int l4, int protocol) {
            return protocol == VipProbe.IPIP || protocol == VipProbe.IPV6_IN_IP ? l4 : -1;
        }
    }

    /**
     * Generic UDP Encapsulation (draft-ietf-intarea-gue): a UDP datagram to {@code port} whose payload is a 4-byte GUE
     * header and the inner packet. {@code checksum}: the destination's csum or remcsum option, with which the kernel
     * fills in the UDP checksum; without it the checksum is 0 ({@code udp_set_csum(nocheck)}), over IPv6 too. With
     * remcsum the kernel adds a private option (hlen 2) only to a packet whose inner checksum is still to be computed
     * (CHECKSUM_PARTIAL: a local sender's, or one that came over a veth); a client's packet from the network has its
     * checksum, and so does the probe, which is sent without the option.
     */
    record Gue(int port, boolean checksum) implements Encapsulation {
        public Gue {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected 1-65535 for gue)");
            }
        }

        @Override
        public String key() {
            return "gue";
        }

        @Override
        public int headerBytes() {
            return VipProbe.UDP_HEADER + GUE_HEADER;
        }

        @Override
        public int outerProtocol(boolean innerV6) {
            return VipProbe.UDP;
        }

        /**
         * The UDP header and {@code ipvs_gue_encap}'s GUE header: C = 0 (data), version 0, hlen 0 (no options), the
         * inner protocol (4 or 41) as proto/ctype, flags 0.
         */
        @Override
        public byte[] header(InetAddress src, InetAddress dst, byte[] inner, int sport) {
            byte[] gue = ByteBuffer.allocate(GUE_HEADER + inner.length).put((byte) 0)
                    .put((byte) (isV6(inner) ? VipProbe.IPV6_IN_IP : VipProbe.IPIP)).putShort((short) 0).put(inner).array();
            byte[] udp = VipProbe.udp(src, dst, sport, port, gue, checksum);
            return java.util.Arrays.copyOf(udp, VipProbe.UDP_HEADER + GUE_HEADER);
        }

        @Override
        public String describe(boolean v6) {
            return "GUE (port " + port + ")";
        }

        /** UDP to {@code port}: the inner packet follows the GUE header and its {@code hlen} words of options. */
        @Override
        public int innerOffset(byte[] f, int l4, int protocol) {
            if (protocol != VipProbe.UDP || f.length < l4 + 4 || VipProbe.u16(f, l4 + 2) != port) {
                return -1;
            }
            int hlen = f.length > l4 + VipProbe.UDP_HEADER ? (f[l4 + VipProbe.UDP_HEADER] & 0x1f) * 4 : 0;
            return l4 + VipProbe.UDP_HEADER + GUE_HEADER + hlen;
        }
    }

    /**
     * GRE (RFC 2784): flags and version, the inner packet's EtherType (0x0800, 0x86DD), and with {@code checksum}
     * (the destination's csum option) the C bit set and a checksum over the GRE header and payload followed by 2
     * reserved bytes ({@code gre_build_header}).
     */
    record Gre(boolean checksum) implements Encapsulation {
        @Override
        public String key() {
            return "gre";
        }

        @Override
        public int headerBytes() {
            return checksum ? 8 : 4;
        }

        @Override
        public int outerProtocol(boolean innerV6) {
            return VipProbe.GRE;
        }

        @Override
        public byte[] header(InetAddress src, InetAddress dst, byte[] inner, int sport) {
            ByteBuffer b = ByteBuffer.allocate(headerBytes() + inner.length)
                    .putShort((short) (checksum ? GRE_CSUM : 0))
                    .putShort((short) (isV6(inner) ? VipProbe.ETH_P_IPV6 : VipProbe.ETH_P_IP));
            if (checksum) {
                b.putShort((short) 0).putShort((short) 0); // checksum, filled in below; reserved1
            }
            byte[] all = b.put(inner).array();
            if (checksum) {
                int c = InternetChecksum.complement(InternetChecksum.sum(all));
                all[4] = (byte) (c >>> 8);
                all[5] = (byte) c;
            }
            return java.util.Arrays.copyOf(all, headerBytes());
        }

        @Override
        public String describe(boolean v6) {
            return checksum ? "GRE with checksums" : "GRE";
        }

        /** GRE: the inner packet follows the base header and whichever of checksum, key and sequence are flagged. */
        @Override
        public int innerOffset(byte[] f, int l4, int protocol) {
            if (protocol != VipProbe.GRE) {
                return -1;
            }
            if (f.length < l4 + 2) {
                return l4 + 4;
            }
            int flags = VipProbe.u16(f, l4);
            return l4 + 4 + ((flags & (GRE_CSUM | GRE_ROUTING)) != 0 ? 4 : 0) + ((flags & GRE_KEY) != 0 ? 4 : 0)
                    + ((flags & GRE_SEQ) != 0 ? 4 : 0);
        }
    }

    /** The GUE base header: C, version, hlen, proto/ctype, flags. */
    int GUE_HEADER = 4;
    /** GRE's flag bits (linux/if_tunnel.h). */
    int GRE_CSUM = 0x8000;
    int GRE_ROUTING = 0x4000;
    int GRE_KEY = 0x2000;
    int GRE_SEQ = 0x1000;

    /** {@code ipip}, {@code gue}, {@code gre}: as the configuration and {@code --tun-type} spell it. */
    String key();

    /** The bytes between the outer IP header and the inner packet: 0 (IPIP), 12 (UDP and GUE), 4 or 8 (GRE). */
    int headerBytes();

    /** What the encapsulation adds to a packet: the outer IP header (20 bytes, or 40 for IPv6) and its own header. */
    default int overhead(boolean outerV6) {
        return (outerV6 ? VipProbe.IPV6_HEADER : VipProbe.IPV4_HEADER) + headerBytes();
    }

    /** The outer header's protocol (next header) for an inner packet of that family. */
    int outerProtocol(boolean innerV6);

    /**
     * The tunnel header in front of {@code inner} in a packet from {@code src} to {@code dst} (the outer addresses,
     * which UDP's checksum covers); {@code sport} is GUE's UDP source port (the kernel's is a hash of the flow).
     */
    byte[] header(InetAddress src, InetAddress dst, byte[] inner, int sport);

    /** For the evidence: {@code IPIP}, {@code IPv6-in-IPv6}, {@code GUE (port 5555)}, {@code GRE}. */
    String describe(boolean outerV6);

    /**
     * Where the inner packet starts in {@code f} when the packet whose outer protocol is {@code protocol}, with its
     * tunnel header at {@code l4}, is of this encapsulation; -1 when it is not. The offset may lie beyond {@code f}
     * (an ICMP error quotes only the start of a packet).
     */
    int innerOffset(byte[] f, int l4, int protocol);

    /** The encapsulation IPVS uses for tunnel type {@code type} ({@code ipip}, {@code gue}, {@code gre}). */
    static Encapsulation of(String type, int port, boolean checksum) {
        return switch (type) {
            case "ipip" -> IPIP;
            case "gue" -> new Gue(port, checksum);
            case "gre" -> new Gre(checksum);
            default -> throw new IllegalArgumentException("tunnel type: " + type + " (expected ipip, gue or gre)");
        };
    }

    private static boolean isV6(byte[] inner) {
        return inner.length > 0 && (inner[0] & 0xf0) == 0x60;
    }
}
