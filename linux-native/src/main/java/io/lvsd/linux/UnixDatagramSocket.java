package io.lvsd.linux;

import java.util.Arrays;

/**
 * An {@code AF_UNIX}/{@code SOCK_DGRAM} socket: what systemd's notification protocol uses and
 * what the JDK does not offer.
 */
public final class UnixDatagramSocket implements AutoCloseable {
    private final LinuxNative linux;
    private final int fd;
    private final String name;
    private volatile boolean closed;

    private UnixDatagramSocket(LinuxNative linux, int fd, String name) {
        this.linux = linux;
        this.fd = fd;
        this.name = name;
    }

    /** An unbound socket for sending. */
    public static UnixDatagramSocket open() throws NativeException {
        return create(null);
    }

    /** A socket bound to {@code path} (a file path, or {@code @name} for the abstract namespace). */
    public static UnixDatagramSocket bind(String path) throws NativeException {
        return create(path);
    }

    private static UnixDatagramSocket create(String bindPath) throws NativeException {
        LinuxNative linux = LinuxNative.get();
        String name = bindPath == null ? "AF_UNIX" : "AF_UNIX " + bindPath;
        int fd = linux.socket(LinuxNative.AF_UNIX, LinuxNative.SOCK_DGRAM | LinuxNative.SOCK_CLOEXEC, 0, name);
        if (bindPath != null) {
            try {
                linux.bind(fd, LinuxNative.sockaddrUnix(bindPath), name);
            } catch (NativeException | RuntimeException e) {
                linux.close(fd);
                throw e;
            }
        }
        return new UnixDatagramSocket(linux, fd, name);
    }

    /** Sends one datagram to {@code path}. */
    public void send(String path, byte[] data) throws NativeException {
        linux.sendTo(fd, data, LinuxNative.sockaddrUnix(path), "AF_UNIX " + path);
    }

    /**
     * Receives one datagram, waiting at most {@code timeoutMillis} (must be positive).
     *
     * @return the datagram, or {@code null} when the timeout expired
     */
    public byte[] receive(long timeoutMillis, int maxBytes) throws NativeException {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis: " + timeoutMillis + " (expected > 0)");
        }
        linux.setReceiveTimeout(fd, timeoutMillis, name);
        byte[] buf = new byte[maxBytes];
        long n = linux.receive(fd, buf, name);
        return n < 0 ? null : Arrays.copyOf(buf, (int) n);
    }

    /** Sends one datagram to {@code path} that passes a duplicate of descriptor {@code fd} ({@code SCM_RIGHTS}). */
    public void send(String path, byte[] data, int fd) throws NativeException {
        linux.sendMessage(this.fd, data, LinuxNative.sockaddrUnix(path), LinuxNative.rightsControl(fd), "AF_UNIX " + path);
    }

    /**
     * A datagram and the descriptor it passed, if any ({@code -1} when none; close-on-exec, the receiver's to close).
     *
     * @param sender the sender's bound path, or null when it has none
     */
    public record Message(byte[] data, int fd, String sender) {
    }

    /**
     * Receives one datagram and the descriptor it passes, waiting at most {@code timeoutMillis}; null when the
     * timeout expired. Descriptors beyond the first are closed.
     */
    public Message receiveMessage(long timeoutMillis, int maxBytes) throws NativeException {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis: " + timeoutMillis + " (expected > 0)");
        }
        linux.setReceiveTimeout(fd, timeoutMillis, name);
        byte[] buf = new byte[maxBytes];
        byte[] from = new byte[110];
        byte[] control = new byte[64];
        LinuxNative.Received r = linux.receiveMessage(fd, buf, from, control, LinuxNative.MSG_CMSG_CLOEXEC, name);
        if (r == null) {
            return null;
        }
        int[] fds = LinuxNative.passedDescriptors(control, r.controlLength());
        for (int i = 1; i < fds.length; i++) {
            linux.close(fds[i]);
        }
        String sender = null;
        if (r.nameLength() > 2 && from[2] != 0) {
            int end = 2;
            while (end < r.nameLength() && from[end] != 0) {
                end++;
            }
            sender = new String(from, 2, end - 2, java.nio.charset.StandardCharsets.UTF_8);
        }
        return new Message(Arrays.copyOf(buf, Math.min(r.length(), buf.length)), fds.length > 0 ? fds[0] : -1, sender);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            linux.close(fd);
        }
    }
}
