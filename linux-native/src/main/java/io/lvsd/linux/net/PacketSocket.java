package io.lvsd.linux.net;

import io.lvsd.linux.LinuxNative;
import io.lvsd.linux.NativeException;
import java.util.Arrays;

/**
 * An {@code AF_PACKET} / {@code SOCK_RAW} socket for whole Ethernet frames (built by the caller). {@link #open()}
 * only sends: it is opened with protocol 0, so it receives nothing. {@link #listen} also receives the frames of
 * one EtherType on one interface.
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

    /**
     * A socket bound to {@code ifindex} (0: every interface) that receives every frame of {@code etherType} (e.g.
     * 0x0806, ARP) arriving there (not the ones this host sends), with a 1 MiB receive buffer; {@link #receive} waits
     * at most {@code timeoutMillis} for one.
     */
    public static PacketSocket listen(int etherType, int ifindex, String ifname, long timeoutMillis) throws NativeException {
        LinuxNative l = LinuxNative.get();
        int proto = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                ? Short.toUnsignedInt(Short.reverseBytes((short) etherType)) : etherType;
        int fd = l.socket(LinuxNative.AF_PACKET, LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, proto, "packet");
        try {
            l.bind(fd, LinuxNative.sockaddrLl(ifindex, etherType, new byte[0]), "packet on " + ifname);
            l.setReceiveTimeout(fd, Math.max(1, timeoutMillis), "packet on " + ifname);
            // SO_RCVBUF (asm-generic/socket.h): room for a burst of other traffic while the caller looks for its own.
            l.setIntOption(fd, LinuxNative.SOL_SOCKET, 8, 1 << 20, "packet on " + ifname + ", SO_RCVBUF");
        } catch (NativeException | RuntimeException e) {
            l.close(fd);
            throw e;
        }
        return new PacketSocket(fd);
    }

    /** Receives one frame into {@code buffer}: its length, or -1 when the receive timeout passed first. */
    public int receive(byte[] buffer) throws NativeException {
        return (int) linux.receive(fd, buffer, "packet");
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
