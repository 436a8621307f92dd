package io.lvsd.doctor;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.InternetChecksum;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.PacketSocket;
import io.lvsd.linux.proc.Processes;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends a real server what IPVS would forward to it, and reads what comes back: a TCP SYN (for UDP, the health
 * check's datagram) for the VIP and port, addressed at layer 2 to the real server's MAC (DR), or encapsulated to its
 * address as the destination's tunnel type asks (TUN: {@link Encapsulation}); for TUN also an echo request to the
 * VIP in a full-size encapsulated packet that may not be fragmented, which finds a path MTU that breaks
 * encapsulation.
 *
 * <p>The probe's source is this director's own address, so the answer comes back here. A SYN-ACK is answered with a
 * RST (the half-open connection on the real server is closed at once). DR and TUN (IPIP, GUE, GRE) over IPv4 and
 * IPv6; the source, the real server and the VIP are of one family.
 */
public final class VipProbe {
    private VipProbe() {
    }

    /** What came back. */
    public enum Outcome {
        /** The real server answered from the VIP. */
        OK,
        /** A RST from the VIP: the address is there, nothing listens on the port. */
        REFUSED,
        /** The answer came from the real server's own address, not the VIP. */
        FROM_OWN_ADDRESS,
        /** An ICMP error came back instead. */
        UNREACHABLE,
        /** Nothing came back in time. */
        SILENT,
        /** The probe could not be sent. */
        ERROR
    }

    /** The outcome, what was seen, and for {@link Outcome#UNREACHABLE} the ICMP type, code and next-hop MTU. */
    public record Result(Outcome outcome, String detail, int icmpType, int icmpCode, int mtu) {
        static Result of(Outcome o, String detail) {
            return new Result(o, detail, -1, -1, 0);
        }
    }

    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_IPV6 = 0x86DD;
    static final int ICMPV6 = 58;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final int IPIP = 4;
    /** IPv6 inside IPv4 or IPv6: the protocol (next header) of the outer packet. */
    static final int IPV6_IN_IP = 41;
    static final int GRE = 47;
    static final int IPPROTO_RAW = 255;
    static final int ICMPV6_ECHO_REQUEST = 128;
    static final int ICMPV6_ECHO_REPLY = 129;
    static final int IPV4_HEADER = 20;
    static final int IPV6_HEADER = 40;
    static final int UDP_HEADER = 8;
    /** IPv4's don't-fragment flag, in the flags and fragment offset field. */
    static final int DF = 0x4000;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    /**
     * DR: a SYN from {@code source} to {@code vip}:{@code port} (or, with {@code udpPayload}, that datagram), in a
     * frame to {@code realMac} on {@code ifname}. IPv4 or IPv6: the three addresses are of one family.
     */
    public static Result dr(String ifname, String realMac, InetAddress source, InetAddress real, InetAddress vip,
                            int port, byte[] udpPayload, Duration wait) {
        NeighbourProbe.Link link = NeighbourProbe.Link.read(ifname);
        if (link == null) {
            return Result.of(Outcome.ERROR, ifname + ": cannot read its index and address");
        }
        String mixed = oneFamily(source, real, vip);
        if (mixed != null) {
            return Result.of(Outcome.ERROR, mixed);
        }
        boolean v6 = vip instanceof Inet6Address;
        int ifindex = link.index();
        byte[] mac = link.mac();
        byte[] dst = NeighbourProbe.parseMac(realMac);
        int sport = 32768 + ThreadLocalRandom.current().nextInt(28000);
        int seq = ThreadLocalRandom.current().nextInt();
        int proto = udpPayload != null ? UDP : TCP;
        byte[] l4 = udpPayload != null ? udp(source, vip, sport, port, udpPayload) : tcp(source, vip, sport, port, seq, 0, SYN);
        int type = v6 ? ETH_P_IPV6 : ETH_P_IP;
        try (PacketSocket s = PacketSocket.listen(type, ifindex, ifname, 50)) {
            s.send(frame(dst, mac, type, ip(source, vip, proto, l4)), ifindex, ifname);
            Reply r = await(s, source, real, vip, proto, sport, port, null, wait);
            if (r != null && r.synAck) {
                s.send(frame(dst, mac, type, ip(source, vip, TCP, tcp(source, vip, sport, port, seq + 1, 0, RST))),
                        ifindex, ifname);
            }
            return r == null ? Result.of(Outcome.SILENT, "no answer in " + wait.toMillis() + " ms") : r.result;
        } catch (NativeException e) {
            return Result.of(Outcome.ERROR, e.getMessage());
        }
    }

    /** An IPv4 packet (no flags) or an IPv6 one, by the family of the addresses. */
    static byte[] ip(InetAddress src, InetAddress dst, int protocol, byte[] payload) {
        return src instanceof Inet6Address ? ipv6(src, dst, protocol, payload)
                : ipv4((Inet4Address) src, (Inet4Address) dst, protocol, 0, payload);
    }

    /**
     * TUN: the same SYN (or datagram) for the VIP, wrapped as {@code enc} (IPIP, IPv6-in-IPv6, GUE, GRE) in a packet
     * from {@code source} to {@code real}, which the kernel routes. The three addresses are of one family.
     */
    public static Result tun(String ifname, InetAddress source, InetAddress real, InetAddress vip, int port,
                             byte[] udpPayload, Encapsulation enc, Duration wait) {
        String mixed = oneFamily(source, real, vip);
        if (mixed != null) {
            return Result.of(Outcome.ERROR, mixed);
        }
        int ifindex = ifindex(ifname);
        boolean v6 = vip instanceof Inet6Address;
        int sport = 32768 + ThreadLocalRandom.current().nextInt(28000);
        int seq = ThreadLocalRandom.current().nextInt();
        int proto = udpPayload != null ? UDP : TCP;
        byte[] inner = ip(source, vip, proto, udpPayload != null ? udp(source, vip, sport, port, udpPayload)
                : tcp(source, vip, sport, port, seq, 0, SYN));
        String what = enc.describe(v6) + " to " + IpAddresses.text(real);
        try (PacketSocket s = PacketSocket.listen(v6 ? ETH_P_IPV6 : ETH_P_IP, ifindex, ifname, 50);
             RawIp out = RawIp.open(v6)) {
            out.send(encapsulate(enc, source, real, inner, 0, sport), real, what);
            Reply r = await(s, source, real, vip, proto, sport, port, enc, wait);
            if (r != null && r.synAck) {
                out.send(encapsulate(enc, source, real, ip(source, vip, TCP, tcp(source, vip, sport, port, seq + 1, 0, RST)),
                        0, sport), real, what);
            }
            return r == null ? Result.of(Outcome.SILENT, "no answer in " + wait.toMillis() + " ms") : r.result;
        } catch (NativeException e) {
            return Result.of(Outcome.ERROR, e.getMessage());
        }
    }

    /**
     * TUN: an ICMP (IPv6: ICMPv6) echo request to {@code vip}, wrapped as {@code enc} to {@code real} in an outer
     * packet of {@code outerSize} bytes that no one may fragment (IPv4: DF set, inside and out; IPv6 routers never
     * fragment), as a client's full-size packet would be.
     */
    public static Result tunEcho(String ifname, InetAddress source, InetAddress real, InetAddress vip, int outerSize,
                                 Encapsulation enc, Duration wait) {
        String mixed = oneFamily(source, real, vip);
        if (mixed != null) {
            return Result.of(Outcome.ERROR, mixed);
        }
        int ifindex = ifindex(ifname);
        boolean v6 = vip instanceof Inet6Address;
        int id = ThreadLocalRandom.current().nextInt(1, 65535);
        byte[] inner = echo(source, vip, id, outerSize - enc.overhead(v6));
        try (PacketSocket s = PacketSocket.listen(v6 ? ETH_P_IPV6 : ETH_P_IP, ifindex, ifname, 50)) {
            try (RawIp out = RawIp.open(v6)) {
                out.send(encapsulate(enc, source, real, inner, DF, 32768 + id % 28000), real, enc.describe(v6) + " to "
                        + IpAddresses.text(real) + " (" + outerSize + " bytes" + (v6 ? ")" : ", DF)"));
            } catch (NativeException e) {
                if (!"EMSGSIZE".equals(e.errnoName())) {
                    return Result.of(Outcome.ERROR, e.getMessage());
                }
                // The kernel knows already that the path does not carry this size.
                return new Result(Outcome.UNREACHABLE, e.getMessage(), v6 ? 2 : 3, v6 ? 0 : 4, 0);
            }
            Reply r = await(s, source, real, vip, v6 ? ICMPV6 : ICMP, id, 0, enc, wait);
            return r == null ? Result.of(Outcome.SILENT, "no answer in " + wait.toMillis() + " ms") : r.result;
        } catch (NativeException e) {
            return Result.of(Outcome.ERROR, e.getMessage());
        }
    }

    /** Null when the three addresses are of one family, else why not. */
    private static String oneFamily(InetAddress source, InetAddress real, InetAddress vip) {
        boolean v6 = vip instanceof Inet6Address;
        return v6 == source instanceof Inet6Address && v6 == real instanceof Inet6Address ? null
                : "the source, the real server and the VIP are not of one address family";
    }

    /**
     * An echo request from {@code source} to {@code vip} in a packet of {@code size} bytes (at least the headers):
     * ICMP (RFC 792) in IPv4 with DF set, or ICMPv6 (RFC 4443 §4.1, its checksum over the pseudo-header) in IPv6;
     * {@code id} is the identifier, the sequence number is 1.
     */
    static byte[] echo(InetAddress source, InetAddress vip, int id, int size) {
        boolean v6 = vip instanceof Inet6Address;
        byte[] echo = new byte[Math.max(8, size - (v6 ? IPV6_HEADER : IPV4_HEADER))];
        echo[0] = (byte) (v6 ? ICMPV6_ECHO_REQUEST : 8);
        echo[4] = (byte) (id >>> 8);
        echo[5] = (byte) id;
        echo[7] = 1;
        long sum = InternetChecksum.sum(echo);
        if (v6) {
            sum += InternetChecksum.sum(source.getAddress()) + InternetChecksum.sum(vip.getAddress()) + echo.length + ICMPV6;
        }
        int c = InternetChecksum.complement(sum);
        echo[2] = (byte) (c >>> 8);
        echo[3] = (byte) c;
        return v6 ? ipv6(source, vip, ICMPV6, echo) : ipv4((Inet4Address) source, (Inet4Address) vip, ICMP, DF, echo);
    }

    /**
     * What IPVS sends a TUN real server: {@code inner} behind {@code enc}'s header, in an outer IP header of the real
     * server's family from {@code source} to {@code real}. For IPv4, {@code flags} is the flags and fragment field
     * ({@link #DF}) and {@code id} the identification; {@code sport} is GUE's UDP source port.
     */
    static byte[] encapsulate(Encapsulation enc, InetAddress source, InetAddress real, byte[] inner, int flags, int id,
                              int sport) {
        byte[] header = enc.header(source, real, inner, sport);
        byte[] payload = ByteBuffer.allocate(header.length + inner.length).put(header).put(inner).array();
        int proto = enc.outerProtocol((inner[0] & 0xf0) == 0x60);
        return real instanceof Inet6Address ? ipv6(source, real, proto, payload)
                : ipv4((Inet4Address) source, (Inet4Address) real, proto, flags, id, payload);
    }

    /** {@link #encapsulate(Encapsulation, InetAddress, InetAddress, byte[], int, int, int)} with a random IPv4 id. */
    static byte[] encapsulate(Encapsulation enc, InetAddress source, InetAddress real, byte[] inner, int flags, int sport) {
        return encapsulate(enc, source, real, inner, flags, ThreadLocalRandom.current().nextInt(65536), sport);
    }

    /**
     * A raw IP socket of protocol IPPROTO_RAW, which implies IP_HDRINCL (IPv6 as well): the caller writes the outer
     * header, so every tunnel type and family goes out as one code path builds it, unfragmented (a packet over the
     * device MTU is refused with EMSGSIZE) and as the kernel's IPVS would send it.
     */
    private static final class RawIp implements AutoCloseable {
        private final LinuxNative n = LinuxNative.get();
        private final int fd;
        private final boolean v6;

        private RawIp(int fd, boolean v6) {
            this.fd = fd;
            this.v6 = v6;
        }

        static RawIp open(boolean v6) throws NativeException {
            return new RawIp(LinuxNative.get().socket(v6 ? LinuxNative.AF_INET6 : LinuxNative.AF_INET,
                    LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, IPPROTO_RAW, v6 ? "raw IPv6" : "raw IP"), v6);
        }

        void send(byte[] packet, InetAddress to, String what) throws NativeException {
            n.sendTo(fd, packet, v6 ? LinuxNative.sockaddrIn6(to.getAddress(), 0) : LinuxNative.sockaddrIn(to.getAddress()),
                    what);
        }

        @Override
        public void close() {
            n.close(fd);
        }
    }

    record Reply(Result result, boolean synAck) {
    }

    /**
     * Reads until an answer to the probe arrives or {@code wait} is over. For TCP, {@code a} and {@code b} are our
     * port and the service's; for ICMP, {@code a} is the echo id. {@code enc}: how the probe was wrapped (TUN), so
     * that an ICMP error about the outer packet is known for one about the probe; null for DR.
     */
    private static Reply await(PacketSocket s, InetAddress source, InetAddress real, InetAddress vip, int proto,
                               int a, int b, Encapsulation enc, Duration wait) throws NativeException {
        byte[] buf = new byte[65_536];
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            int n = s.receive(buf);
            if (n <= 0) {
                continue;
            }
            byte[] f = Arrays.copyOf(buf, n);
            Reply r = vip instanceof Inet6Address ? classify6(f, source, real, vip, proto, a, b, enc)
                    : classify(f, (Inet4Address) source, (Inet4Address) real, (Inet4Address) vip, proto, a, b, enc);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** {@link #classify(byte[], Inet4Address, Inet4Address, Inet4Address, int, int, int, Encapsulation)} for IPIP. */
    static Reply classify(byte[] f, Inet4Address source, Inet4Address real, Inet4Address vip, int proto, int a, int b) {
        return classify(f, source, real, vip, proto, a, b, Encapsulation.IPIP);
    }

    /**
     * What one received frame says about the probe, or {@code null} when it is about something else; {@code enc}:
     * the probe's encapsulation to {@code real}, or null.
     */
    static Reply classify(byte[] f, Inet4Address source, Inet4Address real, Inet4Address vip, int proto, int a, int b,
                          Encapsulation enc) {
        int ip = 14;
        if (f.length < ip + 20 || u16(f, 12) != ETH_P_IP || (f[ip] & 0xf0) != 0x40) {
            return null;
        }
        int ihl = (f[ip] & 0x0f) * 4;
        int p = f[ip + 9] & 0xff;
        byte[] src = Arrays.copyOfRange(f, ip + 12, ip + 16);
        byte[] dst = Arrays.copyOfRange(f, ip + 16, ip + 20);
        if (!Arrays.equals(dst, source.getAddress()) || Arrays.equals(src, source.getAddress())) {
            return null;
        }
        int l4 = ip + ihl;
        String from = text(src);
        boolean fromVip = Arrays.equals(src, vip.getAddress());
        Reply answer = answer(f, l4, p, proto, a, b, from, fromVip);
        if (answer != null) {
            return answer;
        }
        if (p == ICMP && f.length >= l4 + 8) {
            int type = f[l4] & 0xff;
            int code = f[l4 + 1] & 0xff;
            if (type == 0 && proto == ICMP && u16(f, l4 + 4) == a) {
                return new Reply(Result.of(fromVip ? Outcome.OK : Outcome.FROM_OWN_ADDRESS, "echo reply from " + from), false);
            }
            if (type == 3 || type == 11 || type == 12) {
                // The original packet follows the 8-byte ICMP header. Ours: to the VIP with our protocol and ports
                // (or echo id), or our encapsulated packet to the real server (then the inner one is checked where
                // quoted).
                int orig = l4 + 8;
                if (f.length >= orig + 20 && ours(f, orig, vip, real, proto, a, b, enc)) {
                    boolean toVip = Arrays.equals(Arrays.copyOfRange(f, orig + 16, orig + 20), vip.getAddress());
                    if (type == 3 && code == 3 && fromVip && toVip) {
                        // The VIP is the real server's: it says so, and that nothing listens on the port.
                        return new Reply(Result.of(Outcome.REFUSED, "ICMP port unreachable from " + from), false);
                    }
                    int mtu = type == 3 && code == 4 ? u16(f, l4 + 6) : 0;
                    return new Reply(new Result(Outcome.UNREACHABLE, "ICMP type " + type + " code " + code + " from " + from
                            + (mtu > 0 ? " (next-hop MTU " + mtu + ")" : ""), type, code, mtu), false);
                }
            }
        }
        return null;
    }

    /**
     * A TCP or UDP answer at {@code l4} (protocol {@code p}) to the probe's ports ({@code a} ours, {@code b} the
     * service's), or null: the same for either family.
     */
    private static Reply answer(byte[] f, int l4, int p, int proto, int a, int b, String from, boolean fromVip) {
        if (p == TCP && proto == TCP && f.length >= l4 + 14 && u16(f, l4) == b && u16(f, l4 + 2) == a) {
            int flags = f[l4 + 13] & 0xff;
            Outcome o = !fromVip ? Outcome.FROM_OWN_ADDRESS : (flags & RST) != 0 ? Outcome.REFUSED : Outcome.OK;
            String what = (flags & RST) != 0 ? "RST" : (flags & (SYN | ACK)) == (SYN | ACK) ? "SYN-ACK" : "TCP flags 0x"
                    + Integer.toHexString(flags);
            return new Reply(Result.of(o, what + " from " + from), (flags & (SYN | ACK)) == (SYN | ACK));
        }
        if (p == UDP && proto == UDP && f.length >= l4 + 8 && u16(f, l4) == b && u16(f, l4 + 2) == a) {
            return new Reply(Result.of(fromVip ? Outcome.OK : Outcome.FROM_OWN_ADDRESS, "a UDP reply from " + from), false);
        }
        return null;
    }

    /** {@link #classify6(byte[], InetAddress, InetAddress, InetAddress, int, int, int, Encapsulation)} for DR. */
    static Reply classify6(byte[] f, InetAddress source, InetAddress vip, int proto, int a, int b) {
        return classify6(f, source, null, vip, proto, a, b, null);
    }

    /**
     * {@link #classify} for IPv6: a TCP or UDP answer or an echo reply from the VIP or from elsewhere, or an ICMPv6
     * error (RFC 4443: destination unreachable, packet too big, time exceeded) about one of this probe's packets,
     * the packet itself or (TUN, {@code enc} to {@code real}) the one it was wrapped in. Linux puts no extension
     * header in front of these, and one that is there makes the frame not ours.
     */
    static Reply classify6(byte[] f, InetAddress source, InetAddress real, InetAddress vip, int proto, int a, int b,
                           Encapsulation enc) {
        int ip = 14;
        if (f.length < ip + 40 || u16(f, 12) != ETH_P_IPV6 || (f[ip] & 0xf0) != 0x60) {
            return null;
        }
        int next = f[ip + 6] & 0xff;
        byte[] src = Arrays.copyOfRange(f, ip + 8, ip + 24);
        byte[] dst = Arrays.copyOfRange(f, ip + 24, ip + 40);
        if (!Arrays.equals(dst, source.getAddress()) || Arrays.equals(src, source.getAddress())) {
            return null;
        }
        int l4 = ip + 40;
        String from = text(src);
        boolean fromVip = Arrays.equals(src, vip.getAddress());
        Reply answer = answer(f, l4, next, proto, a, b, from, fromVip);
        if (answer != null) {
            return answer;
        }
        if (next == ICMPV6 && f.length >= l4 + 8) {
            int type = f[l4] & 0xff;
            int code = f[l4 + 1] & 0xff;
            if (type == ICMPV6_ECHO_REPLY && proto == ICMPV6 && u16(f, l4 + 4) == a) {
                return new Reply(Result.of(fromVip ? Outcome.OK : Outcome.FROM_OWN_ADDRESS, "echo reply from " + from), false);
            }
            int orig = l4 + 8;
            if ((type == 1 || type == 2 || type == 3) && f.length >= orig + 40 && ours6(f, orig, vip, real, proto, a, b, enc)) {
                boolean toVip = Arrays.equals(Arrays.copyOfRange(f, orig + 24, orig + 40), vip.getAddress());
                if (type == 1 && code == 4 && fromVip && toVip) {
                    return new Reply(Result.of(Outcome.REFUSED, "ICMPv6 port unreachable from " + from), false);
                }
                int mtu = type == 2 ? (int) Math.min(Integer.MAX_VALUE, ((long) u16(f, l4 + 4) << 16) | u16(f, l4 + 6)) : 0;
                return new Reply(new Result(Outcome.UNREACHABLE, "ICMPv6 type " + type + " code " + code + " from " + from
                        + (mtu > 0 ? " (MTU " + mtu + ")" : ""), type, code, mtu), false);
            }
        }
        return null;
    }

    /**
     * Whether the IPv6 packet quoted at {@code o} of an ICMPv6 error is one of this probe's: to the VIP with its
     * protocol and ports (or echo id); or wrapped as {@code enc} to {@code real} around such a one (or around one not
     * quoted far enough to tell).
     */
    static boolean ours6(byte[] f, int o, InetAddress vip, InetAddress real, int proto, int a, int b, Encapsulation enc) {
        int next = f[o + 6] & 0xff;
        byte[] dst = Arrays.copyOfRange(f, o + 24, o + 40);
        if (enc != null && real != null && Arrays.equals(dst, real.getAddress())) {
            int in = enc.innerOffset(f, o + IPV6_HEADER, next);
            if (in >= 0) {
                return f.length < in + IPV6_HEADER || ours6(f, in, vip, real, proto, a, b, null);
            }
        }
        if (next != proto || !Arrays.equals(dst, vip.getAddress())) {
            return false;
        }
        int l4 = o + IPV6_HEADER;
        if (proto == ICMPV6) {
            return f.length < l4 + 6 || u16(f, l4 + 4) == a;
        }
        return f.length < l4 + 4 || u16(f, l4) == a && u16(f, l4 + 2) == b;
    }

    /**
     * Whether the IPv4 packet quoted at {@code o} of an ICMP error is one of this probe's: to the VIP with its
     * protocol and ports (TCP, UDP: {@code a} ours, {@code b} the service's) or echo id ({@code a}); or wrapped as
     * {@code enc} to the real server around such a one (or around one not quoted far enough to tell).
     */
    static boolean ours(byte[] f, int o, Inet4Address vip, Inet4Address real, int proto, int a, int b, Encapsulation enc) {
        int ihl = (f[o] & 0x0f) * 4;
        int qp = f[o + 9] & 0xff;
        byte[] dst = Arrays.copyOfRange(f, o + 16, o + 20);
        if (enc != null && real != null && Arrays.equals(dst, real.getAddress())) {
            int in = enc.innerOffset(f, o + ihl, qp);
            if (in >= 0) {
                return f.length < in + IPV4_HEADER || ours(f, in, vip, real, proto, a, b, null);
            }
        }
        if (!Arrays.equals(dst, vip.getAddress()) || qp != proto || f.length < o + ihl + 8) {
            return f.length < o + ihl + 8 && Arrays.equals(dst, vip.getAddress()) && qp == proto;
        }
        int l4 = o + ihl;
        return proto == ICMP ? u16(f, l4 + 4) == a : u16(f, l4) == a && u16(f, l4 + 2) == b;
    }

    /** An Ethernet frame for an IPv4 packet. */
    static byte[] frame(byte[] dst, byte[] src, byte[] packet) {
        return frame(dst, src, ETH_P_IP, packet);
    }

    /** An Ethernet frame of {@code type} (ETH_P_IP, ETH_P_IPV6). */
    static byte[] frame(byte[] dst, byte[] src, int type, byte[] packet) {
        return ByteBuffer.allocate(14 + packet.length).put(dst).put(src).putShort((short) type).put(packet).array();
    }

    /** An IPv6 packet with a 40-byte header, no extension headers, hop limit 64 and flow label 0 (RFC 8200). */
    static byte[] ipv6(InetAddress src, InetAddress dst, int nextHeader, byte[] payload) {
        return ByteBuffer.allocate(40 + payload.length).putInt(0x6000_0000).putShort((short) payload.length)
                .put((byte) nextHeader).put((byte) 64).put(src.getAddress()).put(dst.getAddress()).put(payload).array();
    }

    /** An IPv4 packet with a 20-byte header; {@code flags} is the flags and fragment field (0x4000: DF). */
    static byte[] ipv4(Inet4Address src, Inet4Address dst, int protocol, int flags, byte[] payload) {
        return ipv4(src, dst, protocol, flags, ThreadLocalRandom.current().nextInt(65536), payload);
    }

    /** {@link #ipv4(Inet4Address, Inet4Address, int, int, byte[])} with identification {@code id}; TTL 64. */
    static byte[] ipv4(Inet4Address src, Inet4Address dst, int protocol, int flags, int id, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length))
                .putShort((short) id).putShort((short) flags)
                .put((byte) 64).put((byte) protocol).putShort((short) 0).put(src.getAddress()).put(dst.getAddress());
        byte[] out = b.put(payload).array();
        int sum = InternetChecksum.complement(InternetChecksum.sum(Arrays.copyOf(out, 20)));
        out[10] = (byte) (sum >>> 8);
        out[11] = (byte) sum;
        return out;
    }

    /**
     * A UDP datagram with its checksum over the pseudo-header: IPv4's (RFC 768) or IPv6's (RFC 8200 §8.1), whose
     * one's-complement sums are the same for a length below 65,536.
     */
    static byte[] udp(InetAddress src, InetAddress dst, int sport, int dport, byte[] payload) {
        return udp(src, dst, sport, dport, payload, true);
    }

    /**
     * {@link #udp(InetAddress, InetAddress, int, int, byte[])}, or without {@code checksum} the field left 0, as the
     * kernel sends a GUE datagram whose tunnel does not ask for checksums (over IPv6 too: the receiving fou socket
     * accepts a zero checksum).
     */
    static byte[] udp(InetAddress src, InetAddress dst, int sport, int dport, byte[] payload, boolean checksum) {
        byte[] u = ByteBuffer.allocate(8 + payload.length).putShort((short) sport).putShort((short) dport)
                .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload).array();
        if (!checksum) {
            return u;
        }
        long sum = InternetChecksum.sum(src.getAddress()) + InternetChecksum.sum(dst.getAddress()) + UDP + u.length
                + InternetChecksum.sum(u);
        int c = InternetChecksum.complement(sum);
        c = c == 0 ? 0xffff : c; // RFC 768: a computed zero is sent as all ones
        u[6] = (byte) (c >>> 8);
        u[7] = (byte) c;
        return u;
    }

    /**
     * The ordinary check's view: {@code payload} sent by the kernel to the real server's own address, and whether
     * anything came back; what a probe through the VIP is compared with.
     */
    public static Result direct(InetAddress real, int port, byte[] payload, Duration wait) {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            s.setSoTimeout((int) wait.toMillis());
            s.connect(new java.net.InetSocketAddress(real, port));
            s.send(new java.net.DatagramPacket(payload, payload.length));
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
            s.receive(p);
            return Result.of(Outcome.OK, "a UDP reply from " + IpAddresses.text(p.getAddress()));
        } catch (java.net.SocketTimeoutException e) {
            return Result.of(Outcome.SILENT, "no answer in " + wait.toMillis() + " ms");
        } catch (java.io.IOException e) {
            return Result.of(Outcome.UNREACHABLE, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** A 20-byte TCP header (no options, window 64240) with its checksum over the IPv4 or IPv6 pseudo-header. */
    static byte[] tcp(InetAddress src, InetAddress dst, int sport, int dport, int seq, int ack, int flags) {
        byte[] t = ByteBuffer.allocate(20).putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .put((byte) 0x50).put((byte) flags).putShort((short) 64240).putShort((short) 0).putShort((short) 0).array();
        long sum = InternetChecksum.sum(src.getAddress()) + InternetChecksum.sum(dst.getAddress()) + TCP + t.length
                + InternetChecksum.sum(t);
        int c = InternetChecksum.complement(sum);
        t[16] = (byte) (c >>> 8);
        t[17] = (byte) c;
        return t;
    }

    /** The index of {@code ifname} (0, any interface, when it cannot be read). */
    public static int ifindex(String ifname) {
        NeighbourProbe.Link link = NeighbourProbe.Link.read(ifname);
        return link == null ? 0 : link.index();
    }

    static int u16(byte[] b, int o) {
        return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff);
    }

    private static String text(byte[] a) {
        if (a.length == 16) {
            try {
                return IpAddresses.text(InetAddress.getByAddress(a));
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException(e); // 16 bytes are always an address
            }
        }
        return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }

    /** The route to {@code to}: its gateway ({@code null} on-link), interface and preferred source address. */
    public record Route(InetAddress gateway, String dev, InetAddress source) {
    }

    /** {@code ip -o route get TO}, read: which interface, gateway and source address the kernel uses. */
    public static Route route(InetAddress to) throws java.io.IOException {
        String out = Processes.run("ip", "-o", "route", "get", IpAddresses.text(to));
        String[] w = out.strip().split("\\s+");
        InetAddress gw = null;
        String dev = null;
        InetAddress src = null;
        for (int i = 0; i + 1 < w.length; i++) {
            switch (w[i]) {
                case "via":
                    gw = IpAddresses.parse(w[i + 1]);
                    break;
                case "dev":
                    dev = w[i + 1];
                    break;
                case "src":
                    src = IpAddresses.parse(w[i + 1]);
                    break;
                default:
                    break;
            }
        }
        if (dev == null || src == null) {
            throw new java.io.IOException("ip route get " + IpAddresses.text(to) + ": no interface or source in: " + out.strip());
        }
        return new Route(gw, dev, src);
    }
}
