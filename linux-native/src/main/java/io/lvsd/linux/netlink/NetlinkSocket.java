package io.lvsd.linux.netlink;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;

/**
 * A netlink socket ({@code AF_NETLINK}, {@code SOCK_RAW}) bound to a kernel-assigned port id,
 * with extended acks on and echoed requests capped, and buffers large enough for pipelined
 * batches and big dumps.
 */
public final class NetlinkSocket implements NetlinkTransport {
    private static final byte[] KERNEL = LinuxNative.sockaddrNetlink(0, 0);

    private final LinuxNative linux;
    private final int fd;
    private final String name;
    private volatile boolean closed;

    private NetlinkSocket(LinuxNative linux, int fd, String name) {
        this.linux = linux;
        this.fd = fd;
        this.name = name;
    }

    /**
     * Opens a socket of netlink {@code protocol} ({@link Netlink#NETLINK_GENERIC},
     * {@link Netlink#NETLINK_ROUTE}); {@code name} appears in error messages.
     */
    public static NetlinkSocket open(int protocol, String name, int bufferBytes, long receiveTimeoutMillis)
            throws NativeException {
        return open(protocol, name, bufferBytes, receiveTimeoutMillis, 0);
    }

    /**
     * As {@link #open(int, String, int, long)}, subscribed to the multicast {@code groups}
     * (a bit mask: group N is bit N-1, e.g. {@code RTNLGRP_LINK} = 1).
     */
    public static NetlinkSocket open(int protocol, String name, int bufferBytes, long receiveTimeoutMillis,
                                     int groups) throws NativeException {
        LinuxNative linux = LinuxNative.get();
        int fd = linux.socket(LinuxNative.AF_NETLINK, LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, protocol,
                "netlink " + name);
        try {
            linux.bind(fd, LinuxNative.sockaddrNetlink(0, groups), "netlink " + name);
            setBuffer(linux, fd, LinuxNative.SO_RCVBUFFORCE, LinuxNative.SO_RCVBUF, bufferBytes, name);
            setBuffer(linux, fd, LinuxNative.SO_SNDBUFFORCE, LinuxNative.SO_SNDBUF, bufferBytes, name);
            linux.setIntOption(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_EXT_ACK, 1, "netlink " + name + ", NETLINK_EXT_ACK");
            linux.setIntOption(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_CAP_ACK, 1, "netlink " + name + ", NETLINK_CAP_ACK");
            if (receiveTimeoutMillis > 0) {
                linux.setReceiveTimeout(fd, receiveTimeoutMillis, "netlink " + name);
            }
        } catch (NativeException | RuntimeException e) {
            linux.close(fd);
            throw e;
        }
        return new NetlinkSocket(linux, fd, name);
    }

    private static void setBuffer(LinuxNative linux, int fd, int force, int plain, int bytes, String name)
            throws NativeException {
        try {
            linux.setIntOption(fd, LinuxNative.SOL_SOCKET, force, bytes, "netlink " + name + ", buffer");
        } catch (NativeException e) {
            // Without CAP_NET_ADMIN the *FORCE variants fail; the plain ones are capped by sysctl.
            linux.setIntOption(fd, LinuxNative.SOL_SOCKET, plain, bytes, "netlink " + name + ", buffer");
        }
    }

    @Override
    public void send(byte[] datagram) throws NativeException {
        linux.sendTo(fd, datagram, KERNEL, "netlink " + name);
    }

    @Override
    public int receive(byte[] buffer) throws NativeException {
        return (int) linux.receive(fd, buffer, "netlink " + name);
    }

    @Override
    public int portId() {
        return 0; // the kernel fills in our port id on every message it sends us
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            linux.close(fd);
        }
    }
}
