package io.lvsd.vrrp.internal;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.linux.netlink.NetlinkException;
import io.lvsd.linux.netlink.Rtnetlink;
import io.lvsd.linux.netlink.Rtnetlink.Address;
import io.lvsd.linux.netlink.Rtnetlink.Link;
import io.lvsd.linux.netlink.RtnetlinkMonitor;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The kernel in memory, for the VRRP runtime's unit tests: links and addresses that the test sets up and changes
 * (each change is notified as the real kernel's monitor would), the address requests the runtime made, and sockets
 * whose sent adverts are decoded and kept, and into which the test delivers packets, all on the test's thread.
 */
public final class FakeVrrpKernel implements VrrpKernel {
    private final Map<Integer, Link> links = new LinkedHashMap<>();
    private final List<Address> addresses = new ArrayList<>();
    private final Map<String, FakeSocket> sockets = new LinkedHashMap<>();
    /** Every address request, e.g. {@code add eth0 10.0.0.100/24 eth0:vrrp51}, {@code del eth0 10.0.0.100/24}. */
    final List<String> requests = new ArrayList<>();
    int rehearsals;
    /** Runs when a socket opens (a test makes it slow). */
    Runnable onOpenSocket = () -> { };
    /** Runs when an address is added (a test makes the kernel's rtnl lock slow). */
    Runnable onAddAddress = () -> { };
    private Consumer<RtnetlinkMonitor.Event> watcher;

    /** An advert one of our sockets sent. */
    public record Sent(String ifname, InetAddress source, InetAddress destination, VrrpPacket packet) {
    }

    final List<Sent> sent = new ArrayList<>();

    static final int UP = Rtnetlink.IFF_UP | Rtnetlink.IFF_RUNNING;

    /** An interface, up, with {@code address} as its primary address. */
    public FakeVrrpKernel link(int index, String name, String address) {
        links.put(index, new Link(index, name, UP, new byte[] {2, 0, 0, 0, 0, (byte) index}));
        addresses.add(new Address(index, IpPrefix.parse(address), 0, Rtnetlink.RT_SCOPE_UNIVERSE, name));
        return this;
    }

    public void setLink(String name, boolean up) {
        Link l = byName(name);
        Link n = new Link(l.index(), l.name(), up ? UP : 0, l.mac());
        links.put(l.index(), n);
        notify(new RtnetlinkMonitor.LinkEvent(n, false));
    }

    /** Someone (not lvsd) removes an address. */
    public void removeAddress(String ifname, String prefix) {
        Address a = find(byName(ifname).index(), IpPrefix.parse(prefix).address());
        addresses.remove(a);
        notify(new RtnetlinkMonitor.AddressEvent(a, true));
    }

    /** The addresses on {@code ifname} now, as {@code 10.0.0.100/24}. */
    public List<String> addressesOn(String ifname) {
        int index = byName(ifname).index();
        return addresses.stream().filter(a -> a.ifindex() == index).map(a -> a.prefix().toString()).toList();
    }

    /** A packet arrives on {@code ifname}'s socket for {@code family}, received by the kernel at {@code at}. */
    void deliver(String ifname, IpFamily family, InetAddress source, InetAddress destination, byte[] payload,
                 long at) {
        deliver(ifname, family, source, destination, 255, payload, at);
    }

    /** {@link #deliver} with the TTL / hop limit it arrived with. */
    void deliver(String ifname, IpFamily family, InetAddress source, InetAddress destination, int ttl, byte[] payload,
                 long at) {
        FakeSocket s = sockets.get(ifname + "/" + family);
        if (s == null || s.closed) {
            throw new IllegalStateException("no open VRRP socket on " + ifname + "/" + family);
        }
        RawIpSocket.Packet p = new RawIpSocket.Packet(source, destination, ttl, payload, at, 0);
        // The kernel's filter, as AdvertSocketFilterIT holds the Java rules to it.
        if (s.filter.classify(source, payload) == null) {
            s.receiver.received(p);
        } else {
            s.filtered++;
            s.receiver.filtered(p);
        }
    }

    public FakeSocket socket(String ifname, IpFamily family) {
        return sockets.get(ifname + "/" + family);
    }

    private Link byName(String name) {
        return links.values().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
    }

    private Address find(int ifindex, InetAddress a) {
        return addresses.stream().filter(x -> x.ifindex() == ifindex && x.prefix().address().equals(a)).findFirst()
                .orElse(null);
    }

    private void notify(RtnetlinkMonitor.Event e) {
        if (watcher != null) {
            watcher.accept(e);
        }
    }

    @Override
    public void open() {
    }

    @Override
    public List<Link> links() {
        return List.copyOf(links.values());
    }

    @Override
    public List<Address> addresses(IpFamily family) {
        return addresses.stream().filter(a -> a.prefix().family() == family).toList();
    }

    @Override
    public void addAddress(int ifindex, IpPrefix prefix, String label) throws NativeException {
        String ifname = links.get(ifindex).name();
        requests.add("add " + ifname + " " + prefix + (label == null ? "" : " " + label));
        onAddAddress.run();
        if (find(ifindex, prefix.address()) != null) {
            throw new NetlinkException("NEWADDR", LinuxNative.EEXIST, null);
        }
        Address a = new Address(ifindex, prefix, Rtnetlink.IFA_F_SECONDARY, Rtnetlink.RT_SCOPE_UNIVERSE, label);
        addresses.add(a);
        notify(new RtnetlinkMonitor.AddressEvent(a, false));
    }

    @Override
    public void deleteAddress(int ifindex, IpPrefix prefix) throws NativeException {
        requests.add("del " + links.get(ifindex).name() + " " + prefix);
        Address a = find(ifindex, prefix.address());
        if (a == null || !a.prefix().equals(prefix)) {
            throw new NetlinkException("DELADDR", LinuxNative.EADDRNOTAVAIL, null);
        }
        addresses.remove(a);
        notify(new RtnetlinkMonitor.AddressEvent(a, true));
    }

    @Override
    public void rehearseAddAddress(int ifindex, IpPrefix prefix, String label) {
        rehearsals++;
    }

    @Override
    public AutoCloseable watch(Consumer<RtnetlinkMonitor.Event> events, Consumer<Throwable> failure) {
        watcher = events;
        return () -> watcher = null;
    }

    @Override
    public Socket openSocket(IpFamily family, String ifname, int ifindex, AdvertSocketFilter filter,
                             Receiver receiver) {
        onOpenSocket.run();
        FakeSocket s = new FakeSocket(ifname, family, receiver);
        s.filter = filter;
        sockets.put(ifname + "/" + family, s);
        return s;
    }

    @Override
    public void close() {
    }

    /** The scheduling each thread asked for, by thread name (0: the ordinary policy). */
    final Map<String, Integer> scheduling = new LinkedHashMap<>();
    /** Set by a test: every scheduling request fails as a kernel without the privilege would. */
    boolean refuseRealtime;

    @Override
    public void scheduleThisThread(int priority) throws NativeException {
        if (refuseRealtime && priority > 0) {
            throw new NativeException("sched_setscheduler(SCHED_FIFO, " + priority + ")", 1, "EPERM",
                    "Operation not permitted");
        }
        scheduling.put(Thread.currentThread().getName(), priority);
    }

    @Override
    public int scheduleJvmThreads(int priority) throws NativeException {
        if (refuseRealtime && priority > 0) {
            throw new NativeException("sched_setscheduler(thread 7, SCHED_FIFO, " + priority + ")", 1, "EPERM",
                    "Operation not permitted");
        }
        scheduling.put("VM Thread", priority);
        return 1;
    }

    public final class FakeSocket implements Socket {
        final String ifname;
        final IpFamily family;
        final Receiver receiver;
        final List<InetAddress> groups = new ArrayList<>();
        boolean queued;
        boolean closed;
        /** Adverts prepared (encoded for sending) on this socket. */
        int prepares;
        /** What the socket lets in, and how many packets it kept out. */
        AdvertSocketFilter filter;
        int filtered;

        FakeSocket(String ifname, IpFamily family, Receiver receiver) {
            this.ifname = ifname;
            this.family = family;
            this.receiver = receiver;
        }

        @Override
        public void filter(AdvertSocketFilter next) {
            filter = next;
        }

        @Override
        public void joinGroup(InetAddress group) {
            groups.add(group);
        }

        @Override
        public boolean hasQueued() {
            return queued;
        }

        @Override
        public Object prepare(byte[] packet, InetAddress source, InetAddress destination) {
            prepares++;
            return new Object[] {packet, source, destination};
        }

        @Override
        public void send(Object prepared) {
            Object[] p = (Object[]) prepared;
            byte[] bytes = (byte[]) p[0];
            InetAddress src = (InetAddress) p[1];
            InetAddress dst = (InetAddress) p[2];
            VrrpCodec.Result r = VrrpCodec.decode(bytes, src, dst, 255, true);
            if (!(r instanceof VrrpCodec.Decoded d)) {
                throw new AssertionError("lvsd sent an advert it cannot decode: " + r);
            }
            sent.add(new Sent(ifname, src, dst, d.packet()));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static InetAddress ip(String text) {
        return IpAddresses.parse(text);
    }
}
