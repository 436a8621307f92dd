package io.lvsd.vrrp.internal;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpAddresses;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.RawIpSocket;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A raw VRRP socket for one interface and family, shared by the instances on it. Its reader thread hands each
 * packet to the {@link Sink}, which posts it to the VRRP loop; the channel counts what the reader took and what
 * the loop handled, so that at a Master_Down expiry the loop can tell whether adverts are still waiting
 * ({@link #behind}). Opened, joined and closed on the loop.
 */
final class VrrpChannel implements VrrpKernel.Receiver {
    private static final Logger log = LoggerFactory.getLogger(VrrpRuntime.class);
    private static final InetAddress GROUP4 = IpAddresses.parse("224.0.0.18");
    private static final InetAddress GROUP6 = IpAddresses.parse("ff02::12");

    /** Where the reader's packets and failures go. */
    interface Sink {
        /** On the reader thread: posts {@code p} to the loop, which then calls {@link #handled}. */
        void received(VrrpChannel ch, RawIpSocket.Packet p);

        /** On the reader thread: a receive failed (logged here). */
        void failed();

        /**
         * On the filter's reader thread (never the loop): a packet the kernel kept out of the advert queue,
         * {@code instance} ("" for none) and why; to be counted.
         */
        void filtered(VrrpChannel ch, RawIpSocket.Packet p, String instance, AdvertFilter.Rejection why);

        /** On a reader thread: the kernel dropped {@code count} packets on a full receive queue of the channel. */
        void queueDropped(VrrpChannel ch, long count);
    }

    final String key;
    final String ifname;
    final IpFamily family;
    final int ifindex;
    private final VrrpKernel kernel;
    private final Sink sink;
    /** What the readers count into, registered on the loop; removed as the channel closes. */
    final ChannelMeters meters;
    volatile VrrpKernel.Socket socket;
    /** Packets the readers have handed to the loop. */
    private final java.util.concurrent.atomic.AtomicLong pulled = new java.util.concurrent.atomic.AtomicLong();
    /** Of those, the packets the loop has handled (loop only). */
    private long handled;
    /** When the last packet the loop handled arrived ({@code receivedAt}; loop only); none: MIN_VALUE. */
    private long lastHandledAt = Long.MIN_VALUE;
    /** What the socket lets in (loop writes; the filter's reader reads). */
    private volatile AdvertSocketFilter filter;
    /** Unicast adverts from strangers that the kernel kept out: logged at most once a minute (filter's reader only). */
    final io.lvsd.linux.LogThrottle strangers = new io.lvsd.linux.LogThrottle(java.time.Duration.ofMinutes(1));
    /** Full receive queues: logged at most once a minute (either reader; synchronized on it). */
    final io.lvsd.linux.LogThrottle overflows = new io.lvsd.linux.LogThrottle(java.time.Duration.ofMinutes(1));
    String error;
    long sendErrors;
    boolean joined;

    VrrpChannel(String key, String ifname, IpFamily family, int ifindex, VrrpKernel kernel, Sink sink,
                ChannelMeters meters) {
        this.key = key;
        this.ifname = ifname;
        this.family = family;
        this.ifindex = ifindex;
        this.kernel = kernel;
        this.sink = sink;
        this.meters = meters;
    }

    /** The VRRP multicast group of {@code family} (RFC 5798 §5.1.1.2, §5.1.2.2). */
    static InetAddress group(IpFamily family) {
        return family == IpFamily.IPV4 ? GROUP4 : GROUP6;
    }

    /** Joins the VRRP group (once): an instance on this channel advertises by multicast. */
    void join() throws NativeException {
        if (!joined && socket != null) {
            socket.joinGroup(group(family));
            joined = true;
        }
    }

    void open(boolean join, AdvertSocketFilter filter) {
        this.filter = filter;
        try {
            socket = kernel.openSocket(family, ifname, ifindex, filter, this);
            log.debug("VRRP socket on {}: the kernel lets in {}", key, filter);
            if (join) {
                join();
            }
        } catch (NativeException | RuntimeException e) {
            error = "cannot open the VRRP socket on " + ifname + ": " + e.getMessage();
            log.error(error);
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }
    }

    /**
     * On the loop: lets in what {@code next} lets in from now on (a reload changed the instances on the channel, their
     * VRIDs or peers); nothing happens when it is the filter in force.
     */
    void filter(AdvertSocketFilter next) {
        VrrpKernel.Socket s = socket;
        if (next.equals(filter) || s == null) {
            return;
        }
        try {
            s.filter(next);
            filter = next;
            log.info("VRRP socket on {}: the kernel lets in {}", key, next);
        } catch (NativeException | RuntimeException e) {
            log.error("VRRP socket on {}: cannot change the kernel's filter to {} (the one before stays): {}", key, next,
                    e.getMessage());
        }
    }

    /** On the filter's reader thread: counts what the kernel kept out, by reason. */
    @Override
    public void filtered(RawIpSocket.Packet p) {
        AdvertSocketFilter f = filter;
        AdvertFilter.Rejection why = f == null ? null : f.classify(p.source(), p.payload());
        if (why == null) {
            // A reload changed the filter between the kernel's decision and this one: the loop decides. (While the
            // programs change, the packet may have reached the advert socket too: see AdvertSocketFilter.change.)
            received(p);
            return;
        }
        sink.filtered(this, p, f.instance(p.payload()), why);
    }

    @Override
    public void queueDropped(long count) {
        sink.queueDropped(this, count);
    }

    /** On the reader thread. */
    @Override
    public void received(RawIpSocket.Packet p) {
        pulled.incrementAndGet(); // the advert reader, and the filter's in a reload's race
        sink.received(this, p);
    }

    /**
     * On the loop, for each packet {@link #received} posted ({@code receivedAt}: when it arrived): counts it; false
     * once the channel is closed.
     */
    boolean handled(long receivedAt) {
        handled++;
        if (lastHandledAt == Long.MIN_VALUE || receivedAt - lastHandledAt > 0) {
            lastHandledAt = receivedAt;
        }
        return socket != null;
    }

    /** On the reader thread. */
    @Override
    public void failed(Exception e, long errors) {
        if (errors == 1 || errors % 1000 == 0) {
            log.warn("receiving on {} failed ({} so far): {}", key, errors, e.getMessage());
        }
        sink.failed();
    }

    /**
     * On the loop: whether packets wait that the loop has not handled, in the socket's queue or in the reader's
     * hands. (A packet the reader has just taken and not yet counted slips through: a window of a few
     * instructions.)
     */
    boolean behind() {
        return behind(Long.MIN_VALUE);
    }

    /**
     * On the loop: whether packets that arrived before {@code deadline} may still wait unhandled. The socket is read
     * and its packets handled in the order they arrived, so once the loop has handled one that arrived at or after
     * {@code deadline}, every earlier one has been handled too, however many keep arriving: a flood of packets
     * cannot hold a Master_Down expiry back (an unread advert that came in time can).
     */
    boolean behind(long deadline) {
        if (deadline != Long.MIN_VALUE && lastHandledAt != Long.MIN_VALUE && lastHandledAt - deadline >= 0) {
            return false;
        }
        if (pulled.get() != handled) {
            return true;
        }
        VrrpKernel.Socket s = socket;
        try {
            return s != null && s.hasQueued();
        } catch (NativeException e) {
            return false; // the reader reports a broken socket
        }
    }

    void close() {
        VrrpKernel.Socket s = socket;
        socket = null;
        if (s != null) {
            s.close();
        }
        meters.close();
    }
}
