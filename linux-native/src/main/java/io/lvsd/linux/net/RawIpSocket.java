package io.lvsd.linux.net;

import io.lvsd.linux.LazyText;
import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw IP socket for one IP protocol on one interface ({@code SOCK_RAW}, bound to the device),
 * as protocols like VRRP need: the TTL / hop limit of every received packet is known, packets
 * go out with a chosen source address, TTL / hop limit 255 and multicast loopback off.
 *
 * <p>IPv4 sends with {@code IP_HDRINCL} (we write the header, so the source is ours to choose;
 * the kernel fills in the identification and checksum) and reads the header the kernel passes
 * up. IPv6 raw sockets never see the header, so the destination and hop limit come from
 * {@code IPV6_PKTINFO} / {@code IPV6_HOPLIMIT} ancillary data, and the source is set per
 * packet with {@code IPV6_PKTINFO}.
 *
 * <p>Every received packet carries the time the kernel received it ({@code SO_TIMESTAMPNS}), on
 * {@link System#nanoTime()}'s clock, so a protocol timer can start from the packet's arrival and
 * not from whenever a busy or paused reader thread got to it.
 *
 * <p>Receiving blocks for at most the timeout given to {@link #open}. One thread may receive while another sends,
 * and any thread may {@link #close}: that wakes a thread blocked in {@link #receive} ({@code shutdown(SHUT_RD)}), and
 * the descriptor is closed only once no call on it is in progress, so no call is ever made on a descriptor number
 * that is closed, and perhaps already reused for another file.
 */
public final class RawIpSocket implements AutoCloseable {
    /**
     * A received packet: addresses, TTL / hop limit, the IP payload, and when it arrived: {@code receivedAt} on
     * {@link System#nanoTime()}'s clock, {@code waitedNanos} before the caller took it (zero when the kernel's
     * timestamp was missing or not believable).
     */
    public record Packet(InetAddress source, InetAddress destination, int ttl, byte[] payload, long receivedAt,
                         long waitedNanos) {
    }

    /**
     * The longest wait between the kernel's receive timestamp and {@link #receive} that is believed. The kernel
     * stamps with the wall clock, which can be stepped: a longer (or negative) difference is taken to be a step,
     * and the packet counts as received when it was read.
     */
    static final long MAX_BELIEVED_WAIT_NANOS = 1_000_000_000L;

    private final LinuxNative linux = LinuxNative.get();
    private final IpFamily family;
    private final int protocol;
    private final int tos;
    private final int ifindex;
    private final int fd;
    private final String what;
    private final byte[] rx = new byte[65_536];
    private final byte[] rxName = new byte[28];
    private final byte[] rxControl = new byte[192];
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * The calls on {@link #fd} in progress, plus one that the open socket holds and {@link #close} gives up: whoever
     * brings the count to zero closes the descriptor, the closing thread or a reader returning from its receive.
     */
    private final AtomicInteger users = new AtomicInteger(1);
    /** What the kernel last said it dropped ({@code SO_RXQ_OVFL}); reader thread writes. */
    private volatile long dropped;

    private RawIpSocket(IpFamily family, int protocol, int tos, String ifname, int ifindex, int fd) {
        this.family = family;
        this.protocol = protocol;
        this.tos = tos;
        this.ifindex = ifindex;
        this.fd = fd;
        this.what = "raw " + family + " protocol " + protocol + " on " + ifname;
    }

    /**
     * Opens the socket on interface {@code ifname} (index {@code ifindex}), with traffic class /
     * TOS {@code tos} and receive timeout {@code receiveTimeoutMillis}.
     */
    public static RawIpSocket open(IpFamily family, int protocol, String ifname, int ifindex, int tos,
                                   long receiveTimeoutMillis) throws NativeException {
        LinuxNative linux = LinuxNative.get();
        boolean v4 = family == IpFamily.IPV4;
        int fd = linux.socket(v4 ? LinuxNative.AF_INET : LinuxNative.AF_INET6,
                LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, protocol, "raw " + family + " protocol " + protocol);
        RawIpSocket s = new RawIpSocket(family, protocol, tos, ifname, ifindex, fd);
        try {
            linux.bindToDevice(fd, ifname, s.what);
            if (v4) {
                linux.setIntOption(fd, LinuxNative.IPPROTO_IP, LinuxNative.IP_HDRINCL, 1, s.what + ", IP_HDRINCL");
                linux.setOption(fd, LinuxNative.IPPROTO_IP, LinuxNative.IP_MULTICAST_IF, mreqn(new byte[4], ifindex),
                        s.what + ", IP_MULTICAST_IF");
                linux.setIntOption(fd, LinuxNative.IPPROTO_IP, LinuxNative.IP_MULTICAST_LOOP, 0,
                        s.what + ", IP_MULTICAST_LOOP");
            } else {
                int l = LinuxNative.IPPROTO_IPV6;
                linux.setIntOption(fd, l, LinuxNative.IPV6_MULTICAST_IF, ifindex, s.what + ", IPV6_MULTICAST_IF");
                linux.setIntOption(fd, l, LinuxNative.IPV6_MULTICAST_HOPS, 255, s.what + ", IPV6_MULTICAST_HOPS");
                linux.setIntOption(fd, l, LinuxNative.IPV6_UNICAST_HOPS, 255, s.what + ", IPV6_UNICAST_HOPS");
                linux.setIntOption(fd, l, LinuxNative.IPV6_MULTICAST_LOOP, 0, s.what + ", IPV6_MULTICAST_LOOP");
                linux.setIntOption(fd, l, LinuxNative.IPV6_TCLASS, tos, s.what + ", IPV6_TCLASS");
                linux.setIntOption(fd, l, LinuxNative.IPV6_RECVPKTINFO, 1, s.what + ", IPV6_RECVPKTINFO");
                linux.setIntOption(fd, l, LinuxNative.IPV6_RECVHOPLIMIT, 1, s.what + ", IPV6_RECVHOPLIMIT");
            }
            linux.setIntOption(fd, LinuxNative.SOL_SOCKET, LinuxNative.SO_TIMESTAMPNS, 1, s.what + ", SO_TIMESTAMPNS");
            linux.setIntOption(fd, LinuxNative.SOL_SOCKET, LinuxNative.SO_RXQ_OVFL, 1, s.what + ", SO_RXQ_OVFL");
            if (receiveTimeoutMillis > 0) {
                linux.setReceiveTimeout(fd, receiveTimeoutMillis, s.what);
            }
        } catch (NativeException | RuntimeException e) {
            linux.close(fd);
            throw e;
        }
        return s;
    }

    /** Joins multicast {@code group} on the interface (IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP). */
    public void joinGroup(InetAddress group) throws NativeException {
        enter("setsockopt");
        try {
            if (family == IpFamily.IPV4) {
                linux.setOption(fd, LinuxNative.IPPROTO_IP, LinuxNative.IP_ADD_MEMBERSHIP,
                        mreqn(group.getAddress(), ifindex), what + ", IP_ADD_MEMBERSHIP " + IpAddresses.text(group));
            } else {
                byte[] mreq = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder()).put(group.getAddress())
                        .putInt(ifindex).array();
                linux.setOption(fd, LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_ADD_MEMBERSHIP, mreq,
                        what + ", IPV6_ADD_MEMBERSHIP " + IpAddresses.text(group));
            }
        } finally {
            exit();
        }
    }

    /**
     * Has the kernel run {@code filter} on every packet before queueing it here (replacing the one before): a packet
     * it drops is never queued, never read, and counted nowhere.
     */
    public void attach(SocketFilter filter) throws NativeException {
        enter("setsockopt");
        try {
            linux.attachFilter(fd, filter.instructions(), what);
        } finally {
            exit();
        }
    }

    /**
     * How many packets the kernel has dropped on this socket because its receive queue was full, as of the last
     * packet {@link #receive} read (the kernel says so with each packet it delivers: drops become visible with the
     * next packet that is received).
     */
    public long dropped() {
        return dropped;
    }

    /**
     * How many drops a count from {@code SO_RXQ_OVFL} ({@link #dropped}) went up by from {@code before} to
     * {@code after}: the kernel's count is an unsigned 32-bit number that wraps around.
     */
    public static long dropsBetween(long before, long after) {
        return (after - before) & 0xffffffffL;
    }

    /** The next packet, or null when the receive timeout expired or the socket was closed. */
    public Packet receive() throws NativeException {
        if (!tryEnter()) {
            return null;
        }
        LinuxNative.Received r;
        try {
            r = linux.receiveMessage(fd, rx, rxName, rxControl, what);
        } catch (NativeException e) {
            if (closed.get()) {
                return null;
            }
            throw e;
        } finally {
            exit();
        }
        if (r == null || closed.get()) {
            return null; // after close, recvmsg returns 0 (no packet) once the queue is empty, without waiting
        }
        long[] at = arrival(clocks, kernelTimestamp(rxControl, r.controlLength()));
        long d = queueDrops(rxControl, r.controlLength());
        if (d >= 0) {
            dropped = d;
        }
        int n = Math.min(r.length(), rx.length);
        return family == IpFamily.IPV4 ? parseIpv4(rx, n, at[0], at[1]) : ipv6(r, n, at[0], at[1]);
    }

    /**
     * The two clocks a receive reads: the wall clock, which the kernel's {@code SO_TIMESTAMPNS} stamp is on, and
     * {@link System#nanoTime()}'s, which the stamp is converted to.
     *
     * <p>{@link #receive} reads the wall clock first. A thread preempted between the two reads then counts the
     * pause as later arrival, never as time the packet waited: the packet's {@code receivedAt} can come out late,
     * never early. Early is the unsafe direction, since VRRP restarts its Master_Down timer from it (an early
     * arrival is an early takeover).
     */
    interface Clocks {
        /** Nanoseconds since the epoch, as the kernel's receive stamp counts them. */
        long wallNanos();

        /** {@link System#nanoTime()}. */
        long monoNanos();

        Clocks SYSTEM = new Clocks() {
            @Override
            public long wallNanos() {
                Instant now = Instant.now();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public long monoNanos() {
                return System.nanoTime();
            }
        };
    }

    /** Where a test replaces the clocks; the daemon keeps {@link Clocks#SYSTEM}. */
    Clocks clocks = Clocks.SYSTEM;

    /**
     * {@code {receivedAt, waitedNanos}} of a packet stamped {@code stamp} (-1: not stamped), read now from {@code c}:
     * the wall clock first (see {@link Clocks}).
     */
    static long[] arrival(Clocks c, long stamp) {
        long waited = waited(c.wallNanos(), stamp);
        return new long[] {c.monoNanos() - waited, waited};
    }

    /**
     * The {@code SCM_TIMESTAMPNS} time in the first {@code length} bytes of ancillary data, as nanoseconds of the
     * wall clock since the epoch; -1 when there is none.
     */
    static long kernelTimestamp(byte[] control, int length) {
        int at = control(control, length, LinuxNative.SOL_SOCKET, LinuxNative.SO_TIMESTAMPNS, 16);
        if (at < 0) {
            return -1;
        }
        ByteBuffer c = ByteBuffer.wrap(control).order(ByteOrder.nativeOrder());
        return c.getLong(at) * 1_000_000_000L + c.getLong(at + 8);
    }

    /**
     * The {@code SO_RXQ_OVFL} count in the first {@code length} bytes of ancillary data (an unsigned 32-bit count of
     * the socket's drops so far); -1 when there is none.
     */
    static long queueDrops(byte[] control, int length) {
        int at = control(control, length, LinuxNative.SOL_SOCKET, LinuxNative.SO_RXQ_OVFL, 4);
        return at < 0 ? -1 : ByteBuffer.wrap(control).order(ByteOrder.nativeOrder()).getInt(at) & 0xffffffffL;
    }

    /**
     * Where the data of the first control message ({@code struct cmsghdr}) of {@code level} and {@code type}
     * with at least {@code minData} bytes starts in the first {@code length} bytes of {@code control}; -1 when
     * there is none.
     */
    static int control(byte[] control, int length, int level, int type, int minData) {
        ByteBuffer c = ByteBuffer.wrap(control, 0, length).order(ByteOrder.nativeOrder());
        while (c.remaining() >= 16) {
            int start = c.position();
            long len = c.getLong();
            int l = c.getInt();
            int t = c.getInt();
            if (len < 16 || start + len > length) {
                return -1;
            }
            if (l == level && t == type && len >= 16 + minData) {
                return start + 16;
            }
            long next = start + ((len + 7) & ~7L); // CMSG_NXTHDR: the next header starts at the aligned end
            if (next >= length) {
                return -1;
            }
            c.position((int) next);
        }
        return -1;
    }

    /**
     * How long a packet stamped {@code stampNanos} by the kernel (-1: not stamped) waited until {@code now}; zero
     * when the difference is not believable (see {@link #MAX_BELIEVED_WAIT_NANOS}).
     */
    static long waited(long wallNowNanos, long stampNanos) {
        if (stampNanos < 0) {
            return 0;
        }
        long w = wallNowNanos - stampNanos;
        return w < 0 || w > MAX_BELIEVED_WAIT_NANOS ? 0 : w;
    }

    /**
     * Whether a packet waits unread in the socket's queue (without taking it, and without blocking); false once
     * closed. Any thread may ask, also while another is in {@link #receive}.
     */
    public boolean hasQueued() throws NativeException {
        if (!tryEnter()) {
            return false;
        }
        try {
            return linux.hasQueued(fd, what);
        } catch (NativeException e) {
            if (closed.get()) {
                return false;
            }
            throw e;
        } finally {
            exit();
        }
    }

    /**
     * Parses an IPv4 packet as a raw socket hands it up (header included); null when it is not
     * even a whole header.
     */
    static Packet parseIpv4(byte[] b, int n, long receivedAt, long waitedNanos) {
        if (n < 20 || (b[0] >> 4 & 0x0f) != 4) {
            return null;
        }
        int ihl = (b[0] & 0x0f) * 4;
        int total = Math.min(n, ((b[2] & 0xff) << 8) | (b[3] & 0xff));
        if (ihl < 20 || total < ihl) {
            return null;
        }
        return new Packet(addr(b, 12, 4), addr(b, 16, 4), b[8] & 0xff, Arrays.copyOfRange(b, ihl, total), receivedAt,
                waitedNanos);
    }

    private Packet ipv6(LinuxNative.Received r, int n, long receivedAt, long waitedNanos) {
        InetAddress src = r.nameLength() >= 24 ? addr(rxName, 8, 16) : null;
        int pktinfo = control(rxControl, r.controlLength(), LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_PKTINFO, 20);
        int hopLimit = control(rxControl, r.controlLength(), LinuxNative.IPPROTO_IPV6, LinuxNative.IPV6_HOPLIMIT, 4);
        InetAddress dst = pktinfo < 0 ? null : addr(rxControl, pktinfo, 16);
        int hops = hopLimit < 0 ? -1 : ByteBuffer.wrap(rxControl).order(ByteOrder.nativeOrder()).getInt(hopLimit);
        if (src == null || dst == null) {
            return null;
        }
        return new Packet(src, dst, hops, Arrays.copyOf(rx, n), receivedAt, waitedNanos);
    }

    /** Sends {@code payload} from {@code source} to {@code destination} with TTL / hop limit 255. */
    public void send(byte[] payload, InetAddress source, InetAddress destination) throws NativeException {
        send(prepare(payload, source, destination));
    }

    /**
     * {@code payload} from {@code source} to {@code destination}, built into what the kernel is handed (the IPv4
     * header, the socket address, IPv6's ancillary data) once, to be sent as often as wanted with
     * {@link #send(Prepared)} on this socket.
     */
    public Prepared prepare(byte[] payload, InetAddress source, InetAddress destination) {
        if (family == IpFamily.IPV4) {
            return new Prepared(this, ipv4Header(payload, source, destination, protocol, tos),
                    LinuxNative.sockaddrIn(destination.getAddress()), null, new LazyText(what, " to ", destination));
        }
        ByteBuffer cmsg = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
        cmsg.putLong(16 + 20).putInt(LinuxNative.IPPROTO_IPV6).putInt(LinuxNative.IPV6_PKTINFO)
                .put(source.getAddress()).putInt(ifindex);
        int scope = destination.isLinkLocalAddress() || destination.isMulticastAddress() ? ifindex : 0;
        return new Prepared(this, payload, LinuxNative.sockaddrIn6(destination.getAddress(), scope), cmsg.array(),
                new LazyText(what, " to ", destination));
    }

    /** Sends a packet {@link #prepare prepared} on this socket. */
    public void send(Prepared p) throws NativeException {
        if (p.socket != this) {
            throw new IllegalArgumentException("a packet prepared on another socket");
        }
        enter(p.control == null ? "sendto" : "sendmsg");
        try {
            if (p.control == null) {
                linux.sendTo(fd, p.data, p.name, p.what);
            } else {
                linux.sendMessage(fd, p.data, p.name, p.control, p.what);
            }
        } finally {
            exit();
        }
    }

    /** A packet ready for {@link #send(Prepared)}; treat as opaque. */
    public static final class Prepared {
        private final RawIpSocket socket;
        private final byte[] data;
        private final byte[] name;
        private final byte[] control;
        private final Object what;

        private Prepared(RawIpSocket socket, byte[] data, byte[] name, byte[] control, Object what) {
            this.socket = socket;
            this.data = data;
            this.name = name;
            this.control = control;
            this.what = what;
        }
    }

    /**
     * The IPv4 header lvsd writes: TOS as given, no fragmentation flags, TTL 255; identification
     * and checksum zero for the kernel to fill in (raw(7)).
     */
    static byte[] ipv4Header(byte[] payload, InetAddress src, InetAddress dst, int protocol, int tos) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) tos).putShort((short) (20 + payload.length)).putShort((short) 0)
                .putShort((short) 0).put((byte) 255).put((byte) protocol).putShort((short) 0)
                .put(src.getAddress()).put(dst.getAddress()).put(payload);
        return b.array();
    }

    private static byte[] mreqn(byte[] group, int ifindex) {
        return ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).put(group).putInt(0).putInt(ifindex).array();
    }

    private static InetAddress addr(byte[] b, int off, int len) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(b, off, off + len));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Closes the socket: a thread blocked in {@link #receive} wakes and gets null, and the descriptor is closed now,
     * or by the last call still in progress on it as that call returns. Idempotent; any thread.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                linux.shutdown(fd, LinuxNative.SHUT_RD, what); // the socket's own use still holds the descriptor
            } catch (NativeException e) {
                // Not expected on a raw socket; a blocked reader then still wakes at its receive timeout.
            }
            exit();
        }
    }

    /** Whether a call on {@link #fd} may start (it must then {@link #exit}): false once the socket is closed. */
    private boolean tryEnter() {
        if (closed.get()) {
            return false; // no new calls once closed: the descriptor closes as soon as those in progress end
        }
        while (true) {
            int u = users.get();
            if (u == 0) {
                return false;
            }
            if (users.compareAndSet(u, u + 1)) {
                return true;
            }
        }
    }

    /** {@link #tryEnter}, or the failure of system call {@code call} on a closed socket ({@code EBADF}). */
    private void enter(String call) throws NativeException {
        if (!tryEnter()) {
            throw new NativeException(call + "(" + what + ")", LinuxNative.EBADF, "EBADF", "the socket is closed");
        }
    }

    /** The end of a call that {@link #tryEnter} let start; the last one after {@link #close} closes the descriptor. */
    private void exit() {
        if (users.decrementAndGet() == 0) {
            linux.close(fd);
        }
    }

}
