package io.lvsd.vrrp.internal;

import io.lvsd.linux.NativeException;
import io.lvsd.linux.net.IpFamily;
import io.lvsd.linux.net.IpPrefix;
import io.lvsd.linux.net.RawIpSocket;
import io.lvsd.linux.netlink.Rtnetlink.Address;
import io.lvsd.linux.netlink.Rtnetlink.Link;
import io.lvsd.linux.netlink.RtnetlinkMonitor;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything the VRRP runtime asks of the kernel, in one place: links and addresses (rtnetlink), their change
 * notifications, and one raw IP socket per interface and family. {@link LinuxVrrpKernel} is the real one; the
 * tests' {@code FakeVrrpKernel} keeps links, addresses and sockets in memory, so that the runtime's logic is tested
 * without root and on a fake clock.
 *
 * <p>Threads: {@link #open}, the address calls and the dumps run on the runtime's io thread; {@link #watch} and
 * {@link Socket}'s receiver call back from threads of their own (the fake calls back on the test's thread).
 */
public interface VrrpKernel {
    /** Opens what the address calls need (an rtnetlink socket). */
    void open() throws NativeException;

    List<Link> links() throws NativeException;

    List<Address> addresses(IpFamily family) throws NativeException;

    /** Adds a VIP ({@code label}: an IPv4 label like {@code eth0:vrrp51}, or null). */
    void addAddress(int ifindex, IpPrefix prefix, String label) throws NativeException;

    void deleteAddress(int ifindex, IpPrefix prefix) throws NativeException;

    /** Builds the request {@link #addAddress} would send, and sends nothing (the takeover rehearsal). */
    void rehearseAddAddress(int ifindex, IpPrefix prefix, String label);

    /** Starts delivering link and address changes to {@code events}; closing the result stops it. */
    AutoCloseable watch(Consumer<RtnetlinkMonitor.Event> events, Consumer<Throwable> failure) throws NativeException;

    /**
     * Opens a VRRP raw socket on {@code ifname} for {@code family} that lets in what {@code filter} lets in: every
     * packet it lets in goes to {@link Receiver#received}, every other to {@link Receiver#filtered} (each on a reader
     * thread of its own in the real kernel).
     */
    Socket openSocket(IpFamily family, String ifname, int ifindex, AdvertSocketFilter filter, Receiver receiver)
            throws NativeException;

    void close();

    /**
     * Sets the calling thread's scheduling: {@code SCHED_FIFO} at {@code priority} (1-99), or the ordinary policy at
     * 0; never inherited by a child process.
     */
    void scheduleThisThread(int priority) throws NativeException;

    /**
     * {@link #scheduleThisThread} for the JVM's own threads that every Java thread waits for: its VM Thread, which
     * runs each stop-the-world operation (and the serial collector's whole collection). Returns how many it set.
     */
    int scheduleJvmThreads(int priority) throws NativeException;

    /** Receives what a socket reads. */
    interface Receiver {
        void received(RawIpSocket.Packet packet);

        /** Receiving failed ({@code count} failures so far); the socket goes on unless it was closed. */
        void failed(Exception e, long count);

        /**
         * A packet the socket's filter kept out of the advert queue, to be counted (on a reader thread of its own,
         * never the one that calls {@link #received}).
         */
        void filtered(RawIpSocket.Packet packet);

        /** The kernel dropped {@code count} more packets because a receive queue of the socket was full. */
        void queueDropped(long count);
    }

    /** A raw socket for VRRP on one interface and family. */
    interface Socket {
        void joinGroup(InetAddress group) throws NativeException;

        /** From now on lets in what {@code filter} lets in. */
        void filter(AdvertSocketFilter filter) throws NativeException;

        /** Whether a packet waits unread in the socket's queue; never blocks. */
        boolean hasQueued() throws NativeException;

        /** An advert ready to send, built once; opaque to the caller. */
        Object prepare(byte[] packet, InetAddress source, InetAddress destination);

        void send(Object prepared) throws NativeException;

        void close();
    }
}
