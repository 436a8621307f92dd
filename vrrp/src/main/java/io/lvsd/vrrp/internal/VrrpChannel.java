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
    }

    final String key;
    final String ifname;
    final IpFamily family;
    final int ifindex;
    private final VrrpKernel kernel;
    private final Sink sink;
    volatile VrrpKernel.Socket socket;
    /** Packets the reader has taken from the socket (reader thread writes). */
    private volatile long pulled;
    /** Of those, the packets the loop has handled (loop only). */
    private long handled;
    /** When the last packet the loop handled arrived ({@code receivedAt}; loop only); none: MIN_VALUE. */
    private long lastHandledAt = Long.MIN_VALUE;
    String error;
    long sendErrors;
    boolean joined;

    VrrpChannel(String key, String ifname, IpFamily family, int ifindex, VrrpKernel kernel, Sink sink) {
        this.key = key;
        this.ifname = ifname;
        this.family = family;
        this.ifindex = ifindex;
        this.kernel = kernel;
        this.sink = sink;
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

    void open(boolean join) {
        try {
            socket = kernel.openSocket(family, ifname, ifindex, this);
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

    /** On the reader thread. */
    @Override
    public void received(RawIpSocket.Packet p) {
        pulled = pulled + 1; // the only writer
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
        if (pulled != handled) {
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
    }
}
