package io.lvsd.vrrp.internal;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.linux.netlink.Rtnetlink;
import io.lvsd.linux.netlink.Rtnetlink.Address;
import io.lvsd.linux.netlink.Rtnetlink.Link;
import io.lvsd.linux.netlink.RtnetlinkMonitor;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The real kernel: rtnetlink for links and addresses, {@link RtnetlinkMonitor} for their changes, and
 * {@link RawIpSocket}s with one blocking reader thread each (Netty has no raw-IP channel). Closing a socket wakes
 * its reader, which a receive timeout of 250 ms also bounds. Each VRRP socket is two: the advert socket, whose kernel
 * filter lets in what {@link AdvertSocketFilter} lets in, and one with the complement, whose reader only counts.
 */
final class LinuxVrrpKernel implements VrrpKernel {
    /** RFC 5798 §5.1.1.3 / keepalived: adverts go with precedence "internetwork control". */
    private static final int TOS = 0xc0;
    private static final long RECEIVE_TIMEOUT_MS = 250;
    /**
     * At most this many packets are drained from a complement socket as it opens: more than a default receive buffer
     * (net.core.rmem_default, 212,992 bytes) holds of VRRP packets. Any beyond are left to its reader.
     */
    static final int MAX_DRAIN = 256;

    private Rtnetlink rtnl; // io thread only

    @Override
    public void open() throws NativeException {
        rtnl = Rtnetlink.open();
    }

    @Override
    public List<Link> links() throws NativeException {
        return rtnl.links();
    }

    @Override
    public List<Address> addresses(IpFamily family) throws NativeException {
        return rtnl.addresses(family);
    }

    @Override
    public void addAddress(int ifindex, IpPrefix prefix, String label) throws NativeException {
        rtnl.addAddress(ifindex, prefix, label);
    }

    @Override
    public void deleteAddress(int ifindex, IpPrefix prefix) throws NativeException {
        rtnl.deleteAddress(ifindex, prefix);
    }

    @Override
    public void rehearseAddAddress(int ifindex, IpPrefix prefix, String label) {
        Rtnetlink.addAddressRequest(ifindex, prefix, label).build(0, 0);
    }

    @Override
    public AutoCloseable watch(Consumer<RtnetlinkMonitor.Event> events, Consumer<Throwable> failure)
            throws NativeException {
        return RtnetlinkMonitor.start(events, failure, "lvsd-vrrp-netlink");
    }

    @Override
    public Socket openSocket(IpFamily family, String ifname, int ifindex, AdvertSocketFilter filter, Receiver receiver)
            throws NativeException {
        RawIpSocket adverts = RawIpSocket.open(family, VrrpCodec.PROTOCOL, ifname, ifindex, TOS, RECEIVE_TIMEOUT_MS);
        RawIpSocket rest = null;
        List<RawIpSocket.Packet> keptOut;
        try {
            adverts.attach(filter.program(true));
            rest = RawIpSocket.open(family, VrrpCodec.PROTOCOL, ifname, ifindex, TOS, RECEIVE_TIMEOUT_MS);
            rest.attach(filter.program(false));
            keptOut = drain(rest, filter);
            adverts.hasQueued(); // links the native call now, not at the first Master_Down expiry
        } catch (NativeException | RuntimeException e) {
            adverts.close();
            if (rest != null) {
                rest.close();
            }
            throw e;
        }
        RawIpSocket filtered = rest;
        RawSocket rs = new RawSocket(adverts, filtered, filter);
        String name = ifname + "-" + family.name().toLowerCase(java.util.Locale.ROOT);
        Thread reader = new Thread(() -> rs.read(adverts, receiver, receiver::received, List.of()),
                "lvsd-vrrp-rx-" + name);
        reader.setDaemon(true);
        reader.start();
        Thread counter = new Thread(() -> rs.read(filtered, receiver, receiver::filtered, keptOut),
                "lvsd-vrrp-filtered-" + name);
        counter.setDaemon(true);
        counter.start();
        return rs;
    }

    /**
     * Empties the complement socket {@code rest} just after its program was attached, before its reader starts, and
     * returns what is still to be counted. Until the program was attached the socket let everything in: a packet
     * {@code filter} lets in (an advert) reached the advert socket as well, whose program was already attached, and is
     * dropped here, as the loop would otherwise handle it twice; any other packet reached this socket only and is
     * returned, to be counted by its reader like every later one.
     *
     * <p>The advert socket is not drained: before its program was attached it too let everything in, but nothing else
     * received those packets (the complement socket did not exist yet), and they go through the decoder, which
     * counts each drop by reason.
     */
    private static List<RawIpSocket.Packet> drain(RawIpSocket rest, AdvertSocketFilter filter) throws NativeException {
        List<RawIpSocket.Packet> keptOut = new ArrayList<>();
        // No other thread reads the socket yet: a packet that hasQueued sees is there for receive to take at once.
        for (int n = 0; n < MAX_DRAIN && rest.hasQueued(); n++) {
            RawIpSocket.Packet p = rest.receive();
            if (p != null && filter.classify(p.source(), p.payload()) != null) {
                keptOut.add(p);
            }
        }
        return keptOut;
    }

    @Override
    public void close() {
        if (rtnl != null) {
            rtnl.close();
        }
    }

    @Override
    public void scheduleThisThread(int priority) throws NativeException {
        LinuxNative.get().scheduleThisThread(priority > 0 ? LinuxNative.SCHED_FIFO : LinuxNative.SCHED_OTHER, priority);
    }

    /** The JVM's threads named as the kernel shows them ({@code /proc/self/task/<tid>/comm}). */
    private static final java.util.Set<String> JVM_THREADS = java.util.Set.of("VM Thread");

    @Override
    public int scheduleJvmThreads(int priority) throws NativeException {
        int n = 0;
        try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
                     java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks) {
                String comm;
                try {
                    comm = java.nio.file.Files.readString(t.resolve("comm")).trim();
                } catch (java.io.IOException e) {
                    continue; // the thread ended meanwhile
                }
                if (JVM_THREADS.contains(comm)) {
                    LinuxNative.get().scheduleThread(Integer.parseInt(t.getFileName().toString()),
                            priority > 0 ? LinuxNative.SCHED_FIFO : LinuxNative.SCHED_OTHER, priority);
                    n++;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading /proc/self/task", e);
        }
        return n;
    }

    /** The advert socket, and beside it the one that receives what the advert socket's filter keeps out. */
    private static final class RawSocket implements Socket, AdvertSocketFilter.Sockets {
        private final RawIpSocket socket;
        private final RawIpSocket rest;
        /** The filter in force (loop only, as {@link #filter} is called). */
        private AdvertSocketFilter current;
        private volatile boolean closed;

        RawSocket(RawIpSocket socket, RawIpSocket rest, AdvertSocketFilter current) {
            this.socket = socket;
            this.rest = rest;
            this.current = current;
        }

        /** On a reader thread: hands {@code first} to {@code to}, then every packet read from {@code from}. */
        void read(RawIpSocket from, Receiver receiver, Consumer<RawIpSocket.Packet> to,
                  List<RawIpSocket.Packet> first) {
            long errors = 0;
            long dropped = 0;
            for (RawIpSocket.Packet p : first) {
                try {
                    to.accept(p);
                } catch (RuntimeException e) {
                    receiver.failed(e, ++errors);
                }
            }
            while (!closed) {
                try {
                    RawIpSocket.Packet p = from.receive();
                    long d = from.dropped();
                    if (d != dropped) {
                        receiver.queueDropped(RawIpSocket.dropsBetween(dropped, d));
                        dropped = d;
                    }
                    if (p != null) {
                        to.accept(p);
                    }
                } catch (NativeException | RuntimeException e) {
                    if (closed) {
                        return;
                    }
                    receiver.failed(e, ++errors);
                    if (errors > 100) {
                        LockSupport.parkNanos(10_000_000L); // do not spin on a broken socket
                    }
                }
            }
        }

        /** See {@link AdvertSocketFilter#change} for the order of the steps and what it guarantees. */
        @Override
        public void filter(AdvertSocketFilter filter) throws NativeException {
            AdvertSocketFilter.change(this, current, filter);
            current = filter;
        }

        @Override
        public void adverts(AdvertSocketFilter f) throws NativeException {
            socket.attach(f.program(true));
        }

        @Override
        public void rest(AdvertSocketFilter f) throws NativeException {
            rest.attach(f.program(false));
        }

        @Override
        public void joinGroup(InetAddress group) throws NativeException {
            socket.joinGroup(group);
            rest.joinGroup(group);
        }

        @Override
        public boolean hasQueued() throws NativeException {
            return socket.hasQueued();
        }

        @Override
        public Object prepare(byte[] packet, InetAddress source, InetAddress destination) {
            return socket.prepare(packet, source, destination);
        }

        @Override
        public void send(Object prepared) throws NativeException {
            socket.send((RawIpSocket.Prepared) prepared);
        }

        @Override
        public void close() {
            closed = true;
            socket.close();
            rest.close();
        }
    }
}
