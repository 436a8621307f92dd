package io.lvsd.linux.net;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import java.util.Arrays;

/**
 * An {@code AF_PACKET} / {@code SOCK_RAW} socket that only sends whole Ethernet frames (built
 * by the caller) on a chosen interface; it is opened with protocol 0, so it receives nothing.
 */
public final class PacketSocket implements AutoCloseable {
    private final LinuxNative linux = LinuxNative.get();
    private final int fd;
    private volatile boolean closed;

    private PacketSocket(int fd) {
        this.fd = fd;
    }

    public static PacketSocket open() throws NativeException {
        return new PacketSocket(LinuxNative.get().socket(LinuxNative.AF_PACKET,
                LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, 0, "packet"));
    }

    /** Sends {@code frame} (destination MAC, source MAC, EtherType, payload) on {@code ifindex}. */
    public void send(byte[] frame, int ifindex, String ifname) throws NativeException {
        if (frame.length < 14) {
            throw new IllegalArgumentException("frame: " + frame.length + " bytes (expected at least 14)");
        }
        int etherType = ((frame[12] & 0xff) << 8) | (frame[13] & 0xff);
        linux.sendTo(fd, frame, LinuxNative.sockaddrLl(ifindex, etherType, Arrays.copyOf(frame, 6)),
                "packet on " + ifname);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            linux.close(fd);
        }
    }
}
