package io.lvsd.vrrp.internal;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.linux.netlink.Rtnetlink;
import io.lvsd.linux.netlink.Rtnetlink.Address;
import io.lvsd.linux.netlink.Rtnetlink.Link;
import io.lvsd.linux.netlink.RtnetlinkMonitor;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The real kernel: rtnetlink for links and addresses, {@link RtnetlinkMonitor} for their changes, and
 * {@link RawIpSocket}s with one blocking reader thread each (Netty has no raw-IP channel). A reader blocks in
 * {@code recvmsg} for at most 250 ms, so that it notices a close. Each VRRP socket is two: the advert socket, whose
 * kernel filter lets in what {@link AdvertSocketFilter} lets in, and one with the complement, whose reader only
 * counts.
 */
final class LinuxVrrpKernel implements VrrpKernel {
    /** RFC 5798 §5.1.1.3 / keepalived: adverts go with precedence "internetwork control". */
    private static final int TOS = 0xc0;
    private static final long RECEIVE_TIMEOUT_MS = 250;

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
        try {
            adverts.attach(filter.program(true));
            rest = RawIpSocket.open(family, VrrpCodec.PROTOCOL, ifname, ifindex, TOS, RECEIVE_TIMEOUT_MS);
            rest.attach(filter.program(false));
            adverts.hasQueued(); // links the native call now, not at the first Master_Down expiry
        } catch (NativeException | RuntimeException e) {
            adverts.close();
            if (rest != null) {
                rest.close();
            }
            throw e;
        }
        RawIpSocket filtered = rest;
        RawSocket rs = new RawSocket(adverts, filtered);
        String name = ifname + "-" + family.name().toLowerCase(java.util.Locale.ROOT);
        Thread reader = new Thread(() -> rs.read(adverts, receiver, receiver::received), "lvsd-vrrp-rx-" + name);
        reader.setDaemon(true);
        reader.start();
        Thread counter = new Thread(() -> rs.read(filtered, receiver, receiver::filtered), "lvsd-vrrp-filtered-" + name);
        counter.setDaemon(true);
        counter.start();
        return rs;
    }

    @Override
    public void close() {
        if (rtnl != null) {
            rtnl.close();
        }
    }

    /** The advert socket, and beside it the one that receives what the advert socket's filter keeps out. */
    private static final class RawSocket implements Socket {
        private final RawIpSocket socket;
        private final RawIpSocket rest;
        private volatile boolean closed;

        RawSocket(RawIpSocket socket, RawIpSocket rest) {
            this.socket = socket;
            this.rest = rest;
        }

        void read(RawIpSocket from, Receiver receiver, Consumer<RawIpSocket.Packet> to) {
            long errors = 0;
            long dropped = 0;
            while (!closed) {
                try {
                    RawIpSocket.Packet p = from.receive();
                    long d = from.dropped();
                    if (d != dropped) {
                        receiver.queueDropped(d - dropped);
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

        @Override
        public void filter(AdvertSocketFilter filter) throws NativeException {
            // The complement first: for a moment both may let a packet in (counted twice), never neither (lost).
            rest.attach(filter.program(false));
            socket.attach(filter.program(true));
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
