package io.lvsd.linux.netlink;

import io.lvsd.linux.NativeException;

/** Datagrams to and from the kernel: the netlink socket, or a fake in tests. */
public interface NetlinkTransport extends AutoCloseable {
    /** Sends one datagram (one or more netlink messages) to the kernel. */
    void send(byte[] datagram) throws NativeException;

    /** Receives one datagram into {@code buffer}; returns its length, or -1 on timeout. */
    int receive(byte[] buffer) throws NativeException;

    /** The port id the kernel assigned to this socket. */
    int portId();

    @Override
    void close();
}
